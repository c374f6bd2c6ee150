//! `diff`: the contract's cases, snapshots of the text and the JSON, and
//! order independence (proptest).

use proptest::prelude::*;
use rds_dr_model::Capture;
use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_topology::diff::{Diff, diff};
use rds_dr_topology::{Code, Topology};
use serde_json::{Value, json};

const PA: &str = "0483b6b16e954cb88930a360d2c4e663";
const PB: &str = "08fd4e669e00d57d2ffec01352c7cb77";
const PC: &str = "054b61972980d4552f0bc00ac8d3f5cd";

fn region(project: &str) -> &'static str {
    match project {
        PA => "cn-north-4",
        PB => "ap-southeast-1",
        PC => "cn-east-3",
        _ => "xx-unknown-1",
    }
}

fn cap(project: &str, records: Value) -> Capture {
    serde_json::from_value(json!({
        "source": {"region": region(project), "project_id": project},
        "response": {"instance_dr_relations": records},
    }))
    .expect("test capture decodes")
}

fn peer(id: &str, project: &str) -> Value {
    json!({"instance_id": id, "region": region(project), "project_id": project,
           "project_name": format!("name-{project}")})
}

fn primary(id: &str, drs: &[(&str, &str)]) -> Value {
    json!({"instance_id": id,
           "slave_instances": drs.iter().map(|(d, p)| peer(d, p)).collect::<Vec<_>>()})
}

fn dr(id: &str, master: &str, master_project: &str) -> Value {
    json!({"instance_id": id, "master_instance": peer(master, master_project)})
}

fn build<'a>(captures: impl IntoIterator<Item = &'a Capture>) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    builder.build()
}

fn diff_of(old: &[Capture], new: &[Capture]) -> Diff {
    diff(&build(old), &build(new))
}

/// p1 (PA) with DRs d1 and d2 (both PC), both sides captured.
fn fleet() -> Vec<Capture> {
    vec![
        cap(PA, json!([primary("p1", &[("d1", PC), ("d2", PC)])])),
        cap(PC, json!([dr("d1", "p1", PA), dr("d2", "p1", PA)])),
    ]
}

fn summary(d: &Diff) -> Value {
    serde_json::to_value(d).expect("serialises")["summary"].clone()
}

#[test]
fn identical_inputs_differ_in_nothing() {
    let d = diff_of(&fleet(), &fleet());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(d.events().count(), 0);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        json,
        json!({"format_version": "1",
               "summary": {"nodes_added": 0, "nodes_removed": 0, "nodes_changed": 0,
                           "edges_added": 0, "edges_removed": 0, "edges_changed": 0,
                           "findings_raised": 0, "findings_resolved": 0},
               "nodes": {"added": [], "removed": [], "changed": []},
               "edges": {"added": [], "removed": [], "changed": []},
               "findings": {"raised": [], "resolved": []}})
    );
    assert_eq!(
        d.to_string(),
        "No changes: the same nodes, edges and findings.\n"
    );
    // With findings on both sides, still the same.
    let half = [fleet()[0].clone()];
    assert!(diff_of(&half, &half).is_empty());
}

#[test]
fn an_edge_removed_from_both_sides_removes_the_edge_and_its_lone_dr() {
    let new = [
        cap(PA, json!([primary("p1", &[("d1", PC)])])),
        cap(PC, json!([dr("d1", "p1", PA)])),
    ];
    let d = diff_of(&fleet(), &new);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        json["edges"]["removed"],
        json!([{"source": "p1", "target": "d2"}])
    );
    assert_eq!(json["nodes"]["removed"], json!([{"id": "d2"}]));
    assert_eq!(
        summary(&d),
        json!({"nodes_added": 0, "nodes_removed": 1, "nodes_changed": 0,
               "edges_added": 0, "edges_removed": 1, "edges_changed": 0,
               "findings_raised": 0, "findings_resolved": 0})
    );
    // Backwards, the same edge and node are added.
    let back = diff_of(&new, &fleet());
    assert_eq!(back.edges.added.len(), 1);
    assert_eq!(back.nodes.added[0].id, "d2");
}

