//! Replication health: each health code with a case that triggers it and a
//! near miss that must not; generated fleets with and without health
//! defects; order- and split-independence (proptest); impact.

use proptest::prelude::*;
use rds_dr_model::synth::{FleetSpec, HealthDefect, HealthSpec, generate, health};
use rds_dr_model::{Capture, InfosCapture, Source};
use rds_dr_topology::{Code, Health, Protection, Report, Topology};
use serde_json::{Value, json};

const PA: &str = "0483b6b16e954cb88930a360d2c4e663";
const PB: &str = "08fd4e669e00d57d2ffec01352c7cb77";
const RA: &str = "cn-north-4";
const RB: &str = "ap-southeast-1";

fn source(project: &str) -> Value {
    let region = if project == PA { RA } else { RB };
    json!({"region": region, "project_id": project})
}

/// p1 (PA) -> d1 (PB), confirmed from both sides.
fn relations() -> Vec<Capture> {
    let peer = |id: &str, project: &str| {
        let region = if project == PA { RA } else { RB };
        json!({"instance_id": id, "region": region, "project_id": project})
    };
    [
        (
            PA,
            json!([{"instance_id": "p1", "slave_instances": [peer("d1", PB)]}]),
        ),
        (
            PB,
            json!([{"instance_id": "d1", "master_instance": peer("p1", PA)}]),
        ),
    ]
    .into_iter()
    .map(|(p, records)| {
        serde_json::from_value(
            json!({"source": source(p), "response": {"instance_dr_relations": records}}),
        )
        .expect("relations capture")
    })
    .collect()
}

fn record(id: &str, extra: Value) -> Value {
    let mut r = json!({"id": id, "status": "normal", "master_instance_id": "p1",
        "master_region": RA, "slave_instance_id": "d1", "slave_region": RB,
        "time": 1_733_450_000_000_i64, "replica_state": "0",
        "wal_write_receive_delay_in_mb": "0.5", "wal_write_replay_delay_in_mb": "1",
        "wal_receive_replay_delay_in_ms": "20"});
    for (k, v) in extra.as_object().expect("an object") {
        r[k] = v.clone();
    }
    r
}

fn infos(project: &str, records: Vec<Value>) -> InfosCapture {
    serde_json::from_value(
        json!({"source": source(project), "operation": "ListDrInfos",
        "response": {"total_count": records.len(), "instance_dr_infos": records}}),
    )
    .expect("infos capture")
}

fn build(infos_captures: &[InfosCapture]) -> Topology {
    let mut builder = Topology::builder();
    for c in relations() {
        builder.capture(c);
    }
    for c in infos_captures {
        builder.infos_capture(c);
    }
    builder.build()
}

fn codes(t: &Topology) -> Vec<&'static str> {
    t.findings().iter().map(|f| f.code.as_str()).collect()
}

fn health_of(t: &Topology) -> Health {
    t.edge_health("p1", "d1").expect("the edge").health
}

#[test]
fn healthy_record_gives_attributes_and_no_finding() {
    let t = build(&[infos(PA, vec![record("r1", json!({}))])]);
    assert!(t.findings().is_empty(), "{:?}", t.findings());
    let h = t.edge_health("p1", "d1").expect("the edge");
    assert_eq!(h.health, Health::Healthy);
    assert_eq!(h.replica_state.as_deref(), Some("0"));
    assert_eq!(h.dr_status.as_deref(), Some("normal"));
    assert_eq!(
        (h.send_lag_mb, h.replay_lag_mb, h.replay_delay_ms),
        (Some(0.5), Some(1.0), Some(20.0))
    );
    assert_eq!(h.dr_since.as_deref(), Some("2024-12-06T01:53:20Z"));
    assert_eq!(h.sources.len(), 1);
    assert_eq!(h.sources[0].source, format!("{RA}/{PA}"));
    let view = t.view();
    assert_eq!(view.edges[0].health, Health::Healthy);
    assert_eq!(view.edges[0].dr_since, Some("2024-12-06T01:53:20Z"));
    assert_eq!(t.summary().edge_health.healthy, 1);
}

#[test]
fn no_infos_at_all_is_unknown_without_finding() {
    let t = build(&[]);
    assert!(t.findings().is_empty());
    assert_eq!(health_of(&t), Health::Unknown);
    assert_eq!(t.view().edges[0].replica_state, None);
    assert_eq!(t.summary().edge_health.unknown, 1);
}

