//! `capture_json` (borrowed fast path) must mean exactly what decoding a
//! `Capture` with the model, checking its `source` (`Source::validate`) and
//! calling `capture` means, on any input.

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

fn assert_same(docs: &[Vec<u8>]) {
    match both(docs) {
        (Some(f), Some(s)) => {
            assert_eq!(f.report(), s.report());
            assert_eq!(f.view(), s.view());
        }
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
    assert!(fast.expect("decodes").findings().len() >= fleet.defects.len());
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