#[test]
fn an_edge_going_from_confirmed_to_primary_only() {
    // d2's side no longer names p1 (its project is still captured).
    let new = [
        cap(PA, json!([primary("p1", &[("d1", PC), ("d2", PC)])])),
        cap(PC, json!([dr("d1", "p1", PA)])),
    ];
    let d = diff_of(&fleet(), &new);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        json["edges"]["changed"],
        json!([{"source": "p1", "target": "d2",
                "changes": [{"path": "status", "from": "confirmed", "to": "primary-only"}]}])
    );
    assert_eq!(d.findings.raised.len(), 1);
    assert_eq!(d.findings.raised[0].code, Code::UnconfirmedEdge);
    assert_eq!(d.findings.raised[0].instances, ["d2", "p1"]);
    assert!(d.findings.resolved.is_empty());
    assert_eq!(json["findings"]["raised"][0]["code"], "unconfirmed-edge");
    assert_eq!(json["findings"]["raised"][0]["severity"], "error");
    assert!(d.nodes.added.is_empty() && d.nodes.removed.is_empty() && d.nodes.changed.is_empty());
    let kinds: Vec<&str> = d.events().map(|e| e.kind()).collect();
    assert_eq!(kinds, ["edge-changed", "finding-raised"]);
}

#[test]
fn a_node_moving_region() {
    // d2 now lives in PB (ap-southeast-1), and both sides say so.
    let new = [
        cap(PA, json!([primary("p1", &[("d1", PC), ("d2", PB)])])),
        cap(PC, json!([dr("d1", "p1", PA)])),
        cap(PB, json!([dr("d2", "p1", PA)])),
    ];
    let d = diff_of(&fleet(), &new);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        json["nodes"]["changed"],
        json!([{"id": "d2", "changes": [
            {"path": "region", "from": "cn-east-3", "to": "ap-southeast-1"},
            {"path": "project_id", "from": PC, "to": PB},
            {"path": "project_name", "from": format!("name-{PC}"), "to": format!("name-{PB}")},
        ]}])
    );
    // Still cross-region and confirmed: the edge is the same.
    assert!(d.edges.changed.is_empty(), "{:?}", d.edges);
    assert!(d.findings.raised.is_empty() && d.findings.resolved.is_empty());

    // Moving into the primary's region changes the edge and raises a warning.
    let same = [
        cap(
            PA,
            json!([primary("p1", &[("d1", PC), ("d2", PA)]), dr("d2", "p1", PA)]),
        ),
        cap(PC, json!([dr("d1", "p1", PA)])),
    ];
    let d = diff_of(&fleet(), &same);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        json["edges"]["changed"],
        json!([{"source": "p1", "target": "d2",
                "changes": [{"path": "cross_region", "from": true, "to": false}]}])
    );
    assert_eq!(d.findings.raised[0].code, Code::SameRegionDr);
}

#[test]
fn a_finding_resolved() {
    // OLD: d2's project was not captured, so p1 -> d2 is unverified.
    let old = [
        cap(PA, json!([primary("p1", &[("d1", PB), ("d2", PC)])])),
        cap(PB, json!([dr("d1", "p1", PA)])),
    ];
    let new = [
        cap(PA, json!([primary("p1", &[("d1", PB), ("d2", PC)])])),
        cap(PB, json!([dr("d1", "p1", PA)])),
        cap(PC, json!([dr("d2", "p1", PA)])),
    ];
    let d = diff_of(&old, &new);
    assert_eq!(d.findings.resolved.len(), 1, "{:?}", d.findings);
    assert_eq!(d.findings.resolved[0].code, Code::UnverifiedEdge);
    assert_eq!(d.findings.resolved[0].instances, ["d2", "p1"]);
    assert!(d.findings.raised.is_empty());
    assert_eq!(d.edges.changed[0].changes[0].from, "unverified");
    assert_eq!(d.edges.changed[0].changes[0].to, "confirmed");
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(json["summary"]["findings_resolved"], 1);
    assert_eq!(json["findings"]["resolved"][0]["severity"], "info");
    assert!(d.to_string().contains("  - info unverified-edge: "), "{d}");
}

/// OLD and NEW with a change of every kind, for the snapshots.
fn every_kind() -> (Vec<Capture>, Vec<Capture>) {
    let old = vec![
        cap(
            PA,
            json!([primary("p1", &[("d1", PC), ("d2", PC)]), primary("p2", &[("d3", PB)]),
                   {"instance_id": "s1"}]),
        ),
        cap(PC, json!([dr("d1", "p1", PA), dr("d2", "p1", PA)])),
    ];
    let new = vec![
        cap(
            PA,
            json!([primary("p1", &[("d1", PC), ("d2", PB), ("d4", PC)]), {"instance_id": "s1"}]),
        ),
        cap(PC, json!([dr("d1", "p1", PA), dr("d4", "p1", PA)])),
        cap(PB, json!([])),
    ];
    (old, new)
}

#[test]
fn snapshot_text() {
    let (old, new) = every_kind();
    insta::assert_snapshot!("diff_text", diff_of(&old, &new).to_string());
}

