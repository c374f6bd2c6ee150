//! Lenient decoding: unknown fields, `null`, absence, and records of the
//! wrong shape.

use rds_dr_model::{
    DrPeer, ErrorResponse, InstanceDrRelation, Lenient, ListDrRelationsResponse, Malformed, Value,
};

use crate::seed::SEED_EXAMPLE;
use crate::{decode, encode, json};

#[track_caller]
fn check(body: &str, expected: &ListDrRelationsResponse) {
    assert_eq!(&decode(body), expected, "decoding {body}");
}

fn record(id: &str) -> InstanceDrRelation {
    InstanceDrRelation {
        instance_id: Some(id.to_owned()),
        ..InstanceDrRelation::default()
    }
}

fn peer(id: &str) -> DrPeer {
    DrPeer {
        instance_id: Some(id.to_owned()),
        ..DrPeer::default()
    }
}

fn response(records: Vec<Lenient<InstanceDrRelation>>) -> ListDrRelationsResponse {
    ListDrRelationsResponse {
        instance_dr_relations: records,
    }
}

/// The malformed entry (record or peer), with a readable failure.
#[track_caller]
fn malformed<T: std::fmt::Debug>(entry: &Lenient<T>) -> &Malformed {
    entry
        .malformed()
        .unwrap_or_else(|| panic!("expected a malformed entry, got {entry:?}"))
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let body = r#"{
        "instance_dr_relations": [
            {"instance_id": "p1", "engine": {"type": "PostgreSQL", "version": [12, 1]},
             "slave_instances": [{"instance_id": "d1", "region": "r2", "status": "ACTIVE", "lag": 0.5}],
             "master_instance": {"instance_id": "p0", "extra": null, "nested": {"deep": [true]}}}
        ],
        "total_count": 1,
        "links": [{"rel": "self"}]
    }"#;
    let expected = response(vec![Lenient::Valid(InstanceDrRelation {
        instance_id: Some("p1".into()),
        master_instance: Some(Lenient::Valid(peer("p0"))),
        slave_instances: vec![Lenient::Valid(DrPeer {
            region: Some("r2".into()),
            ..peer("d1")
        })],
    })]);
    check(body, &expected);
}

#[test]
fn null_for_every_field_is_absent() {
    check(r#"{"instance_dr_relations": null}"#, &response(vec![]));
    check(
        r#"{"instance_dr_relations": [
            {"instance_id": null, "master_instance": null, "slave_instances": null},
            {"instance_id": "p1", "slave_instances": [
                {"instance_id": null, "region": null, "project_id": null, "project_name": null}]},
            {"instance_id": "d1", "master_instance":
                {"instance_id": null, "region": null, "project_id": null, "project_name": null}}
        ]}"#,
        &response(vec![
            Lenient::Valid(InstanceDrRelation::default()),
            Lenient::Valid(InstanceDrRelation {
                slave_instances: vec![Lenient::Valid(DrPeer::default())],
                ..record("p1")
            }),
            Lenient::Valid(InstanceDrRelation {
                master_instance: Some(Lenient::Valid(DrPeer::default())),
                ..record("d1")
            }),
        ]),
    );
}

