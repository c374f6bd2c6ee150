//! From JSON bytes to a capture's [`Records`] (or, for a ListDrInfos
//! capture, its `InfoRecords`), the one shape that [`TopologyBuilder::add`]
//! turns into claims.
//!
//! Decoding is the part that can run on other threads than the merge, so it
//! does as much of the work as it can (each instance id is packed and
//! hashed, each distinct location string stored once per capture: see
//! [`Records`]). An envelope's `operation` tells the two answers apart
//! (`envelope`). Three decoders are tried in turn, each giving up on what
//! it does not handle, and each writes the same records:
//!
//! 1. `scan`, driven by the answers' tables of known fields (`envelope`,
//!    `relations`, `infos`): a scanner for JSON of the known shape, which
//!    skips fields it does not know and gives up on anything else unusual
//!    (an escape in a known field, a repeated field, a wrong type, ...);
//! 2. `seed` (ListDrRelations only): serde with borrowed strings, its
//!    visitors writing straight into [`Records`];
//! 3. `model`: the model's lenient types, which decide every malformed
//!    record.
//!
//! So the result is always exactly what [`TopologyBuilder::capture`] (or
//! [`TopologyBuilder::infos_capture`]) makes of the decoded [`Capture`] (or
//! [`InfosCapture`]).

use std::borrow::Cow;
use std::fmt;

use rds_dr_model::{
    Capture, EnvelopeOperation, InfosCapture, ListDrInfosResponse, ListDrRelationsResponse,
    Operation, Source,
};
use serde::de::Error as _;

use crate::builder::TopologyBuilder;
use crate::records::Records;

pub(crate) mod envelope;
mod infos;
pub(crate) mod model;
mod relations;
mod scan;
mod seed;

use envelope::Answer;

/// The scanner's result for a capture envelope of either operation, else
/// the serde seeds' for a relations envelope; `None` when both give up.
/// The scanner checks the strings it keeps to be UTF-8; serde needs the
/// whole input checked first.
fn fast_capture(json: &[u8]) -> Option<(Cow<'_, str>, Cow<'_, str>, Answer)> {
    if let Some((region, project_id, answer)) = envelope::capture(json) {
        return Some((region.into(), project_id.into(), answer));
    }
    let text = std::str::from_utf8(json).ok()?;
    if operation(json).ok()? != Operation::ListDrRelations {
        return None;
    }
    let (region, project_id, records) = seed::capture(text)?;
    Some((region, project_id, Answer::Relations(records)))
}

/// The operation an envelope names (`ListDrRelations` when it names none):
/// the text `"operation"` is looked for first, so that an envelope without
/// it is not parsed for it.
fn operation(json: &[u8]) -> Result<Operation, serde_json::Error> {
    if !json.windows(11).any(|w| w == b"\"operation\"") {
        return Ok(Operation::ListDrRelations);
    }
    Ok(serde_json::from_slice::<EnvelopeOperation>(json)?.operation())
}

/// The scanner's result for a raw API body, else the serde seeds'.
fn fast_response(json: &[u8]) -> Option<Records> {
    if let Some(records) = relations::response(json) {
        return Some(records);
    }
    seed::response(std::str::from_utf8(json).ok()?)
}

