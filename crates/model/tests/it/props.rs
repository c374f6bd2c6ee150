//! Properties: valid models round-trip; decoding never panics, whatever the
//! input; a bad entry never costs a good one.

use proptest::prelude::*;
use rds_dr_model::{
    Capture, DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse, Malformed,
};
use serde_json::Value as Json;

use crate::seed::SEED_EXAMPLE;

const FIELDS: &[&str] = &[
    "instance_dr_relations",
    "instance_id",
    "master_instance",
    "slave_instances",
    "region",
    "project_id",
    "project_name",
];

/// Realistic ids and names, and arbitrary text (escapes, non-ASCII).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{32}in0[13]",
        "[a-z]{2}-[a-z]{4,9}-[0-9]{1,3}",
        any::<String>(),
    ]
}

fn peer() -> impl Strategy<Value = DrPeer> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(instance_id, region, project_id, project_name)| DrPeer {
            instance_id,
            region,
            project_id,
            project_name,
        })
}

fn record() -> impl Strategy<Value = InstanceDrRelation> {
    (
        proptest::option::of(text()),
        proptest::option::of(peer()),
        proptest::collection::vec(peer(), 0..4),
    )
        .prop_map(|(instance_id, master, slaves)| InstanceDrRelation {
            instance_id,
            master_instance: master.map(Lenient::Valid),
            slave_instances: slaves.into_iter().map(Lenient::Valid).collect(),
        })
}

fn response() -> impl Strategy<Value = ListDrRelationsResponse> {
    proptest::collection::vec(record().prop_map(Lenient::Valid), 0..8).prop_map(|records| {
        ListDrRelationsResponse {
            instance_dr_relations: records,
        }
    })
}

/// Floats that serde_json reads back exactly. Its default float parser is
/// not correctly rounded for every 17-digit decimal (the `float_roundtrip`
/// feature is), so printing and re-reading such a float may move it by one
/// ulp; that is serde_json's business, not the model's.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<i32>().prop_map(|n| f64::from(n) / 1024.0),
        Just(1.5e300),
        Just(-2.5e-300),
        Just(-0.0),
    ]
}

/// Any JSON value.
fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<u64>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        float()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Json::Number),
        text().prop_map(Json::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let key = prop_oneof![
            proptest::sample::select(FIELDS).prop_map(str::to_owned),
            any::<String>()
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|members| Json::Object(members.into_iter().collect())),
        ]
    })
}