#[test]
fn absent_fields_and_arrays_are_empty() {
    check("{}", &response(vec![]));
    check(r#"{"instance_dr_relations": []}"#, &response(vec![]));
    check(
        r#"{"instance_dr_relations": [{}, {"slave_instances": [{}]}]}"#,
        &response(vec![
            Lenient::Valid(InstanceDrRelation::default()),
            Lenient::Valid(InstanceDrRelation {
                slave_instances: vec![Lenient::Valid(DrPeer::default())],
                ..InstanceDrRelation::default()
            }),
        ]),
    );
}

#[test]
fn absent_values_are_not_encoded() {
    assert_eq!(encode(&ListDrRelationsResponse::default()), json("{}"));
    assert_eq!(
        encode(&response(vec![
            Lenient::Valid(InstanceDrRelation::default()),
            Lenient::Valid(record("p1")),
        ])),
        json(r#"{"instance_dr_relations": [{}, {"instance_id": "p1"}]}"#)
    );
}

/// Good records around bad ones of every kind: the bad ones are
/// `Malformed` at their index, the good ones intact, and re-encoding gives
/// the body back (the good records here have no unknown or `null` fields).
const MIXED: &str = r#"{"instance_dr_relations": [
    {"instance_id": "p1", "slave_instances": [{"instance_id": "d1", "region": "r2"}]},
    42,
    {"instance_id": "p2"},
    "not a record",
    {"instance_id": 7, "slave_instances": [{"instance_id": "d7"}], "note": "kept \"as is\" \u00e9"},
    {"instance_id": "d3", "master_instance": "p3"},
    {"instance_id": "p4", "slave_instances": [{"instance_id": "d4"}, 5, ["d5", "r5"], {"instance_id": "d6"}]},
    ["p5", null, []],
    {"instance_id": "p6", "slave_instances": "d8"},
    {"instance_id": "p7", "master_instance": {"instance_id": "p8", "region": false}},
    {"instance_id": "last", "master_instance": {"instance_id": "p9", "region": "r9"}}
]}"#;

