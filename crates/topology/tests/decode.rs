//! `capture_json` (borrowed fast path) must mean exactly what decoding a
//! `Capture` with the model, checking its `source` (`Source::validate`) and
//! calling `capture` means, on any input: the same claims (every edge with
//! every claim, every location claim of every instance), the same nodes,
//! groups, findings and view. Fields the model does not know, added
//! anywhere, change nothing.

use proptest::prelude::*;
use rds_dr_model::Capture;
use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_topology::Topology;
use serde_json::{Value, json};

/// Both ways; `None` when the document is rejected (both must agree).
fn both(docs: &[Vec<u8>]) -> (Option<Topology>, Option<Topology>) {
    let mut fast = Topology::builder();
    let mut slow = Topology::builder();
    let (mut fast_ok, mut slow_ok) = (true, true);
    for doc in docs {
        fast_ok &= fast.capture_json(doc).is_ok();
        match serde_json::from_slice::<Capture>(doc) {
            Ok(c) if c.source.validate().is_ok() => {
                slow.capture(c);
            }
            _ => slow_ok = false,
        }
    }
    (fast_ok.then(|| fast.build()), slow_ok.then(|| slow.build()))
}

/// Every claim of `a` and `b` is the same, and so is what they make.
fn assert_same_topology(a: &Topology, b: &Topology) {
    assert_eq!(a.edges().collect::<Vec<_>>(), b.edges().collect::<Vec<_>>());
    assert_eq!(a.nodes().collect::<Vec<_>>(), b.nodes().collect::<Vec<_>>());
    for node in a.nodes() {
        assert_eq!(
            a.location_claims(node.id),
            b.location_claims(node.id),
            "location claims about {}",
            node.id
        );
    }
    assert_eq!(
        a.sources().collect::<Vec<_>>(),
        b.sources().collect::<Vec<_>>()
    );
    assert_eq!(
        a.groups().collect::<Vec<_>>(),
        b.groups().collect::<Vec<_>>()
    );
    assert_eq!(a.report(), b.report());
    assert_eq!(a.view(), b.view());
}

fn assert_same(docs: &[Vec<u8>]) {
    match both(docs) {
        (Some(f), Some(s)) => assert_same_topology(&f, &s),
        (None, None) => {}
        (f, s) => panic!("fast ok: {}, model ok: {}", f.is_some(), s.is_some()),
    }
}

#[test]
fn generated_fleet_with_every_defect_decodes_the_same() {
    let fleet = generate(
        &FleetSpec::new()
            .seed(11)
            .primaries(80)
            .cascaded(3)
            .standalone(2)
            .every_defect(3),
    );
    let docs: Vec<Vec<u8>> = fleet
        .captures
        .iter()
        .map(|c| serde_json::to_vec(c).expect("json"))
        .collect();
    assert_same(&docs);
    let (fast, _) = both(&docs);
    let fast = fast.expect("decodes");
    assert!(fast.findings().len() >= fleet.defects.len());
    // The comparison has something to compare: claims of both sides, and
    // location claims from records and peers.
    assert!(fast.edges().any(|e| e.claims.len() >= 2));
    assert!(fast.nodes().any(|n| fast.location_claims(n.id).len() >= 2));

    // Unknown fields on every record and peer change nothing.
    let with_unknown: Vec<Vec<u8>> = fleet
        .captures
        .iter()
        .map(|c| {
            let mut doc = serde_json::to_value(c).expect("json");
            add_unknown_fields(&mut doc);
            serde_json::to_vec(&doc).expect("json")
        })
        .collect();
    assert_same(&with_unknown);
    let (unknown, _) = both(&with_unknown);
    assert_same_topology(&fast, &unknown.expect("decodes"));
}

/// Fields the model does not know, on the envelope, the response, every
/// record and every peer object.
fn add_unknown_fields(doc: &mut Value) {
    let extra = || json!({"tags": ["a", 1.5, -2, true, null, {}], "note": "say \"hi\"\n\u{e9}"});
    let add = |v: &mut Value, k: usize| {
        if let Some(members) = v.as_object_mut() {
            members.insert(format!("unknown_{k}"), extra());
            members.insert("status".to_owned(), json!("normal"));
        }
    };
    add(doc, 0);
    add(&mut doc["response"], 1);
    if let Some(records) = doc["response"]["instance_dr_relations"].as_array_mut() {
        for (k, record) in records.iter_mut().enumerate() {
            if let Some(master) = record.get_mut("master_instance") {
                add(master, k);
            }
            if let Some(slaves) = record
                .get_mut("slave_instances")
                .and_then(Value::as_array_mut)
            {
                for slave in slaves {
                    add(slave, k);
                }
            }
            add(record, k);
        }
    }
}