#[test]
fn snapshot_json() {
    let (old, new) = every_kind();
    insta::assert_json_snapshot!("diff_json", diff_of(&old, &new));
}

#[test]
fn events_serialise_with_kind_first() {
    let (old, new) = every_kind();
    let d = diff_of(&old, &new);
    let lines: Vec<String> = d
        .events()
        .map(|e| serde_json::to_string(&e).expect("serialises"))
        .collect();
    let count = |kind: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("{{\"kind\":\"{kind}\"")))
            .count()
    };
    let s = d.summary;
    assert_eq!(count("node-added"), s.nodes_added);
    assert_eq!(count("node-removed"), s.nodes_removed);
    assert_eq!(count("node-changed"), s.nodes_changed);
    assert_eq!(count("edge-added"), s.edges_added);
    assert_eq!(count("edge-removed"), s.edges_removed);
    assert_eq!(count("edge-changed"), s.edges_changed);
    assert_eq!(count("finding-raised"), s.findings_raised);
    assert_eq!(count("finding-resolved"), s.findings_resolved);
    assert_eq!(lines.len(), d.events().count());
    assert!(lines.len() >= 8, "every kind is there: {lines:#?}");
    let raised = lines
        .iter()
        .find(|l| l.contains("finding-raised"))
        .expect("a raised finding");
    let raised: Value = serde_json::from_str(raised).expect("JSON");
    for key in ["code", "severity", "instances", "message", "details"] {
        assert!(raised.get(key).is_some(), "{key} in {raised}");
    }
}

/// A Fisher-Yates shuffle driven by SplitMix64 from `seed`.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        out.swap(i, j);
    }
    out
}

/// `diff(new, old)` is `diff(old, new)` turned around.
fn mirrored(d: &Diff) -> Value {
    let mut json = serde_json::to_value(d).expect("serialises");
    let swap = |json: &mut Value, group: &str, a: &str, b: &str| {
        let x = json[group][a].take();
        json[group][a] = json[group][b].take();
        json[group][b] = x;
    };
    swap(&mut json, "nodes", "added", "removed");
    swap(&mut json, "edges", "added", "removed");
    swap(&mut json, "findings", "raised", "resolved");
    for group in ["nodes", "edges"] {
        for item in json[group]["changed"].as_array_mut().expect("list") {
            for change in item["changes"].as_array_mut().expect("list") {
                let from = change["from"].take();
                change["from"] = change["to"].take();
                change["to"] = from;
            }
        }
    }
    let s = json["summary"].take();
    json["summary"] = json!({
        "nodes_added": s["nodes_removed"], "nodes_removed": s["nodes_added"],
        "nodes_changed": s["nodes_changed"],
        "edges_added": s["edges_removed"], "edges_removed": s["edges_added"],
        "edges_changed": s["edges_changed"],
        "findings_raised": s["findings_resolved"], "findings_resolved": s["findings_raised"],
    });
    json
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// OLD and NEW are two partial views of one generated fleet with
    /// defects; the order of the captures inside each changes nothing, and
    /// NEW against OLD is OLD against NEW turned around.
    #[test]
    fn order_inside_old_or_new_does_not_matter(
        seed in 0u64..1_000,
        keep_old in prop::collection::vec(any::<bool>(), 8),
        keep_new in prop::collection::vec(any::<bool>(), 8),
        shuffle_old in any::<u64>(),
        shuffle_new in any::<u64>(),
    ) {
        let spec = FleetSpec::new()
            .seed(seed)
            .primaries(12)
            .cascaded(1)
            .standalone(1)
            .every_defect(1);
        let captures = generate(&spec).captures;
        let pick = |keep: &[bool]| -> Vec<Capture> {
            captures
                .iter()
                .enumerate()
                .filter(|(i, _)| keep[i % keep.len()])
                .map(|(_, c)| c.clone())
                .collect()
        };
        let (old, new) = (pick(&keep_old), pick(&keep_new));
        let expected = diff_of(&old, &new);
        let reordered = diff_of(
            &shuffled(&old, shuffle_old),
            &shuffled(&new, shuffle_new),
        );
        prop_assert_eq!(&reordered, &expected);
        let json = serde_json::to_value(&expected).expect("serialises");
        prop_assert_eq!(serde_json::to_value(&reordered).expect("serialises"), json);
        prop_assert_eq!(
            serde_json::to_value(diff_of(&new, &old)).expect("serialises"),
            mirrored(&expected)
        );
        prop_assert!(diff_of(&old, &shuffled(&old, shuffle_new)).is_empty());
        let same = serde_json::to_value(&old).ok() == serde_json::to_value(&new).ok();
        prop_assert_eq!(expected.is_empty(), same);
    }
}