#[test]
fn one_bad_record_never_loses_the_good_ones() {
    let decoded = decode(MIXED);
    let records = &decoded.instance_dr_relations;
    assert_eq!(records.len(), 11, "every entry is kept, good or bad");

    let original = json(MIXED);
    let raw_of = |i: usize| original["instance_dr_relations"][i].clone();

    // 0, 2: good.
    assert_eq!(
        records[0],
        Lenient::Valid(InstanceDrRelation {
            slave_instances: vec![Lenient::Valid(DrPeer {
                region: Some("r2".into()),
                ..peer("d1")
            })],
            ..record("p1")
        })
    );
    assert_eq!(records[2], Lenient::Valid(record("p2")));

    // 1: a number.
    let m = malformed(&records[1]);
    assert_eq!(m.raw, Value::U64(42));
    assert_eq!(
        m.error,
        "invalid type: integer `42`, expected struct InstanceDrRelation"
    );

    // 3: a string.
    let m = malformed(&records[3]);
    assert_eq!(m.raw, Value::String("not a record".into()));
    assert_eq!(
        m.error,
        r#"invalid type: string "not a record", expected struct InstanceDrRelation"#
    );

    // 4: instance_id is a number: the whole record is malformed; the error
    // says which field, the raw value keeps every member in order.
    let m = malformed(&records[4]);
    assert_eq!(
        m.error,
        "instance_id: invalid type: integer `7`, expected a string"
    );
    assert_eq!(encode(&m.raw), raw_of(4));
    let Value::Object(members) = &m.raw else {
        panic!("raw record is not an object: {:?}", m.raw);
    };
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["instance_id", "slave_instances", "note"]);
    assert_eq!(members[2].1, Value::String("kept \"as is\" é".into()));

    // 5: master_instance is a string: the record stands, the peer is malformed.
    let Lenient::Valid(r5) = &records[5] else {
        panic!("record 5 should stand: {:?}", records[5]);
    };
    assert_eq!(r5.instance_id.as_deref(), Some("d3"));
    let m = malformed(
        r5.master_instance
            .as_ref()
            .expect("master_instance is kept"),
    );
    assert_eq!(m.raw, Value::String("p3".into()));
    assert_eq!(
        m.error,
        r#"invalid type: string "p3", expected struct DrPeer"#
    );

    // 6: two bad peers among good ones: a number and an array.
    let Lenient::Valid(r6) = &records[6] else {
        panic!("record 6 should stand: {:?}", records[6]);
    };
    let peers = &r6.slave_instances;
    assert_eq!(peers.len(), 4);
    assert_eq!(peers[0], Lenient::Valid(peer("d4")));
    assert_eq!(malformed(&peers[1]).raw, Value::U64(5));
    assert_eq!(
        malformed(&peers[1]).error,
        "invalid type: integer `5`, expected struct DrPeer"
    );
    let m = malformed(&peers[2]);
    assert_eq!(
        m.raw,
        Value::Array(vec![Value::String("d5".into()), Value::String("r5".into())])
    );
    assert_eq!(m.error, "invalid type: sequence, expected struct DrPeer");
    assert_eq!(peers[3], Lenient::Valid(peer("d6")));

    // 7: a record that is an array, not an object (serde would happily
    // read a struct from a sequence by position: it must not).
    let m = malformed(&records[7]);
    assert_eq!(
        m.error,
        "invalid type: sequence, expected struct InstanceDrRelation"
    );
    assert_eq!(encode(&m.raw), raw_of(7));

    // 8: slave_instances is not an array: the record is malformed.
    let m = malformed(&records[8]);
    assert!(
        m.error
            .starts_with(r#"slave_instances: invalid type: string "d8", expected a sequence"#),
        "{}",
        m.error
    );
    assert_eq!(encode(&m.raw), raw_of(8));

    // 9: a bad field inside the peer: the peer is malformed, the record stands.
    let Lenient::Valid(r9) = &records[9] else {
        panic!("record 9 should stand: {:?}", records[9]);
    };
    let m = malformed(
        r9.master_instance
            .as_ref()
            .expect("master_instance is kept"),
    );
    assert_eq!(
        m.error,
        "region: invalid type: boolean `false`, expected a string"
    );
    assert_eq!(
        encode(&m.raw),
        json(r#"{"instance_id": "p8", "region": false}"#)
    );

    // 10: good, after all of that.
    assert_eq!(
        records[10],
        Lenient::Valid(InstanceDrRelation {
            master_instance: Some(Lenient::Valid(DrPeer {
                region: Some("r9".into()),
                ..peer("p9")
            })),
            ..record("last")
        })
    );

    // Re-encoding gives every malformed raw value back unchanged.
    assert_eq!(encode(&decoded), original);
}

#[test]
fn malformed_records_decode_the_same_from_every_source() {
    let from_str = decode(MIXED);
    let from_reader: ListDrRelationsResponse = serde_json::from_reader(MIXED.as_bytes()).unwrap();
    assert_eq!(from_reader, from_str);
    // A `serde_json::Value` has already sorted the members of its objects,
    // so raw objects differ in order only: compare as JSON values, and the
    // errors one by one.
    let from_value: ListDrRelationsResponse = serde_json::from_value(json(MIXED)).unwrap();
    assert_eq!(encode(&from_value), encode(&from_str));
    let errors = |r: &ListDrRelationsResponse| -> Vec<Option<String>> {
        r.instance_dr_relations
            .iter()
            .map(|e| e.malformed().map(|m| m.error.clone()))
            .collect()
    };
    assert_eq!(errors(&from_value), errors(&from_str));
}

#[test]
fn duplicate_fields_make_a_record_malformed_and_survive_re_encoding() {
    let body =
        r#"{"instance_dr_relations":[{"instance_id":"a","instance_id":"b"},{"instance_id":"c"}]}"#;
    let decoded = decode(body);
    let m = malformed(&decoded.instance_dr_relations[0]);
    assert_eq!(m.error, "duplicate field `instance_id`");
    assert_eq!(
        decoded.instance_dr_relations[1],
        Lenient::Valid(record("c"))
    );
    // Both members are kept, in order: the re-encoded text is the input.
    assert_eq!(serde_json::to_string(&decoded).unwrap(), body);
}

#[test]
fn raw_numbers_keep_their_kind() {
    let body = r#"{"instance_dr_relations": [
        {"instance_id": -1.5e300, "a": -5, "b": 18446744073709551615, "c": 0.25, "d": [true, null]}
    ]}"#;
    let decoded = decode(body);
    let m = malformed(&decoded.instance_dr_relations[0]);
    assert_eq!(
        m.raw,
        Value::Object(vec![
            ("instance_id".into(), Value::F64(-1.5e300)),
            ("a".into(), Value::I64(-5)),
            ("b".into(), Value::U64(u64::MAX)),
            ("c".into(), Value::F64(0.25)),
            (
                "d".into(),
                Value::Array(vec![Value::Bool(true), Value::Null])
            ),
        ])
    );
    assert_eq!(encode(&decoded), json(body));
}