#[test]
fn dr_failed() {
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"failed_message": "disk full"}))],
    )]);
    assert_eq!(codes(&t), ["dr-failed"]);
    let d = t.findings()[0].details.to_json();
    assert_eq!(d["failed_message"], "disk full");
    assert_eq!(d["status"], "normal");
    assert_eq!(t.findings()[0].instances, ["d1", "p1"]);
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"status": "Build_Error"}))],
    )]);
    assert_eq!(codes(&t), ["dr-failed"]);
    // Near miss: an empty failed_message and a status that only looks alike.
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"failed_message": "", "status": "fa-il"}),
        )],
    )]);
    assert!(t.findings().is_empty(), "{:?}", t.findings());
    assert_eq!(health_of(&t), Health::Healthy);
}

#[test]
fn replication_broken() {
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"replica_state": "-1"}))],
    )]);
    assert_eq!(codes(&t), ["replication-broken"]);
    assert_eq!(t.findings()[0].details.to_json()["replica_state"], "-1");
    // Near miss: another state is unknown, not broken.
    let t = build(&[infos(PA, vec![record("r1", json!({"replica_state": "1"}))])]);
    assert!(t.findings().is_empty());
    assert_eq!(health_of(&t), Health::Unknown);
}

#[test]
fn building_is_no_finding_but_does_not_protect() {
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"status": "CREATING", "replica_state": null}),
        )],
    )]);
    assert!(t.findings().is_empty());
    assert_eq!(health_of(&t), Health::Building);
    let impact = t.impact(&[RA]);
    assert_eq!(
        impact.regions[0].primaries[0].status,
        Protection::Unprotected
    );
}

#[test]
fn replication_lagging() {
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"wal_write_replay_delay_in_mb": "64.5"}),
        )],
    )]);
    assert_eq!(codes(&t), ["replication-lagging"]);
    let d = t.findings()[0].details.to_json();
    assert_eq!(d["replay_lag_mb"], 64.5);
    assert_eq!(d["max_lag_mb"], 64.0);
    assert_eq!(d["max_delay_ms"], 60000.0);
    // Near miss: exactly at the threshold is not over it.
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"wal_write_replay_delay_in_mb": "64", "wal_receive_replay_delay_in_ms": "60000"}),
        )],
    )]);
    assert!(t.findings().is_empty());
    // Thresholds are the builder's.
    let mut builder = Topology::builder();
    for c in relations() {
        builder.capture(c);
    }
    builder
        .infos_capture(infos(PA, vec![record("r1", json!({}))]))
        .max_lag_mb(0.75)
        .max_delay_ms(1e9);
    let t = builder.build();
    assert_eq!(health_of(&t), Health::Lagging);
    assert_eq!(t.thresholds().max_lag_mb, 0.75);
}

#[test]
fn health_missing() {
    // Infos captured for PB (the DR's project), nothing for the edge.
    let t = build(&[infos(PB, vec![])]);
    assert_eq!(codes(&t), ["health-missing"]);
    assert_eq!(
        t.findings()[0].details.to_json()["sources"],
        json!([format!("{RB}/{PB}")])
    );
    // Near miss: infos captured only for a project of neither end.
    let other = InfosCapture::new(
        Source::new("eu-west-101", "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"),
        Default::default(),
    );
    let t = build(&[other]);
    assert!(t.findings().is_empty());
}

#[test]
fn health_orphan() {
    let orphan = record(
        "r9",
        json!({"master_instance_id": "p9", "slave_instance_id": "d9"}),
    );
    let t = build(&[infos(PA, vec![record("r1", json!({})), orphan.clone()])]);
    assert_eq!(codes(&t), ["health-orphan"]);
    assert_eq!(t.findings()[0].instances, ["d9", "p9"]);
    assert_eq!(t.findings()[0].details.to_json()["id"], "r9");
    // Near miss: ListDrRelations captured nowhere near the record.
    let mut builder = Topology::builder();
    builder.infos_capture(infos(PA, vec![orphan]));
    assert!(builder.build().findings().is_empty());
}

