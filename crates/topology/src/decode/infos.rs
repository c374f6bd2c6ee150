//! The ListDrInfos answer as the scanner reads it: a table of known fields
//! for the response and for a record, and what each field's value becomes
//! in [`InfoRecords`]. Fields not in a table are skipped. Every field the
//! model's types know is in the table with its type, so a value of the
//! wrong type gives up here, and the model decides (it makes the record
//! malformed).

use super::scan::{Field, Scalar, Scanner, Shape};
use crate::health::records::{InfoRecords, InfoRecordsOut, RawInfo};

/// A raw API body, `{"total_count": N, "instance_dr_infos": [...]}`.
pub(super) fn response(text: &[u8]) -> Option<InfoRecords> {
    let mut scanner = Scanner::new(text);
    let records = response_object(&mut scanner)?;
    scanner.end()?;
    Some(records)
}

/// The response object, wherever it is (an envelope's `response`).
pub(super) fn response_object(sc: &mut Scanner<'_>) -> Option<InfoRecords> {
    let mut response = Response(InfoRecordsOut::for_len(sc.len()));
    sc.object(&mut response)?;
    Some(response.0.finish())
}

/// A JSON integer that the model reads as an `i64` (`-0` is a float to
/// serde_json, so not one).
fn integer(number: &[u8]) -> Option<i64> {
    if number.contains(&b'.') || number == b"-0" {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}

struct Response<'a>(InfoRecordsOut<'a>);

impl<'a> Shape<'a> for Response<'a> {
    const FIELDS: &'static [Field] = &[
        Field::number(b"\"total_count\":"),
        Field::nested(b"\"instance_dr_infos\":"),
    ];

    fn scalar(&mut self, _total_count: usize, value: Scalar<'a>) -> Option<()> {
        match value {
            Scalar::Null => Some(()),
            Scalar::Number(n) => integer(n).map(drop),
            Scalar::Text(_) => None,
        }
    }

    fn nested(&mut self, sc: &mut Scanner<'a>, _records: usize) -> Option<()> {
        if sc.peek()? == b'n' {
            return sc.null();
        }
        sc.array(|sc| {
            let mut record = Record::default();
            sc.object(&mut record)?;
            self.0.record(&record.0).ok()
        })
    }
}

/// One record's fields, in the order answers have them.
#[derive(Default)]
struct Record<'a>(RawInfo<'a>);

const ID: usize = 0;
const STATUS: usize = 1;
const MASTER: usize = 2;
const MASTER_REGION: usize = 3;
const SLAVE: usize = 4;
const SLAVE_REGION: usize = 5;
const TIME: usize = 6;
const FAILED_MESSAGE: usize = 7;
const REPLICA_STATE: usize = 8;
const SEND_LAG: usize = 9;
const REPLAY_LAG: usize = 10;
const REPLAY_DELAY: usize = 11;