/// A few instances whose ids do not have the usual shape (so the two id
/// tables mix packed ids and others), in the first region of `fleet`.
fn odd_ids(variant: u8) -> Capture {
    let drs: &[(&str, &str)] = match variant % 3 {
        0 => &[("d1", PC)],
        1 => &[("d1", PC), ("D-2", PC)],
        _ => &[("d1", PB)],
    };
    cap(
        PA,
        json!([primary("p1", drs), primary("0123", &[]), {"instance_id": "zz"}]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The comparison on the topologies' tables gives what the comparison
    /// of their views gives, on pairs of fleets that differ in captures,
    /// health records, thresholds and ids of every shape.
    #[test]
    fn diff_equals_the_diff_of_the_views(
        seed in 0u64..1_000,
        keep_old in prop::collection::vec(any::<bool>(), 8),
        keep_new in prop::collection::vec(any::<bool>(), 8),
        health_seeds in (0u64..3, 0u64..3),
        odd in (any::<Option<u8>>(), any::<Option<u8>>()),
        max_lag_mb in (prop::option::of(1.0f64..50.0), prop::option::of(1.0f64..50.0)),
    ) {
        use rds_dr_model::synth::{HealthSpec, health};

        let fleet = generate(
            &FleetSpec::new()
                .seed(seed)
                .primaries(10)
                .cascaded(1)
                .standalone(1)
                .every_defect(1),
        );
        let side = |keep: &[bool], health_seed: u64, odd: Option<u8>, max_lag: Option<f64>| {
            let infos = health(&fleet, &HealthSpec::new().seed(health_seed).every_defect(1));
            let mut builder = Topology::builder();
            for (i, c) in fleet.captures.iter().enumerate() {
                if keep[i % keep.len()] {
                    builder.capture(c);
                }
            }
            for (i, c) in infos.captures.iter().enumerate() {
                if keep[(i + 3) % keep.len()] {
                    builder.infos_capture(c);
                }
            }
            if let Some(variant) = odd {
                builder.capture(odd_ids(variant));
            }
            if let Some(mb) = max_lag {
                builder.max_lag_mb(mb);
            }
            builder.build()
        };
        let old = side(&keep_old, health_seeds.0, odd.0, max_lag_mb.0);
        let new = side(&keep_new, health_seeds.1, odd.1, max_lag_mb.1);
        let fast = diff(&old, &new);
        let by_views = rds_dr_topology::diff::diff_views(
            &old.view(),
            old.findings(),
            &new.view(),
            new.findings(),
        );
        prop_assert_eq!(&fast, &by_views);
        prop_assert_eq!(fast.to_string(), by_views.to_string());
        prop_assert!(diff(&new, &new).is_empty());
    }
}

/// `fleet()` with one ListDrInfos record on p1 -> d1 whose `time` is `time`.
fn with_record_time(time: i64) -> Topology {
    let infos: rds_dr_model::InfosCapture = serde_json::from_value(json!({
        "source": {"region": region(PA), "project_id": PA}, "operation": "ListDrInfos",
        "response": {"total_count": 1, "instance_dr_infos": [{
            "id": "r1", "status": "normal", "master_instance_id": "p1",
            "master_region": region(PA), "slave_instance_id": "d1",
            "slave_region": region(PC), "time": time, "replica_state": "0"}]}}))
    .expect("test infos capture decodes");
    let mut builder = Topology::builder();
    for c in fleet() {
        builder.capture(c);
    }
    builder.infos_capture(infos).build()
}

#[test]
fn a_record_time_alone_changes_dr_since_and_unwritable_times_are_alike() {
    let d = diff(
        &with_record_time(1_733_450_000_000),
        &with_record_time(1_733_450_001_000),
    );
    let changed: Vec<(&str, &str, Vec<&str>)> = d
        .edges
        .changed
        .iter()
        .map(|c| {
            let paths = c.changes.iter().map(|a| a.path).collect();
            (c.source.as_str(), c.target.as_str(), paths)
        })
        .collect();
    assert_eq!(changed, [("p1", "d1", vec!["dr_since"])]);
    assert_eq!(d.edges.changed[0].changes[0].to, "2024-12-06T01:53:21Z");
    // Two times beyond the year 9999 both show no `dr_since`: no change.
    assert!(diff(&with_record_time(i64::MAX), &with_record_time(i64::MAX - 1)).is_empty());
}