#[test]
fn odd_documents() {
    let cases = [
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}}),
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "response": null}),
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "response": {"instance_dr_relations": null}}),
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "response": {"instance_dr_relations": "x"}}),
        json!({"source": {"region": "cn-north-4"}, "response": {}}),
        json!({"source": {"region": "r", "project_id": "p"}, "response": {}}),
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "fetched_at": 5}),
        json!({"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "extra": [1, {"a": null}],
        "response": {"instance_dr_relations": [
            {"instance_id": "a\u{e9}\"b", "slave_instances": [{"instance_id": "c\\d", "region": "x"}]},
            {"instance_id": "e", "master_instance": {"instance_id": "f", "project_name": "\u{1F600}"}},
            {"instance_id": "g", "master_instance": [1], "slave_instances": [null, {}, 3]},
            ["h", null, []],
            {"instance_id": "i", "instance_id": "j"}
        ]}}),
        json!([1, 2]),
    ];
    for case in cases {
        assert_same(&[serde_json::to_vec(&case).expect("json")]);
    }
    assert_same(&[b"{\"source\": ".to_vec()]);
    assert_same(&[b"\xff\xfe".to_vec()]);
    // Escapes in a record send the fast path back to the model: same result.
    assert_same(&[br#"{"source":{"region":"cn-north-4","project_id":"0483b6b16e954cb88930a360d2c4e663"},"response":{"instance_dr_relations":[
        {"instance_id":"x\u0031","slave_instances":[{"instance_id":"y","region":"s","project_id":"q"}]}]}}"#
        .to_vec()]);
}

/// Replaces the value at a pseudo-random position with `replacement`.
fn mutate(value: &mut Value, mut pick: usize, replacement: &Value) -> usize {
    if pick == 0 {
        *value = replacement.clone();
        return 0;
    }
    pick -= 1;
    match value {
        Value::Array(items) => {
            for item in items {
                pick = mutate(item, pick, replacement);
                if pick == 0 {
                    return 0;
                }
            }
        }
        Value::Object(members) => {
            for (_, item) in members.iter_mut() {
                pick = mutate(item, pick, replacement);
                if pick == 0 {
                    return 0;
                }
            }
        }
        _ => {}
    }
    pick
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(42)),
        Just(json!(-1.5)),
        Just(json!(true)),
        Just(json!("")),
        Just(json!("  ")),
        Just(json!("esc\"aped\\")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"instance_id": "zz"}])),
        Just(json!({"instance_id": "zz", "region": "r9", "project_id": "p9"})),
        "[a-f0-9]{1,36}".prop_map(Value::String),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_captures_decode_the_same(
        seed in any::<u64>(),
        mutations in proptest::collection::vec((any::<usize>(), any::<prop::sample::Index>(), replacement()), 1..4),
    ) {
        let fleet = generate(&FleetSpec::new().seed(seed).region_count(2).projects_per_region(1).primaries(4).cascaded(1));
        let mut docs: Vec<Value> = fleet.captures.iter().map(|c| serde_json::to_value(c).expect("json")).collect();
        for (pick, which, replacement) in &mutations {
            let doc = which.get_mut(&mut docs);
            // Small picks hit the envelope and early records more often.
            mutate(doc, 1 + pick % 60, replacement);
        }
        let bytes: Vec<Vec<u8>> = docs.iter().map(|d| serde_json::to_vec(d).expect("json")).collect();
        assert_same(&bytes);
    }
}

/// Where each object of compact JSON `bytes` opens (outside strings).
fn object_starts(bytes: &[u8]) -> Vec<usize> {
    let (mut in_string, mut escaped) = (false, false);
    let mut starts = Vec::new();
    for (at, &c) in bytes.iter().enumerate() {
        if in_string {
            in_string = escaped || c != b'"';
            escaped = !escaped && c == b'\\';
        } else if c == b'"' {
            in_string = true;
        } else if c == b'{' {
            starts.push(at);
        }
    }
    starts
}

/// Raw JSON values, some of which the model refuses (a number out of
/// `f64`'s range, a lone surrogate, nesting past serde_json's limit).
fn raw_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("-0.5".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("1e5".to_owned()),
        Just("1e999".to_owned()),
        Just(r#""\ud800""#.to_owned()),
        Just(r#""\ud83d\ude00""#.to_owned()),
        Just(r#""a\"b\\c\u00e9""#.to_owned()),
        Just(r#"{"instance_id": "zz", "x": [1, {}]}"#.to_owned()),
        Just(format!("{}{}", "[".repeat(130), "]".repeat(130))),
        "[a-f0-9]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn unknown_fields_anywhere_decode_the_same(
        seed in any::<u64>(),
        inserts in proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                prop::sample::select(&["x", "status", "\u{e9}t\u{e9}", "region", "instance_id"][..]),
                raw_value(),
            ),
            1..6,
        ),
    ) {
        let fleet = generate(&FleetSpec::new().seed(seed).region_count(2).projects_per_region(1).primaries(4).cascaded(1));
        let mut docs: Vec<Vec<u8>> = fleet.captures.iter().map(|c| serde_json::to_vec(c).expect("json")).collect();
        for (which, place, key, value) in &inserts {
            let doc = which.get_mut(&mut docs);
            let starts = object_starts(doc);
            let at = starts[place.index(starts.len())] + 1;
            let comma = if doc.get(at) == Some(&b'}') { "" } else { "," };
            let member = format!("\"{key}\":{value}{comma}");
            doc.splice(at..at, member.into_bytes());
        }
        assert_same(&docs);
    }
}