impl<'a> Shape<'a> for Record<'a> {
    const FIELDS: &'static [Field] = &[
        Field::text(b"\"id\":"),
        Field::text(b"\"status\":"),
        Field::text(b"\"master_instance_id\":"),
        Field::text(b"\"master_region\":"),
        Field::text(b"\"slave_instance_id\":"),
        Field::text(b"\"slave_region\":"),
        Field::number(b"\"time\":"),
        Field::text(b"\"failed_message\":"),
        Field::text(b"\"replica_state\":"),
        Field::text_or_number(b"\"wal_write_receive_delay_in_mb\":"),
        Field::text_or_number(b"\"wal_write_replay_delay_in_mb\":"),
        Field::text_or_number(b"\"wal_receive_replay_delay_in_ms\":"),
        Field::text(b"\"build_process\":"),
    ];

    fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
        let r = &mut self.0;
        match field {
            ID => r.id = value,
            STATUS => r.status = value,
            MASTER => r.master = value,
            MASTER_REGION => r.master_region = value,
            SLAVE => r.slave = value,
            SLAVE_REGION => r.slave_region = value,
            FAILED_MESSAGE => r.failed_message = value,
            REPLICA_STATE => r.replica_state = value,
            // `build_process`: not kept, but the model reads it as text.
            _ => {
                if let Some(v) = value {
                    std::str::from_utf8(v).ok()?;
                }
            }
        }
        Some(())
    }

    fn scalar(&mut self, field: usize, value: Scalar<'a>) -> Option<()> {
        // A lag's text, whether sent as a string or as a number: the model
        // reads a number as its text too.
        let text = match value {
            Scalar::Null => None,
            Scalar::Text(t) | Scalar::Number(t) => Some(t),
        };
        match field {
            TIME => {
                self.0.time = match value {
                    Scalar::Null => None,
                    Scalar::Number(n) => Some(integer(n)?),
                    Scalar::Text(_) => return None,
                }
            }
            SEND_LAG => self.0.lags[0] = text,
            REPLAY_LAG => self.0.lags[1] = text,
            REPLAY_DELAY => self.0.lags[2] = text,
            _ => return None,
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rds_dr_model::InfosCapture;
    use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};

    use crate::TopologyBuilder;
    use crate::decode::envelope::{self, Answer};
    use crate::decode::model;

    /// Whenever the scanner takes an envelope as ListDrInfos, it is UTF-8 JSON that
    /// the model takes too, with the same source and the same records
    /// (usable or not, and why). Returns whether the scanner took it.
    fn agree(bytes: &[u8]) -> bool {
        let model = serde_json::from_slice::<InfosCapture>(bytes).ok();
        match envelope::capture(bytes) {
            Some((region, project_id, Answer::Infos(records))) => {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    panic!("the scanner took what is not UTF-8: {bytes:?}");
                };
                let Some(model) = model else {
                    panic!("the scanner took what the model rejects: {text}");
                };
                assert_eq!(
                    (region, project_id),
                    (&*model.source.region, &*model.source.project_id),
                    "{text}"
                );
                let want = model::infos_records(&model.response);
                assert_eq!(records.plain(), want.plain(), "{text}");
                true
            }
            // A mutation that removed the operation: not an infos capture
            // (the relations' tests compare those).
            Some((_, _, Answer::Relations(_))) => false,
            None => false,
        }
    }

    const SRC: &str =
        r#""source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}"#;

    fn envelope(records: &str) -> String {
        format!(
            r#"{{{SRC}, "operation": "ListDrInfos", "response": {{"total_count": 3, "instance_dr_infos": [{records}]}}}}"#
        )
    }

    #[test]
    fn the_health_fixtures_decode_as_with_the_model() {
        let fleet = generate(&FleetSpec::new().seed(5).primaries(80).cascaded(2));
        let infos = health(&fleet, &HealthSpec::new().seed(5).every_defect(2));
        assert!(infos.record_count() > 80);
        for capture in &infos.captures {
            for text in [
                serde_json::to_vec(capture).expect("serialises"),
                serde_json::to_vec_pretty(capture).expect("serialises"),
            ] {
                assert!(
                    agree(&text),
                    "the scanner gave up on {}",
                    String::from_utf8_lossy(&text)
                );
            }
            // The raw body, through the same tables.
            let body = serde_json::to_vec(&capture.response).expect("serialises");
            let scanned = super::response(&body).expect("the scanner takes the body");
            assert_eq!(
                scanned.plain(),
                model::infos_records(&capture.response).plain()
            );
        }
    }

    #[test]
    fn a_fleet_with_every_health_defect_merges_as_with_the_model() {
        let fleet = generate(&FleetSpec::new().seed(9).primaries(120).cascaded(3));
        let infos = health(&fleet, &HealthSpec::new().seed(9).every_defect(2));
        let mut typed = TopologyBuilder::new();
        let mut bytes = TopologyBuilder::new();
        for capture in &fleet.captures {
            typed.capture(capture);
            bytes
                .capture_json(&serde_json::to_vec(capture).expect("serialises"))
                .expect("decodes");
        }
        // Infos in reverse order, and twice, on the bytes side: order-free.
        for capture in &infos.captures {
            typed.infos_capture(capture);
        }
        for capture in infos.captures.iter().rev().chain(&infos.captures) {
            let decoded =
                TopologyBuilder::decode_capture(&serde_json::to_vec(capture).expect("serialises"))
                    .expect("decodes");
            assert_eq!(decoded.operation(), rds_dr_model::Operation::ListDrInfos);
            bytes.add(decoded);
        }
        let (typed, bytes) = (typed.build(), bytes.build());
        assert!(typed.findings().len() >= 12, "{:?}", typed.summary());
        assert_eq!(typed.findings(), bytes.findings());
        assert_eq!(typed.summary(), bytes.summary());
        assert_eq!(typed.view(), bytes.view());
        for e in typed.view().edges {
            assert_eq!(
                typed.edge_health(e.source, e.target),
                bytes.edge_health(e.source, e.target)
            );
        }
    }

    #[test]
    fn the_scanner_takes_the_usual_shapes() {
        let taken = [
            envelope(""),
            envelope(
                r#"{"id": "r1", "status": "normal", "master_instance_id": "p1", "master_region": "cn-north-4",
                    "slave_instance_id": "d1", "slave_region": "eu-west-0", "time": 1733450000000,
                    "replica_state": "0", "wal_write_receive_delay_in_mb": "1.5",
                    "wal_write_replay_delay_in_mb": 2.25, "wal_receive_replay_delay_in_ms": 700,
                    "build_process": "master", "extra": {"x": [1, "\u00e9"]}}"#,
            ),
            // Missing or blank ids, bad lags: malformed, read here too.
            envelope(r#"{"id": " ", "master_instance_id": "p1", "slave_instance_id": "d1"}"#),
            envelope(r#"{"id": "r", "slave_instance_id": "d1"}"#),
            envelope(
                r#"{"id": "r", "master_instance_id": "p", "slave_instance_id": "d", "wal_write_replay_delay_in_mb": "n/a"}"#,
            ),
            envelope(
                r#"{"id": "r", "master_instance_id": "p", "slave_instance_id": "d", "wal_receive_replay_delay_in_ms": "NaN"}"#,
            ),
            // Trimmed ids and strings, a raw status, nulls, negative zero.
            envelope(
                r#"{"id": " r ", "master_instance_id": " p ", "slave_instance_id": "d ", "status": " Building ",
                    "failed_message": "  ", "replica_state": null, "time": null, "master_region": "",
                    "wal_write_receive_delay_in_mb": -0, "wal_write_replay_delay_in_mb": " -0.0 ",
                    "wal_receive_replay_delay_in_ms": ""}"#,
            ),
            format!(
                r#"{{"operation": "ListDrInfos", {SRC}, "response": {{"instance_dr_infos": null, "total_count": null}}}}"#
            ),
            format!(r#"{{"operation": "ListDrInfos", {SRC}}}"#),
            format!(
                r#"{{"fetched_at": "2026-12-06T10:00:00Z", "operation": "ListDrInfos", {SRC}, "response": {{}}}}"#
            ),
        ];
        for text in &taken {
            assert!(agree(text.as_bytes()), "the scanner gave up on {text}");
        }
    }

    #[test]
    fn the_scanner_gives_up_on_anything_unusual() {
        let given_up = [
            // The operation after the response, or of another value.
            format!(r#"{{{SRC}, "response": {{}}, "operation": "ListDrInfos"}}"#),
            format!(r#"{{{SRC}, "operation": null, "response": {{}}}}"#),
            format!(r#"{{{SRC}, "operation": "Other", "response": {{}}}}"#),
            // Wrong types, escapes, exponents, floats for integers.
            envelope(r#"{"id": 5}"#),
            envelope(r#"{"id": "r\u0031"}"#),
            envelope(r#"{"time": 1.5}"#),
            envelope(r#"{"time": -0}"#),
            envelope(r#"{"time": "1"}"#),
            envelope(r#"{"time": 99999999999999999999}"#),
            envelope(r#"{"wal_write_receive_delay_in_mb": 1e3}"#),
            envelope(r#"{"wal_write_receive_delay_in_mb": true}"#),
            envelope(r#"{"build_process": 1}"#),
            envelope(r#"{"id": "a", "id": "b"}"#),
            envelope("7"),
            format!(r#"{{{SRC}, "operation": "ListDrInfos", "response": {{"total_count": "3"}}}}"#),
            format!(r#"{{{SRC}, "operation": "ListDrInfos", "response": {{"total_count": 1.5}}}}"#),
        ];
        for text in &given_up {
            assert!(!agree(text.as_bytes()), "the scanner took {text}");
        }
    }

    /// A generated value of a record's field, by kind.
    #[derive(Clone, Debug)]
    enum Value {
        Null,
        /// A string without escapes (blanks, non-ASCII text, words).
        Plain(String),
        /// A string with an escape.
        Escaped(String),
        Integer(i64),
        Decimal(u64, u32),
        /// Another type.
        Other(&'static str),
    }

    impl Value {
        fn json(&self) -> String {
            match self {
                Value::Null => "null".to_owned(),
                Value::Plain(s) => format!("\"{s}\""),
                Value::Escaped(s) => format!("\"{s}\\n\""),
                Value::Integer(n) => n.to_string(),
                Value::Decimal(a, b) => format!("{a}.{b}"),
                Value::Other(text) => (*text).to_owned(),
            }
        }

        /// Whether the scanner must take it as field `k`'s value.
        fn usual_for(&self, k: usize) -> bool {
            match (self, k) {
                (Value::Null, _) | (Value::Integer(_), super::TIME) => true,
                (Value::Plain(_), k) => k != super::TIME,
                (Value::Integer(_) | Value::Decimal(..), k) => {
                    (super::SEND_LAG..=super::REPLAY_DELAY).contains(&k)
                }
                _ => false,
            }
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            "[a-z0-9]{0,12}".prop_map(Value::Plain),
            "[ a-zA-Z0-9.\u{e9}\u{3000}-]{0,10}".prop_map(Value::Plain),
            prop::sample::select(&["n/a", "0", "-1", "NaN", " 12.5 ", "1e3", ""][..])
                .prop_map(|s| Value::Plain(s.to_owned())),
            "[a-z]{0,4}".prop_map(Value::Escaped),
            (-5i64..100_000).prop_map(Value::Integer),
            (0u64..100_000, 0u32..100).prop_map(|(a, b)| Value::Decimal(a, b)),
            prop::sample::select(&["true", "[1]", "{}"][..]).prop_map(Value::Other),
        ]
    }

    const FIELDS: [&str; 13] = [
        "id",
        "status",
        "master_instance_id",
        "master_region",
        "slave_instance_id",
        "slave_region",
        "time",
        "failed_message",
        "replica_state",
        "wal_write_receive_delay_in_mb",
        "wal_write_replay_delay_in_mb",
        "wal_receive_replay_delay_in_ms",
        "build_process",
    ];

    /// A record of generated fields (some left out) and maybe an unknown
    /// one; and whether the scanner must take it.
    fn record() -> impl Strategy<Value = (String, bool)> {
        (
            proptest::collection::vec(proptest::option::of(value()), FIELDS.len()),
            proptest::option::of(value()),
        )
            .prop_map(|(values, unknown)| {
                let mut usual = true;
                let mut members = Vec::new();
                for (k, v) in values.iter().enumerate() {
                    if let Some(v) = v {
                        usual &= v.usual_for(k);
                        members.push(format!("\"{}\": {}", FIELDS[k], v.json()));
                    }
                }
                if let Some(v) = unknown {
                    members.insert(
                        members.len() / 2,
                        format!("\"unknown_field\": {}", v.json()),
                    );
                }
                (format!("{{{}}}", members.join(", ")), usual)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Generated records: whatever the scanner takes decodes as with
        /// the model; records of the usual types are taken.
        #[test]
        fn scanner_and_model_agree_on_generated_records(
            records in proptest::collection::vec(record(), 0..5),
        ) {
            let text = envelope(
                &records.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", "),
            );
            let taken = agree(text.as_bytes());
            if records.iter().all(|&(_, usual)| usual) {
                prop_assert!(taken, "the scanner gave up on {}", text);
            }
        }

        /// Mutated envelopes: no panic, and wherever the scanner still
        /// takes one, the model takes it and decodes the same.
        #[test]
        fn scanner_never_takes_more_than_the_model(
            edits in crate::decode::mutations::edits(),
        ) {
            let base = envelope(
                r#"{"id": "r1", "status": "normal", "master_instance_id": "0123456789abcdef0123456789abcdefin03",
                    "master_region": "cn-north-4", "slave_instance_id": "d1", "slave_region": "eu-west-0",
                    "time": 1733450000000, "replica_state": "0", "wal_write_receive_delay_in_mb": "1.5",
                    "wal_write_replay_delay_in_mb": 20, "wal_receive_replay_delay_in_ms": null},
                   {"id": "r2", "master_instance_id": "p", "x": [1, -0.5, {"a": "\u00e9"}]}"#,
            );
            let bytes = crate::decode::mutations::apply(base, &edits);
            agree(&bytes);
            // The whole entry never panics, and takes what the model takes.
            let model = serde_json::from_slice::<InfosCapture>(&bytes)
                .ok()
                .filter(|c| c.source.validate().is_ok());
            let ours = TopologyBuilder::decode_capture(&bytes);
            // Merged beside a relations capture of the same pair: the same
            // topology, findings and health either way, and no panic.
            let relations = format!(
                r#"{{{SRC}, "response": {{"instance_dr_relations": [{{"instance_id": "0123456789abcdef0123456789abcdefin03",
                    "slave_instances": [{{"instance_id": "d1", "region": "eu-west-0"}}]}}]}}}}"#
            );
            let mut fast = TopologyBuilder::new();
            let mut slow = TopologyBuilder::new();
            fast.capture_json(relations.as_bytes()).expect("relations");
            slow.capture(serde_json::from_str::<rds_dr_model::Capture>(&relations).expect("relations"));
            match (ours, model) {
                (Ok(decoded), Some(model)) => {
                    if decoded.operation() == rds_dr_model::Operation::ListDrInfos {
                        slow.infos_capture(model);
                    } else {
                        return Ok(());
                    }
                    fast.add(decoded);
                }
                (Ok(decoded), None) => {
                    prop_assert!(
                        decoded.operation() != rds_dr_model::Operation::ListDrInfos,
                        "taken as ListDrInfos, which the model rejects: {:?}",
                        String::from_utf8_lossy(&bytes)
                    );
                    return Ok(());
                }
                (Err(_), None) => return Ok(()),
                (Err(e), Some(_)) => {
                    prop_assert!(false, "{e}: {:?}", String::from_utf8_lossy(&bytes));
                }
            }
            let (fast, slow) = (fast.build(), slow.build());
            prop_assert_eq!(fast.findings(), slow.findings());
            prop_assert_eq!(fast.view(), slow.view());
            prop_assert_eq!(fast.edge_health("0123456789abcdef0123456789abcdefin03", "d1"),
                slow.edge_health("0123456789abcdef0123456789abcdefin03", "d1"));
            let _ = serde_json::to_string(&fast.report()).expect("serialises");
        }
    }
}
