//! Region-failure impact on a small hand-built fleet.

mod common;

use common::{cap, peer};
use rds_dr_topology::{EdgeStatus, Protection, Topology};
use serde_json::json;

const N4: &str = common::PA; // cn-north-4
const AP: &str = common::PB; // ap-southeast-1
const E3: &str = common::PC; // cn-east-3

/// P1 (n4) -> D1 (ap); P2 (n4) -> D2 (n4); P3 (e3) -> D3 (n4), D4 (ap);
/// P4 (n4) -> C5 (n4) -> D6 (ap); S7 (n4) standalone.
fn fleet() -> Topology {
    let n4 = cap(
        N4,
        json!([
            {"instance_id": "p1", "slave_instances": [peer("d1", AP)]},
            {"instance_id": "p2", "slave_instances": [peer("d2", N4)]},
            {"instance_id": "d2", "master_instance": peer("p2", N4)},
            {"instance_id": "d3", "master_instance": peer("p3", E3)},
            {"instance_id": "p4", "slave_instances": [peer("c5", N4)]},
            {"instance_id": "c5", "master_instance": peer("p4", N4), "slave_instances": [peer("d6", AP)]},
            {"instance_id": "s7"}
        ]),
    );
    let ap = cap(
        AP,
        json!([
            {"instance_id": "d1", "master_instance": peer("p1", N4)},
            {"instance_id": "d4", "master_instance": peer("p3", E3)},
            {"instance_id": "d6", "master_instance": peer("c5", N4)}
        ]),
    );
    let e3 = cap(
        E3,
        json!([{"instance_id": "p3", "slave_instances": [peer("d3", N4), peer("d4", AP)]}]),
    );
    Topology::builder()
        .capture(n4)
        .capture(ap)
        .capture(e3)
        .build()
}