#[test]
fn a_truncated_body_is_an_error_not_a_panic() {
    for end in 0..SEED_EXAMPLE.len() {
        let cut = &SEED_EXAMPLE[..end];
        match serde_json::from_str::<ListDrRelationsResponse>(cut) {
            Ok(v) => panic!("a body cut at byte {end} decoded: {v:?}"),
            Err(e) => assert!(e.is_eof(), "cut at byte {end}: {e}"),
        }
    }
    // Cut inside a malformed record: still an error, never a Malformed.
    for cut in [
        r#"{"instance_dr_relations": [42, {"instance_id": 7"#,
        r#"{"instance_dr_relations": [{"instance_id": 7, "x": [1, {"#,
        r#"{"instance_dr_relations": [{"instance_id": "a", "master_instance": "p"#,
    ] {
        let err = serde_json::from_str::<ListDrRelationsResponse>(cut).unwrap_err();
        assert!(err.is_eof(), "{cut}: {err}");
    }
}

#[test]
fn a_syntax_error_inside_a_record_fails_the_whole_body() {
    for body in [
        r#"{"instance_dr_relations": [{"instance_id": "a" "b"}, {"instance_id": "c"}]}"#,
        r#"{"instance_dr_relations": [{"instance_id": 7, "x": [1,, 2]}, {"instance_id": "c"}]}"#,
        r#"{"instance_dr_relations": [{"master_instance": {"region": tru}}]}"#,
        r#"{"instance_dr_relations": [{"slave_instances": [{"region": "r"}, 5 6]}]}"#,
    ] {
        let err = serde_json::from_str::<ListDrRelationsResponse>(body).unwrap_err();
        assert!(err.is_syntax(), "{body}: {err}");
    }
}

#[test]
fn the_huawei_error_body_decodes() {
    let body = r#"{"error_code": "DBS.200001", "error_msg": "Invalid parameter.",
                   "request_id": null, "details": {"x": 1}}"#;
    let error: ErrorResponse = serde_json::from_str(body).unwrap();
    assert_eq!(
        error,
        ErrorResponse {
            error_code: Some("DBS.200001".into()),
            error_msg: Some("Invalid parameter.".into()),
            request_id: None,
            encoded_authorization_message: None,
        }
    );
}

#[test]
fn lenient_accessors() {
    let valid: Lenient<DrPeer> = peer("d1").into();
    assert!(valid.is_valid());
    assert_eq!(valid.valid(), Some(&peer("d1")));
    assert_eq!(valid.malformed(), None);
    assert_eq!(valid.clone().into_valid(), Some(peer("d1")));

    let bad = Lenient::<DrPeer>::Malformed(Malformed {
        error: "nope".into(),
        raw: Value::Bool(true),
    });
    assert!(!bad.is_valid());
    assert_eq!(bad.valid(), None);
    assert_eq!(bad.malformed().map(|m| m.error.as_str()), Some("nope"));
    assert_eq!(bad.into_valid(), None);
}

#[test]
fn value_decodes_and_encodes_any_json() {
    let text = r#"{"b": [1, -2, 3.5, "x", null, true, {}], "a": {"z": {}, "y": []}}"#;
    let value: Value = serde_json::from_str(text).unwrap();
    let Value::Object(members) = &value else {
        panic!("{value:?}");
    };
    assert_eq!(members[0].0, "b", "members keep their order");
    assert_eq!(encode(&value), json(text));
    // From a `serde_json::Value` (members already sorted): the same JSON value.
    let from_value = serde_json::from_value::<Value>(json(text)).unwrap();
    assert_eq!(encode(&from_value), json(text));
}