#[test]
fn health_conflict() {
    let t = build(&[
        infos(PA, vec![record("r1", json!({}))]),
        infos(PB, vec![record("r1", json!({"status": "Normal "}))]),
    ]);
    assert_eq!(codes(&t), ["health-conflict"]);
    assert_eq!(
        t.findings()[0].details.to_json()["fields"],
        json!(["status"])
    );
    let t = build(&[infos(PA, vec![record("r1", json!({"slave_region": RA}))])]);
    assert_eq!(codes(&t), ["health-conflict"]);
    assert_eq!(
        t.findings()[0].details.to_json()["fields"],
        json!(["slave_region"])
    );
    // Near miss: the same record from both ends' sources.
    let t = build(&[
        infos(PA, vec![record("r1", json!({}))]),
        infos(PB, vec![record("r1", json!({}))]),
    ]);
    assert!(t.findings().is_empty());
    assert_eq!(t.edge_health("p1", "d1").expect("edge").sources.len(), 2);
}

#[test]
fn malformed_infos_records_lose_nothing_else() {
    let t = build(&[infos(
        PA,
        vec![
            record("r1", json!({})),
            json!({"id": "r2", "master_instance_id": "p5", "status": "normal"}),
            record(
                "r3",
                json!({"master_instance_id": "p7", "slave_instance_id": "d7", "wal_write_receive_delay_in_mb": "n/a"}),
            ),
            json!({"id": 5, "master_instance_id": "p8", "slave_instance_id": "d8"}),
        ],
    )]);
    let found: Vec<(&str, Vec<String>)> = t
        .findings()
        .iter()
        .map(|f| (f.code.as_str(), f.instances.clone()))
        .collect();
    assert_eq!(
        found,
        [
            ("malformed-record", vec!["d7".to_owned(), "p7".to_owned()]),
            ("malformed-record", vec!["d8".to_owned(), "p8".to_owned()]),
            ("malformed-record", vec!["p5".to_owned()]),
        ]
    );
    assert_eq!(health_of(&t), Health::Healthy, "the good sibling counts");
    // Near miss: empty lags are absent, not malformed.
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"wal_write_receive_delay_in_mb": " "}))],
    )]);
    assert!(t.findings().is_empty());
}

#[test]
fn failed_infos_target_is_query_failed_with_its_operation() {
    let mut builder = Topology::builder();
    for c in relations() {
        builder.capture(c);
    }
    builder.failed_infos_target(format!("{RA}/{PA}").parse().expect("target"), "HTTP 503");
    let t = builder.build();
    assert_eq!(codes(&t), ["query-failed"]);
    let d = t.findings()[0].details.to_json();
    assert_eq!(d["operation"], "ListDrInfos");
    // The relations still count.
    assert_eq!(t.edge_count(), 1);
    // Near miss: a relations failure carries no operation.
    let t = Topology::builder()
        .failed_target(format!("{RA}/{PA}").parse().expect("target"), "HTTP 503")
        .build();
    assert!(t.findings()[0].details.to_json().get("operation").is_none());
}

#[test]
fn worst_record_wins() {
    let t = build(&[
        infos(
            PA,
            vec![record(
                "r1",
                json!({"wal_write_receive_delay_in_mb": "100"}),
            )],
        ),
        infos(PB, vec![record("r1", json!({"replica_state": "-1"}))]),
    ]);
    assert_eq!(health_of(&t), Health::Broken);
    let mut got = codes(&t);
    got.sort_unstable();
    assert_eq!(got, ["health-conflict", "replication-broken"]);
}

#[test]
fn broken_dr_does_not_protect_in_impact() {
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"replica_state": "-1"}))],
    )]);
    let impact = t.impact(&[RA]);
    let p = &impact.regions[0].primaries[0];
    assert_eq!(p.status, Protection::Unprotected);
    assert_eq!(p.surviving_drs[0].health, Health::Broken);
    // Near miss: lagging still protects.
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"wal_write_receive_delay_in_mb": "100"}),
        )],
    )]);
    let impact = t.impact(&[RA]);
    assert_eq!(impact.regions[0].primaries[0].status, Protection::Protected);
    let json = serde_json::to_value(&impact).expect("json");
    assert_eq!(
        json["regions"][0]["primaries"][0]["surviving_drs"][0]["health"],
        "lagging"
    );
}