impl TopologyBuilder {
    /// Decodes a capture envelope from JSON and adds it: the same as
    /// decoding a [`Capture`] (or, when its `operation` is `ListDrInfos`,
    /// an [`InfosCapture`]) and calling [`capture`](Self::capture) (or
    /// [`infos_capture`](Self::infos_capture)), with far less decoding work
    /// and without holding the decoded capture. The two kinds are told
    /// apart by the envelope's `operation` alone.
    ///
    /// Malformed records and peers become findings, as always; only a
    /// document that is not a capture at all (bad JSON, no `source`, a
    /// `source` that is not a region id and a 32-hex project id, an
    /// `operation` that is neither, ...) is an error, and then nothing is
    /// added.
    ///
    /// ```
    /// use rds_dr_topology::Topology;
    ///
    /// let mut builder = Topology::builder();
    /// builder.capture_json(br#"{"source": {"region": "cn-north-4",
    ///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
    ///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}, 7]}}"#)?;
    /// builder.capture_json(br#"{"source": {"region": "cn-north-4",
    ///     "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "operation": "ListDrInfos",
    ///     "response": {"total_count": 1, "instance_dr_infos": [{"id": "r1"}]}}"#)?;
    /// assert!(builder.capture_json(b"{\"response\": {}}").is_err());
    /// assert!(builder.capture_json(br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#).is_err());
    /// let topology = builder.build();
    /// let codes: Vec<&str> = topology.findings().iter().map(|f| f.code.as_str()).collect();
    /// assert_eq!(codes, ["malformed-record", "malformed-record", "empty-record"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn capture_json(&mut self, json: &[u8]) -> Result<&mut Self, serde_json::Error> {
        let decoded = Self::decode_capture(json)?;
        Ok(self.add(decoded))
    }

    /// Decodes a raw API body (`{"instance_dr_relations": [...]}`) returned
    /// for `source` and adds it, like [`capture_json`](Self::capture_json).
    pub fn records_json(
        &mut self,
        source: &Source,
        json: &[u8],
    ) -> Result<&mut Self, serde_json::Error> {
        let decoded = Self::decode_records(source, json)?;
        Ok(self.add(decoded))
    }

    /// Decodes a raw ListDrInfos body (`{"total_count": N,
    /// "instance_dr_infos": [...]}`) returned for `source` and adds it: the
    /// same as [`infos`](Self::infos) on the decoded body.
    ///
    /// ```
    /// use rds_dr_topology::{Health, Topology};
    ///
    /// let source = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse().unwrap();
    /// let mut builder = Topology::builder();
    /// builder.records_json(&source, br#"{"instance_dr_relations": [{"instance_id": "p1",
    ///     "slave_instances": [{"instance_id": "d1", "region": "cn-north-4"}]}]}"#)?;
    /// builder.infos_json(&source, br#"{"total_count": 1, "instance_dr_infos": [{"id": "r1",
    ///     "master_instance_id": "p1", "slave_instance_id": "d1", "replica_state": "0"}]}"#)?;
    /// assert!(builder.infos_json(&source, b"7").is_err());
    /// let topology = builder.build();
    /// assert_eq!(topology.edge_health("p1", "d1").unwrap().health, Health::Healthy);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn infos_json(
        &mut self,
        source: &Source,
        json: &[u8],
    ) -> Result<&mut Self, serde_json::Error> {
        let decoded = Self::decode_infos(source, json)?;
        Ok(self.add(decoded))
    }
}

/// A capture read from bytes must name a real (region, project): a region id
/// and a 32-hex project id (`Source::validate`). Captures built in code are
/// taken as they are.
fn check_source(region: &str, project_id: &str) -> Result<(), serde_json::Error> {
    rds_dr_model::validate_region(region)
        .and_then(|()| rds_dr_model::validate_project_id(project_id))
        .map_err(|reason| serde_json::Error::custom(format!("invalid `source`: {reason}")))
}

/// A capture (envelope or raw API body, of either operation) decoded from
/// JSON and not yet added to a builder: [`TopologyBuilder::decode_capture`],
/// [`TopologyBuilder::decode_records`] or [`TopologyBuilder::decode_infos`]
/// make it, [`TopologyBuilder::add`] adds it. It owns its data, so the
/// decoding can run on another thread than the merge; adding it is the
/// same as [`capture_json`](TopologyBuilder::capture_json) (or
/// [`records_json`](TopologyBuilder::records_json),
/// [`infos_json`](TopologyBuilder::infos_json)) on the same bytes.
///
/// ```
/// use rds_dr_model::Operation;
/// use rds_dr_topology::{Topology, TopologyBuilder};
///
/// let decoded = TopologyBuilder::decode_capture(br#"{"source": {"region": "cn-north-4",
///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}]}}"#)?;
/// assert_eq!(decoded.operation(), Operation::ListDrRelations);
/// assert!(TopologyBuilder::decode_capture(b"{\"response\": {}}").is_err());
/// let topology = Topology::builder().add(decoded).build();
/// assert_eq!(topology.summary().instances, 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Decoded {
    region: String,
    project_id: String,
    answer: Answer,
}

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = match &self.answer {
            Answer::Relations(records) => records.records.len(),
            Answer::Infos(infos) => infos.records.len() + infos.bad.len(),
        };
        f.debug_struct("Decoded")
            .field("operation", &self.operation())
            .field("records", &records)
            .finish_non_exhaustive()
    }
}