#[test]
fn one_region_down() {
    let t = fleet();
    let impact = t.impact(&["cn-north-4"]);
    assert_eq!(impact.failed_regions, vec!["cn-north-4"]);
    let r = &impact.regions[0];
    assert_eq!(r.instances, 7);
    let status: Vec<(&str, Protection)> = r
        .primaries
        .iter()
        .map(|p| (p.id.as_str(), p.status))
        .collect();
    assert_eq!(
        status,
        vec![
            ("p1", Protection::Protected),
            ("p2", Protection::Unprotected),
            ("p4", Protection::Protected)
        ]
    );
    let p4 = &r.primaries[2];
    assert_eq!(p4.surviving_drs.len(), 1);
    assert_eq!(
        (p4.surviving_drs[0].id.as_str(), p4.surviving_drs[0].hops),
        ("d6", 2)
    );
    assert_eq!(p4.lost_drs[0].id, "c5");
    assert_eq!(r.primaries[1].lost_drs[0].id, "d2");
    assert_eq!(r.primaries[0].surviving_drs[0].edge, EdgeStatus::Confirmed);
    let degraded: Vec<(&str, Vec<&str>, Vec<&str>)> = r
        .degraded
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.lost_drs.iter().map(|x| x.id.as_str()).collect(),
                d.remaining_drs.iter().map(|x| x.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(degraded, vec![("p3", vec!["d3"], vec!["d4"])]);
    assert_eq!(r.standalone, vec!["s7"]);
    assert_eq!(
        (
            impact.summary.primaries,
            impact.summary.protected,
            impact.summary.unprotected,
            impact.summary.degraded
        ),
        (3, 2, 1, 1)
    );
    let text = impact.to_string();
    assert!(text.contains("UNPROTECTED  p2"), "{text}");
    assert!(
        text.contains(
            "degraded     p3 (cn-east-3)  loses d3 (cn-north-4); keeps d4 (ap-southeast-1)"
        ),
        "{text}"
    );
}

#[test]
fn two_regions_down() {
    let t = fleet();
    let impact = t.impact(&["ap-southeast-1", "cn-north-4", "ap-southeast-1"]);
    assert_eq!(impact.failed_regions, vec!["ap-southeast-1", "cn-north-4"]);
    assert_eq!(impact.regions.len(), 2);
    // Every primary of cn-north-4 loses all its copies.
    let n4 = &impact.regions[1];
    assert!(
        n4.primaries
            .iter()
            .all(|p| p.status == Protection::Unprotected)
    );
    // p3 loses d4 in ap-southeast-1 and d3 in cn-north-4: nothing remains.
    let ap = &impact.regions[0];
    assert_eq!(ap.primaries.len(), 0);
    assert_eq!(ap.degraded.len(), 1);
    assert!(ap.degraded[0].remaining_drs.is_empty());
    assert_eq!(impact.summary.degraded, 1);
}

#[test]
fn unknown_region_is_reported_empty() {
    let impact = fleet().impact(&["xx-nowhere-1"]);
    assert_eq!(impact.regions[0].instances, 0);
    assert_eq!(impact.summary.primaries, 0);
}

#[test]
fn json_shape() {
    let impact = fleet().impact(&["cn-north-4"]);
    let v = serde_json::to_value(&impact).expect("serialises");
    assert_eq!(v["failed_regions"], json!(["cn-north-4"]));
    assert_eq!(
        v["summary"],
        json!({"primaries": 3, "protected": 2, "unprotected": 1, "degraded": 1})
    );
    let p1 = &v["regions"][0]["primaries"][0];
    assert_eq!(p1["status"], "protected");
    assert_eq!(
        p1["surviving_drs"][0],
        json!({"id": "d1", "region": "ap-southeast-1", "project_id": AP, "edge": "confirmed", "health": "unknown", "hops": 1})
    );
    let keys: Vec<&String> = v["regions"][0]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    assert_eq!(keys.len(), 5);
    assert_eq!(v["regions"][0]["degraded"][0]["id"], "p3");
}

/// `own_region_failures` says of every primary what `impact` of its own
/// region says, on generated fleets with cascades, defects (unknown
/// regions among them) and every kind of unhealthy edge.
#[test]
fn own_region_failures_agree_with_impact_of_each_region() {
    use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};
    for seed in 0..6 {
        let fleet = generate(
            &FleetSpec::new()
                .seed(seed)
                .primaries(120)
                .region_count(4)
                .cascaded(15)
                .standalone(5)
                .every_defect(1),
        );
        let infos = health(&fleet, &HealthSpec::new().seed(seed).every_defect(6));
        let mut builder = Topology::builder();
        for capture in &fleet.captures {
            builder.capture(capture);
        }
        for capture in &infos.captures {
            builder.infos_capture(capture);
        }
        let topology = builder.build();
        let failures = topology.own_region_failures();
        assert!(failures.windows(2).all(|w| w[0].primary < w[1].primary));
        let mut regions: Vec<&str> = failures.iter().map(|f| f.region).collect();
        regions.sort_unstable();
        regions.dedup();
        assert!(regions.len() > 1, "seed {seed}");
        let mut seen = 0;
        let mut statuses = [0usize; 2];
        for region in regions {
            let impact = topology.impact(&[region]);
            for p in &impact.regions[0].primaries {
                let own = failures
                    .iter()
                    .find(|f| f.primary == p.id)
                    .unwrap_or_else(|| panic!("seed {seed}: {} missing", p.id));
                assert_eq!(own.region, region, "seed {seed}: {}", p.id);
                assert_eq!(own.status, p.status, "seed {seed}: {}", p.id);
                statuses[usize::from(p.status == Protection::Protected)] += 1;
                seen += 1;
            }
        }
        assert_eq!(
            seen,
            failures.len(),
            "seed {seed}: no primary twice, none left out"
        );
        assert!(
            statuses[0] > 0 && statuses[1] > 0,
            "seed {seed}: {statuses:?}"
        );
    }
}