/// (code, instances) of every finding, sorted.
fn found(report: &Report) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str().to_owned(), f.instances.clone()))
        .collect();
    out.sort();
    out
}

fn fleet_spec(seed: u64) -> FleetSpec {
    FleetSpec::new()
        .seed(seed)
        .region_count(3)
        .projects_per_region(2)
        .primaries(40)
        .cross_region_probability(1.0)
}

fn build_all<'a>(
    relations: impl IntoIterator<Item = &'a Capture>,
    infos: impl IntoIterator<Item = &'a InfosCapture>,
) -> Topology {
    let mut builder = Topology::builder();
    for c in relations {
        builder.capture(c);
    }
    for c in infos {
        builder.infos_capture(c);
    }
    builder.build()
}

#[test]
fn every_health_defect_is_exactly_the_findings() {
    for seed in 0..4 {
        let fleet = generate(&fleet_spec(seed).every_defect(1));
        let infos = health(&fleet, &HealthSpec::new().seed(seed).every_defect(2));
        let t = build_all(&fleet.captures, &infos.captures);
        let mut want: Vec<(String, Vec<String>)> = fleet
            .defects
            .iter()
            .chain(&infos.defects)
            .map(|d| (d.kind.to_owned(), d.instances.clone()))
            .collect();
        want.sort();
        assert_eq!(found(&t.report()), want, "seed {seed}");
        for defect in HealthDefect::ALL {
            if let Some(code) = defect.code() {
                assert!(
                    infos.defects.iter().any(|d| d.kind == code),
                    "seed {seed}: the generator injected no {code}"
                );
            }
        }
        for e in &infos.health {
            let got = t.edge_health(&e.primary, &e.dr).expect("edge").health;
            assert_eq!(got.as_str(), e.health, "{} -> {}", e.primary, e.dr);
        }
    }
}