impl Decoded {
    /// Which API answered: `ListDrRelations` or `ListDrInfos`.
    pub fn operation(&self) -> Operation {
        match self.answer {
            Answer::Relations(_) => Operation::ListDrRelations,
            Answer::Infos(_) => Operation::ListDrInfos,
        }
    }
}

impl TopologyBuilder {
    /// Decodes a capture envelope of either operation from JSON without
    /// adding it; the same checks and errors as
    /// [`capture_json`](Self::capture_json).
    pub fn decode_capture(json: &[u8]) -> Result<Decoded, serde_json::Error> {
        let (region, project_id, answer) = match fast_capture(json) {
            Some((region, project_id, answer)) => {
                (region.into_owned(), project_id.into_owned(), answer)
            }
            None => match operation(json)? {
                Operation::ListDrInfos => {
                    let capture: InfosCapture = serde_json::from_slice(json)?;
                    let records = model::infos_records(&capture.response);
                    let Source { region, project_id } = capture.source;
                    (region, project_id, Answer::Infos(records))
                }
                _ => {
                    let capture: Capture = serde_json::from_slice(json)?;
                    let records = model::records(&capture.response);
                    let Source { region, project_id } = capture.source;
                    (region, project_id, Answer::Relations(records))
                }
            },
        };
        check_source(&region, &project_id)?;
        Ok(Decoded {
            region,
            project_id,
            answer,
        })
    }

    /// Decodes a raw API body returned for `source` without adding it; the
    /// same errors as [`records_json`](Self::records_json).
    pub fn decode_records(source: &Source, json: &[u8]) -> Result<Decoded, serde_json::Error> {
        let records = match fast_response(json) {
            Some(records) => records,
            None => {
                let response: ListDrRelationsResponse = serde_json::from_slice(json)?;
                model::records(&response)
            }
        };
        Ok(Decoded {
            region: source.region.clone(),
            project_id: source.project_id.clone(),
            answer: Answer::Relations(records),
        })
    }

    /// Decodes a raw ListDrInfos body returned for `source` without adding
    /// it; the same errors as [`infos_json`](Self::infos_json).
    pub fn decode_infos(source: &Source, json: &[u8]) -> Result<Decoded, serde_json::Error> {
        let records = match infos::response(json) {
            Some(records) => records,
            None => {
                let response: ListDrInfosResponse = serde_json::from_slice(json)?;
                model::infos_records(&response)
            }
        };
        Ok(Decoded {
            region: source.region.clone(),
            project_id: source.project_id.clone(),
            answer: Answer::Infos(records),
        })
    }

    /// Adds a capture decoded by [`decode_capture`](Self::decode_capture),
    /// [`decode_records`](Self::decode_records) or
    /// [`decode_infos`](Self::decode_infos).
    pub fn add(&mut self, decoded: Decoded) -> &mut Self {
        match decoded.answer {
            Answer::Relations(records) => {
                let src = self.source(&decoded.region, &decoded.project_id);
                self.add_records(src, &records);
            }
            Answer::Infos(records) => {
                self.add_infos(&decoded.region, &decoded.project_id, records);
            }
        }
        self
    }
}

/// Small edits of a JSON text, for the decoders' mutation tests.
#[cfg(test)]
pub(crate) mod mutations {
    use proptest::prelude::Strategy;