/// A value shaped like a record or a peer, with junk in random places.
fn record_like() -> impl Strategy<Value = Json> {
    let field = prop_oneof![
        3 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let value = prop_oneof![
        2 => text().prop_map(Json::String),
        1 => json_value(),
        1 => proptest::collection::vec(json_value(), 0..4).prop_map(Json::Array),
    ];
    prop_oneof![
        4 => proptest::collection::vec((field, value), 0..6)
            .prop_map(|members| Json::Object(members.into_iter().collect())),
        1 => json_value(),
    ]
}

/// A body: an object with `instance_dr_relations` holding record-like values.
fn body_like() -> impl Strategy<Value = Json> {
    proptest::collection::vec(record_like(), 0..8)
        .prop_map(|records| serde_json::json!({ "instance_dr_relations": records }))
}

/// Checks one entry decoded from `input`: a malformed one keeps `input` as
/// its raw value; a valid one survives a round trip.
fn check_entry<T>(entry: &Lenient<T>, input: &Json) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match entry {
        Lenient::Malformed(Malformed { error, raw }) => {
            prop_assert!(!error.is_empty());
            prop_assert_eq!(&serde_json::to_value(raw).unwrap(), input);
        }
        Lenient::Valid(value) => {
            let again: T = serde_json::from_value(serde_json::to_value(value).unwrap()).unwrap();
            prop_assert_eq!(&again, value);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn valid_responses_round_trip(response in response()) {
        let bytes = serde_json::to_vec(&response).unwrap();
        let decoded: ListDrRelationsResponse = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&decoded, &response);
        let from_value: ListDrRelationsResponse =
            serde_json::from_value(serde_json::to_value(&response).unwrap()).unwrap();
        prop_assert_eq!(&from_value, &response);
    }

    #[test]
    fn captures_round_trip(
        response in response(),
        region in "[a-z]{2}-[a-z]{4,9}-[0-9]{1,3}",
        project_id in "[0-9a-f]{32}",
        fetched_at in proptest::option::of("20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z"),
    ) {
        let capture = Capture {
            source: rds_dr_model::Source::new(region, project_id),
            fetched_at,
            response,
        };
        let text = serde_json::to_string(&capture).unwrap();
        prop_assert_eq!(serde_json::from_str::<Capture>(&text).unwrap(), capture);
    }

    /// Any JSON value is a valid or a malformed entry, never an error, and
    /// the same from text as from a `serde_json::Value`.
    #[test]
    fn any_value_is_a_valid_or_malformed_entry(value in prop_oneof![record_like(), json_value()]) {
        let text = value.to_string();
        let value: Json = serde_json::from_str(&text).unwrap();
        let record: Lenient<InstanceDrRelation> = serde_json::from_str(&text).unwrap();
        check_entry(&record, &value)?;
        let from_value: Lenient<InstanceDrRelation> = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(
            serde_json::to_value(&from_value).unwrap(),
            serde_json::to_value(&record).unwrap()
        );
        prop_assert_eq!(from_value.is_valid(), record.is_valid());
        prop_assert_eq!(from_value.malformed().map(|m| &m.error), record.malformed().map(|m| &m.error));
        let peer: Lenient<DrPeer> = serde_json::from_str(&text).unwrap();
        check_entry(&peer, &value)?;
    }

    /// A body with junk in random places: every entry is kept, each bad one
    /// with its raw value, and re-encoding then decoding changes nothing.
    #[test]
    fn bad_entries_never_cost_good_ones(body in body_like()) {
        let text = body.to_string();
        let body: Json = serde_json::from_str(&text).unwrap();
        let decoded: ListDrRelationsResponse = serde_json::from_str(&text).unwrap();
        let inputs = body["instance_dr_relations"].as_array().unwrap();
        prop_assert_eq!(decoded.instance_dr_relations.len(), inputs.len());
        for (entry, input) in decoded.instance_dr_relations.iter().zip(inputs) {
            check_entry(entry, input)?;
            if let Lenient::Valid(record) = entry {
                let peers = input.get("slave_instances").and_then(Json::as_array);
                prop_assert_eq!(record.slave_instances.len(), peers.map_or(0, Vec::len));
                for (peer, input) in record.slave_instances.iter().zip(peers.into_iter().flatten()) {
                    check_entry(peer, input)?;
                }
                if let (Some(master), Some(input)) = (&record.master_instance, input.get("master_instance")) {
                    check_entry(master, input)?;
                }
            }
        }
        let again: ListDrRelationsResponse =
            serde_json::from_slice(&serde_json::to_vec(&decoded).unwrap()).unwrap();
        prop_assert_eq!(again, decoded);
    }

    /// Arbitrary JSON values as whole documents: no panic, and text and
    /// `serde_json::Value` agree.
    #[test]
    fn decoding_any_document_never_panics(value in prop_oneof![body_like(), json_value()]) {
        let text = value.to_string();
        let value: Json = serde_json::from_str(&text).unwrap();
        let from_str = serde_json::from_str::<ListDrRelationsResponse>(&text);
        let from_value = serde_json::from_value::<ListDrRelationsResponse>(value);
        prop_assert_eq!(from_str.is_ok(), from_value.is_ok());
        if let (Ok(a), Ok(b)) = (from_str, from_value) {
            // Raw objects from a `serde_json::Value` have sorted members.
            prop_assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
        }
        let _ = serde_json::from_str::<Capture>(&text);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<ListDrRelationsResponse>(&bytes);
        let _ = serde_json::from_slice::<Capture>(&bytes);
        let _ = serde_json::from_slice::<Lenient<InstanceDrRelation>>(&bytes);
        let _ = serde_json::from_slice::<rds_dr_model::Value>(&bytes);
    }

    /// The seed body with random bytes changed, inserted or removed: no
    /// panic; whatever decodes re-encodes and decodes to itself.
    #[test]
    fn decoding_a_damaged_body_never_panics(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0..3u8), 1..6)
    ) {
        let mut bytes = SEED_EXAMPLE.as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => bytes.push(byte),
            }
        }
        if let Ok(decoded) = serde_json::from_slice::<ListDrRelationsResponse>(&bytes) {
            let again: ListDrRelationsResponse =
                serde_json::from_slice(&serde_json::to_vec(&decoded).unwrap()).unwrap();
            prop_assert_eq!(again, decoded);
        }
    }
}