#[test]
fn removing_one_record_gives_exactly_one_health_missing() {
    let fleet = generate(&fleet_spec(7));
    let mut infos = health(&fleet, &HealthSpec::new().seed(7));
    let t = build_all(&fleet.captures, &infos.captures);
    assert!(t.findings().is_empty(), "{:?}", t.findings());
    assert_eq!(t.summary().edge_health.healthy, t.edge_count());
    let capture = infos
        .captures
        .iter_mut()
        .find(|c| !c.response.instance_dr_infos.is_empty())
        .expect("a capture with records");
    let removed = capture.response.instance_dr_infos.remove(0);
    let removed = removed.valid().expect("a valid record").clone();
    let t = build_all(&fleet.captures, &infos.captures);
    let found = found(&t.report());
    let mut pair = vec![
        removed.master_instance_id.expect("master"),
        removed.slave_instance_id.expect("slave"),
    ];
    pair.sort();
    assert_eq!(found, [("health-missing".to_owned(), pair)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Health and findings do not depend on the order of the captures, nor
    /// on how the records split between the two ends' sources.
    #[test]
    fn health_is_independent_of_order_and_split(
        seed in 0u64..1000,
        rotate in 0usize..50,
        mask in any::<u64>(),
    ) {
        let fleet = generate(&fleet_spec(seed).primaries(15));
        let infos = health(&fleet, &HealthSpec::new().seed(seed).every_defect(1));
        let reference = build_all(&fleet.captures, &infos.captures);

        // Move some records to the capture of the DR's source (or of another
        // capture) and rotate the order of everything.
        let mut moved = infos.captures.clone();
        let n = moved.len();
        let mut extra: Vec<Vec<_>> = vec![Vec::new(); n];
        for (i, c) in moved.iter_mut().enumerate() {
            let records = std::mem::take(&mut c.response.instance_dr_infos);
            for (k, r) in records.into_iter().enumerate() {
                let bit = (i * 7 + k) % 64;
                if mask >> bit & 1 == 1 {
                    // To the capture of the record's other end, when there is one.
                    let dr_region = r.valid().and_then(|v| v.slave_region.clone());
                    let target = moved_target(&infos.captures, dr_region.as_deref(), i);
                    extra[target].push(r);
                } else {
                    c.response.instance_dr_infos.push(r);
                }
            }
        }
        for (c, more) in moved.iter_mut().zip(extra) {
            c.response.instance_dr_infos.extend(more);
            c.response.instance_dr_infos.reverse();
        }
        let mut relations = fleet.captures.clone();
        let len = relations.len().max(1);
        relations.rotate_left(rotate % len);
        moved.rotate_left(rotate % n.max(1));
        let other = build_all(relations.iter(), moved.iter());
        let health = |t: &Topology| -> Vec<(String, String, Health)> {
            t.view().edges.iter().map(|e| (e.source.to_owned(), e.target.to_owned(), e.health)).collect()
        };
        prop_assert_eq!(health(&reference), health(&other));
        let codes = |t: &Topology| -> Vec<(Code, Vec<String>)> {
            let mut v: Vec<_> = t.findings().iter()
                .map(|f| (f.code, f.instances.clone())).collect();
            v.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
            v
        };
        prop_assert_eq!(codes(&reference), codes(&other));
    }
}

/// The index of the first capture in `region` other than `from`, else `from`.
fn moved_target(captures: &[InfosCapture], region: Option<&str>, from: usize) -> usize {
    captures
        .iter()
        .enumerate()
        .find(|(i, c)| *i != from && Some(c.source.region.as_str()) == region)
        .map_or(from, |(i, _)| i)
}

#[test]
fn lags_sent_as_json_numbers_count_like_strings() {
    let t = build(&[infos(
        PA,
        vec![record(
            "r1",
            json!({"wal_write_receive_delay_in_mb": 0.5, "wal_write_replay_delay_in_mb": 64.5,
                   "wal_receive_replay_delay_in_ms": 20}),
        )],
    )]);
    assert_eq!(codes(&t), ["replication-lagging"]);
    let h = t.edge_health("p1", "d1").expect("the edge");
    assert_eq!(
        (h.send_lag_mb, h.replay_lag_mb, h.replay_delay_ms),
        (Some(0.5), Some(64.5), Some(20.0))
    );
    // A lag of another JSON type is a malformed record, and only that.
    let t = build(&[infos(
        PA,
        vec![record("r1", json!({"wal_write_receive_delay_in_mb": true}))],
    )]);
    assert_eq!(codes(&t), ["malformed-record", "health-missing"]);
}

/// `Topology::replication` and `Topology::roles` say what the view says
/// (ends, status, the deciding record's state and lags; the ends' regions;
/// every node's role), edge by edge and node by node, on generated fleets
/// with every relation and health defect (each ListDrInfos capture given
/// twice), and without any ListDrInfos.
#[test]
fn replication_and_roles_read_in_place_match_the_view() {
    for (seed, with_health) in [(21, true), (22, true), (23, false)] {
        let fleet = generate(
            &FleetSpec::new()
                .seed(seed)
                .region_count(3)
                .primaries(150)
                .every_defect(1),
        );
        let infos = health(&fleet, &HealthSpec::new().seed(seed).every_defect(2));
        let mut builder = Topology::builder();
        for c in &fleet.captures {
            builder.capture(c);
        }
        if with_health {
            // Each capture twice: every edge with a record has two.
            for c in infos.captures.iter().chain(&infos.captures) {
                builder.infos_capture(c);
            }
        }
        let topology = builder.build();
        let view = topology.view();
        let region = |id: &str| topology.node(id).and_then(|n| n.location.region);
        let edges: Vec<_> = topology.replication().collect();
        assert_eq!(edges.len(), view.edges.len());
        let mut known = 0;
        for (r, e) in edges.iter().zip(&view.edges) {
            assert_eq!((r.primary, r.dr, r.status), (e.source, e.target, e.status));
            assert_eq!(
                r.replica_state, e.replica_state,
                "{} -> {}",
                e.source, e.target
            );
            assert_eq!(
                (r.send_lag_mb, r.replay_lag_mb, r.replay_delay_ms),
                (e.send_lag_mb, e.replay_lag_mb, e.replay_delay_ms)
            );
            assert_eq!(r.primary_region, region(r.primary));
            assert_eq!(r.dr_region, region(r.dr));
            known += usize::from(r.replica_state.is_some());
        }
        assert_eq!(known > 100, with_health, "{known}");
        assert!(
            edges
                .iter()
                .any(|e| e.status != rds_dr_topology::EdgeStatus::Confirmed)
        );
        let roles: Vec<_> = view.nodes.iter().map(|n| n.role).collect();
        assert_eq!(topology.roles().collect::<Vec<_>>(), roles);
    }
}