#[test]
fn deep_nesting_is_kept_up_to_the_parser_limit_and_an_error_beyond() {
    // serde_json allows 127 levels of nesting; the body and the record use 3.
    let nested = |depth: usize| {
        format!(
            r#"{{"instance_dr_relations": [{{"instance_id": 7, "x": {}{}}}, {{"instance_id": "ok"}}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let body = nested(124);
    let decoded = decode(&body);
    let m = malformed(&decoded.instance_dr_relations[0]);
    assert_eq!(
        m.error,
        "instance_id: invalid type: integer `7`, expected a string"
    );
    assert_eq!(encode(&decoded), json(&body));
    assert_eq!(
        decoded.instance_dr_relations[1],
        Lenient::Valid(record("ok"))
    );

    // The same depth inside a peer, which has its own recording.
    let body = format!(
        r#"{{"instance_dr_relations": [{{"slave_instances": [{{"region": 1, "x": {}{}}}]}}]}}"#,
        "[".repeat(122),
        "]".repeat(122)
    );
    let decoded = decode(&body);
    assert_eq!(encode(&decoded), json(&body));

    let err = serde_json::from_str::<ListDrRelationsResponse>(&nested(200)).unwrap_err();
    assert!(
        err.to_string().starts_with("recursion limit exceeded"),
        "{err}"
    );
}

/// A type that contains itself through an array, as the generator allows:
/// its decoder instantiates finitely and keeps bad entries at every level.
#[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
struct Node {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    children: Vec<Lenient<Node>>,
}

#[test]
fn recursive_types_decode_with_bad_entries_at_any_depth() {
    let body = r#"{"name": "root", "children": [
        {"name": "a", "children": [{"name": "a1"}, {"name": 5}]},
        "junk",
        {"name": "b", "children": [{"children": [{"name": ["deep"]}]}]}
    ]}"#;
    let root: Node = serde_json::from_str(body).unwrap();
    let a = root.children[0].valid().expect("a decodes");
    assert_eq!(
        a.children[0].valid().and_then(|n| n.name.as_deref()),
        Some("a1")
    );
    assert_eq!(
        malformed(&a.children[1]).error,
        "name: invalid type: integer `5`, expected a string"
    );
    assert_eq!(
        malformed(&root.children[1]).raw,
        Value::String("junk".into())
    );
    let b = root.children[2].valid().expect("b decodes");
    let b0 = b.children[0].valid().expect("b's child decodes");
    assert_eq!(
        malformed(&b0.children[0]).error,
        "name: invalid type: sequence, expected a string"
    );
    assert_eq!(encode(&root), json(body));
}

/// Deserializers that present a newtype struct as its content (serde's own
/// value deserializers) hand the value straight to `Lenient`.
#[test]
fn other_deserializers_decode_lenient_values_too() {
    use serde::Deserialize;
    use serde::de::value::{Error, MapDeserializer, StrDeserializer, U64Deserializer};

    let decoded = Lenient::<DrPeer>::deserialize(MapDeserializer::<_, Error>::new(
        [("instance_id", "d1"), ("region", "r1")].into_iter(),
    ))
    .unwrap();
    assert_eq!(
        decoded,
        Lenient::Valid(DrPeer {
            region: Some("r1".into()),
            ..peer("d1")
        })
    );
    let bad = Lenient::<DrPeer>::deserialize(StrDeserializer::<Error>::new("d1")).unwrap();
    assert_eq!(malformed(&bad).raw, Value::String("d1".into()));
    assert_eq!(
        malformed(&bad).error,
        r#"invalid type: string "d1", expected struct DrPeer"#
    );
    let bad = Lenient::<InstanceDrRelation>::deserialize(U64Deserializer::<Error>::new(3)).unwrap();
    assert_eq!(malformed(&bad).raw, Value::U64(3));
}