    /// One to three edits: (where, the byte, 0 insert / 1 remove / 2
    /// replace), with bytes that matter to JSON and to UTF-8.
    pub(crate) fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
        proptest::collection::vec(
            (
                0usize..10_000,
                proptest::sample::select(
                    &[
                        b' ', b'"', b',', b':', b'{', b'}', b'[', b']', b'n', b'u', b'l', b'\\',
                        b'a', b'0', 0u8, 0x1f, 0x80, 0xc3, 0xa9, 0xff, b'e', b'-', b'.', b'd',
                        b'8', b't', b'1',
                    ][..],
                ),
                0u8..3,
            ),
            1..4,
        )
    }

    /// `text` with `edits` applied in turn (a position past the end is an
    /// insert at the end, or nothing).
    pub(crate) fn apply(text: String, edits: &[(usize, u8, u8)]) -> Vec<u8> {
        let mut bytes = text.into_bytes();
        for &(at, byte, kind) in edits {
            let at = at % (bytes.len() + 1);
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => {}
            }
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use rds_dr_model::synth::{FleetSpec, generate};

    use super::*;
    use crate::records::ATTR_SLOTS;

    #[test]
    fn decoded_then_added_equals_capture_json() {
        use rds_dr_model::synth::Defect;
        let mut spec = FleetSpec::new().seed(11).primaries(60).cascaded(2);
        for defect in [
            Defect::SelfRelation,
            Defect::LocationConflict,
            Defect::ProjectNameConflict,
            Defect::DuplicateRecord,
            Defect::EmptyRecord,
            Defect::MalformedRecord,
            Defect::ConflictingPrimary,
        ] {
            spec = spec.defect(defect, 2);
        }
        let fleet = generate(&spec);
        let mut files: Vec<Vec<u8>> = fleet
            .captures
            .iter()
            .map(|c| serde_json::to_vec(c).expect("serialises"))
            .collect();
        // The model's fallback: a record that is not an object, a peer that
        // is not an object, an escaped string; and a raw body.
        files.push(
            br#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
            "response": {"instance_dr_relations": [7, {"instance_id": "a\u0031in03",
            "slave_instances": [3, {"instance_id": "b1in03", "region": "eu-west-0"}]}]}}"#
                .to_vec(),
        );
        let raw_source: Source = "ap-southeast-1/08fd4e669e00d57d2ffec01352c7cb77"
            .parse()
            .expect("source");
        let raw: &[&[u8]] = &[
            br#"{"instance_dr_relations": [{"instance_id": "b1in03", "master_instance": {"instance_id": "a1in03"}}]}"#,
            br#"{"instance_dr_relations": [{"instance_id": "c1in03", "master_instance": 5}]}"#,
        ];
        let mut direct = TopologyBuilder::new();
        let mut staged = TopologyBuilder::new();
        for file in &files {
            direct.capture_json(file).expect("decodes");
            staged.add(TopologyBuilder::decode_capture(file).expect("decodes"));
        }
        for body in raw {
            direct.records_json(&raw_source, body).expect("decodes");
            staged.add(TopologyBuilder::decode_records(&raw_source, body).expect("decodes"));
        }
        let (direct, staged) = (direct.build(), staged.build());
        assert!(direct.findings().len() > 10, "{:?}", direct.summary());
        assert_eq!(direct.findings(), staged.findings());
        assert_eq!(direct.summary(), staged.summary());
        assert_eq!(
            direct.nodes().collect::<Vec<_>>(),
            staged.nodes().collect::<Vec<_>>()
        );
        assert_eq!(
            direct.edges().collect::<Vec<_>>(),
            staged.edges().collect::<Vec<_>>()
        );
        for bad in [
            &b"{}"[..],
            b"[",
            br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#,
        ] {
            assert!(TopologyBuilder::decode_capture(bad).is_err());
        }
        assert!(TopologyBuilder::decode_records(&raw_source, b"[1]").is_err());
    }

    #[test]
    fn fast_path_takes_well_formed_captures() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(3)
                .primaries(50)
                .cascaded(2)
                .defect(rds_dr_model::synth::Defect::SelfRelation, 2)
                .defect(rds_dr_model::synth::Defect::EmptyRecord, 2)
                .defect(rds_dr_model::synth::Defect::DuplicateRecord, 2),
        );
        for capture in &fleet.captures {
            for text in [
                serde_json::to_string(capture).expect("serialises"),
                serde_json::to_string_pretty(capture).expect("serialises"),
            ] {
                let scanned = relations::capture(text.as_bytes())
                    .unwrap_or_else(|| panic!("the scanner gave up on {}", capture.source));
                let decoded = seed::capture(&text)
                    .unwrap_or_else(|| panic!("the fast types rejected {}", capture.source));
                assert_eq!((scanned.0, scanned.1), (&*decoded.0, &*decoded.1));
                assert_eq!(
                    scanned.2.records.len(),
                    capture.response.instance_dr_relations.len()
                );
                assert_eq!(scanned.2, decoded.2);
            }
        }
    }

    /// Whenever the scanner takes a document, it is UTF-8, and the serde
    /// seeds and the model take it too and decode the same records;
    /// whenever the seeds take one, the model takes it and decodes the
    /// same. Returns whether the scanner took it.
    fn agree(bytes: &[u8]) -> bool {
        let model = serde_json::from_slice::<Capture>(bytes).ok();
        let seeds = std::str::from_utf8(bytes).ok().and_then(seed::capture);
        if let Some((r, p, records)) = &seeds {
            let Some(model) = &model else {
                panic!("the seeds took what the model rejects: {bytes:?}");
            };
            assert_eq!(
                (&**r, &**p),
                (&*model.source.region, &*model.source.project_id)
            );
            assert_eq!(
                records.plain(),
                model::records(&model.response).plain(),
                "{bytes:?}"
            );
        }
        match relations::capture(bytes) {
            Some((region, project_id, records)) => {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    panic!("the scanner took what is not UTF-8: {bytes:?}");
                };
                let Some((r, p, f)) = seeds else {
                    panic!("the scanner took what serde rejects: {text}");
                };
                assert_eq!((region, project_id), (&*r, &*p), "{text}");
                assert_eq!(records, f, "{text}");
                true
            }
            None => false,
        }
    }

    const SRC: &str =
        r#""source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}"#;

    fn envelope(records: &str) -> String {
        format!(r#"{{{SRC}, "response": {{"instance_dr_relations": [{records}]}}}}"#)
    }

    #[test]
    fn scanner_takes_the_usual_shapes() {
        let taken = [
            envelope(""),
            envelope(r#"{"instance_id": "a1in03"}"#),
            envelope(r#"{"instance_id": null, "master_instance": null, "slave_instances": null}"#),
            // The master after the slaves goes in front, as with serde.
            envelope(
                r#"{"slave_instances": [{"instance_id": "d1"}, {"instance_id": "d2", "region": "eu-west-0"}],
                    "instance_id": "p1", "master_instance": {"instance_id": "m1", "project_name": "x"}}"#,
            ),
            envelope(
                r#"{"instance_id": "  ", "slave_instances": [{"instance_id": "", "region": " "}, {}]}"#,
            ),
            envelope(
                r#"{"instance_id": "Not-Packed", "master_instance": {"instance_id": "ABCDEF"}}"#,
            ),
            format!(" \n\t{{ {SRC} , \"fetched_at\" : null , \"response\" : {{ }} }}\r\n "),
            format!(
                r#"{{"response": {{"instance_dr_relations": null}}, {SRC}, "fetched_at": "2026-11-28T00:00:00Z"}}"#
            ),
            format!("{{{SRC}}}"),
            "{\"source\": {\"region\": \"cn-north-4\", \"project_id\": \"\u{4e2d}\u{6587}\"}}"
                .to_owned(),
            // Fields nobody asked for, with any value, at every level.
            envelope(r#"{"instance_id": "a1", "extra": 1}"#),
            format!(r#"{{{SRC}, "response": {{"instance_dr_relations": [], "next": null}}}}"#),
            format!(
                r#"{{"operation": "ListDrRelations", {SRC}, "x": {{"y": [1, -2.5, 0, true, false, null, "", {{}}, []]}}}}"#
            ),
            envelope(
                r#"{"status": "\"\\\/\b\f\n\r\t\u00e9\uFFFF", "instance_id": "p1",
                    "slave_instances": [{"tags": [[["deep"]]], "instance_id": "d1", "lag": -0.000, "big": 123456789012345678901234567890}],
                    "master_instance": {"x": {"instance_id": "not-this-one"}, "instance_id": "m1"},
                    "té": null}"#,
            ),
            // Unknown keys that are not ASCII, and a known field's name
            // inside an unknown field.
            envelope(r#"{"été": 1, "clé": {"instance_id": 5}, "instance_id": "a"}"#),
        ];
        for text in &taken {
            assert!(agree(text.as_bytes()), "the scanner gave up on {text}");
        }
    }

    #[test]
    fn scanner_gives_up_on_anything_unusual() {
        let given_up = [
            // Escapes, unknown or repeated fields, numbers, other types.
            envelope(r#"{"instance_id": "a\u0031"}"#),
            envelope(r#"{"instance_id": "a1", "instance_id": "a2"}"#),
            envelope(
                r#"{"instance_id": "a1", "master_instance": {"instance_id": "m", "instance_id": "n"}}"#,
            ),
            envelope(r#"{"instance_id": 7}"#),
            envelope("7"),
            envelope(r#"{"instance_id": "a1", "slave_instances": [3]}"#),
            envelope(r#"{"instance_id": "a1", "slave_instances": {}}"#),
            envelope(r#"{"instance_id": "a1", "master_instance": []}"#),
            envelope(r#"{"instance_id": "a1", "master_instance": {"region": true}}"#),
            format!(r#"{{{SRC}, "response": []}}"#),
            format!(r#"{{{SRC}, "response": null}}"#),
            format!(r#"{{{SRC}, {SRC}}}"#),
            format!(r#"{{{SRC}, "fetched_at": 5}}"#),
            r#"{"source": {"region": "cn-north-4"}}"#.to_owned(),
            r#"{"source": {"region": "cn-north-4", "project_id": null}}"#.to_owned(),
            // Bad syntax.
            envelope(r#"{"instance_id": "a1",}"#),
            envelope(r#"{"instance_id": "a1"},"#),
            envelope(r#"{"instance_id" "a1"}"#),
            envelope(r#"{"instance_id": nul}"#),
            envelope(r#"{"instance_id": nullx}"#),
            envelope("{\"instance_id\": \"a\u{1}b\"}"),
            format!("{} x", envelope("")),
            format!("{} {{}}", envelope("")),
            envelope(r#"{"instance_id": "a1""#),
            String::new(),
            "{".to_owned(),
            // Skipped values the scanner is unsure of: an exponent, a long
            // number, a surrogate escape, a bad escape, an escaped key (it
            // might spell a known one), deep nesting; bad syntax in a
            // skipped value.
            envelope(r#"{"instance_id": "a1", "x": 1e5}"#),
            envelope(r#"{"instance_id": "a1", "x": 1E5}"#),
            envelope(&format!(
                r#"{{"instance_id": "a1", "x": 1{}}}"#,
                "0".repeat(60)
            )),
            envelope(r#"{"instance_id": "a1", "x": "\ud800"}"#),
            envelope(r#"{"instance_id": "a1", "x": "\ud83d\ude00"}"#),
            envelope(r#"{"instance_id": "a1", "x": "\x"}"#),
            envelope(r#"{"instance_id": "a1", "x": "\u00g0"}"#),
            envelope(r#"{"instance_id": "a1", "x": "\u+0ff"}"#),
            envelope(r#"{"instance\u005fid": "a1"}"#),
            envelope(r#"{"instance_id": "a1", "\u0078": 1}"#),
            envelope(&format!(
                r#"{{"instance_id": "a1", "x": {}{}}}"#,
                "[".repeat(80),
                "]".repeat(80)
            )),
            envelope(r#"{"instance_id": "a1", "x": 01}"#),
            envelope(r#"{"instance_id": "a1", "x": -}"#),
            envelope(r#"{"instance_id": "a1", "x": 1.}"#),
            envelope(r#"{"instance_id": "a1", "x": .5}"#),
            envelope(r#"{"instance_id": "a1", "x": [1,]}"#),
            envelope(r#"{"instance_id": "a1", "x": {"a" 1}}"#),
            envelope(r#"{"instance_id": "a1", "x": {"a": 1,}}"#),
            envelope(r#"{"instance_id": "a1", "x": {1: 1}}"#),
            envelope(r#"{"instance_id": "a1", "x": [}"#),
            envelope(r#"{"instance_id": "a1", "x": tru}"#),
            envelope("{\"instance_id\": \"a1\", \"x\": \"a\u{1}b\"}"),
            envelope(r#"{"instance_id": "a1", "x": }"#),
        ];
        for text in &given_up {
            assert!(!agree(text.as_bytes()), "the scanner took {text}");
        }
    }

    /// Every kind of string the scanner reads: a record's id, a peer's
    /// four fields, the source's two, the fetch time, an unknown key and
    /// an unknown field's value.
    fn with_string_in_each_place(s: &str) -> Vec<String> {
        let short = r#""region": "cn-north-4", "project_id": "p""#;
        vec![
            envelope(&format!(r#"{{"instance_id": "{s}"}}"#)),
            envelope(&format!(
                r#"{{"instance_id": "a", "master_instance": {{"instance_id": "{s}"}}}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"region": "{s}"}}]}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"project_id": "{s}"}}]}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"project_name": "{s}"}}]}}"#
            )),
            format!(r#"{{"source": {{"region": "{s}", "project_id": "p"}}}}"#),
            format!(r#"{{"source": {{"region": "r", "project_id": "{s}"}}}}"#),
            format!(r#"{{"source": {{{short}}}, "fetched_at": "{s}"}}"#),
            format!(r#"{{"source": {{{short}}}, "{s}": null}}"#),
            envelope(&format!(r#"{{"instance_id": "a", "x": ["{s}"]}}"#)),
        ]
    }

    #[test]
    fn scanner_takes_only_utf8() {
        // Text the scanner keeps is checked: not the whole document first.
        for s in [
            "\u{e9}t\u{e9}",
            "\u{4e2d}\u{6587}-0123456789abcdef0123456789ab",
            "\u{1f600}",
        ] {
            for text in with_string_in_each_place(s) {
                assert!(agree(text.as_bytes()), "{text}");
            }
        }
        // A lone continuation byte, a cut sequence, bytes never in UTF-8.
        for bad in [
            &b"\x80"[..],
            b"a\xc3",
            b"\xc3(",
            b"\xff\xfe",
            b"\xed\xa0\x80",
        ] {
            for text in with_string_in_each_place("BAD") {
                let mut bytes = Vec::new();
                let (before, after) = text.split_once("BAD").expect("placed");
                bytes.extend_from_slice(before.as_bytes());
                bytes.extend_from_slice(bad);
                bytes.extend_from_slice(after.as_bytes());
                assert!(!agree(&bytes), "the scanner took {bytes:?}");
                assert!(
                    TopologyBuilder::decode_capture(&bytes).is_err(),
                    "{bytes:?}"
                );
            }
        }
    }

    #[test]
    fn a_capture_of_many_distinct_locations_decodes_as_with_serde() {
        // More short location strings than the scanner's table holds (it
        // fills to half), each repeated, in two passes.
        let peer = |k: usize| {
            format!(
                r#"{{"instance_id": "d{k}", "region": "r{k}", "project_id": "p{k}", "project_name": "n{k}"}}"#
            )
        };
        let peers: Vec<String> = (0..2 * ATTR_SLOTS)
            .chain(0..2 * ATTR_SLOTS)
            .map(peer)
            .collect();
        let text = envelope(&format!(
            r#"{{"instance_id": "a", "slave_instances": [{}]}}"#,
            peers.join(",")
        ));
        assert!(agree(text.as_bytes()));
        let (_, _, flat) = relations::capture(text.as_bytes()).expect("taken");
        assert_eq!(flat.attrs.len(), 3 * 2 * ATTR_SLOTS);
        let attr = |i: u32| {
            let (start, end) = flat.attrs[i as usize];
            &flat.text[start as usize..end as usize]
        };
        for (k, peer) in flat.peers.iter().enumerate() {
            let k = k % (2 * ATTR_SLOTS);
            assert_eq!(attr(peer.region), format!("r{k}"));
            assert_eq!(attr(peer.project), format!("p{k}"));
            assert_eq!(attr(peer.name), format!("n{k}"));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Mutated captures: wherever the scanner still takes one, serde
        /// takes it and decodes the same.
        #[test]
        fn scanner_never_takes_more_than_serde(
            edits in crate::decode::mutations::edits(),
        ) {
            let base = envelope(
                r#"{"instance_id": "0123456789abcdef0123456789abcdefin03",
                    "slave_instances": [{"instance_id": "d1", "region": "eu-west-0", "project_id": "p", "project_name": null}]},
                   {"master_instance": {"instance_id": "m1", "x": [1, -0.5, true]}, "instance_id": null,
                    "status": {"note": "a\"b\u00e9", "n": [null, {}, []], "f": false}}"#,
            );
            let bytes = crate::decode::mutations::apply(base, &edits);
            agree(&bytes);
        }
    }
}
