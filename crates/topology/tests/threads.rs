//! The build gives the same topology on one thread and on two: the pairing
//! of independent steps (`Threads::Two`, which large fleets get by default)
//! is forced on small inputs and compared, part by part, with the
//! single-thread build.

use rds_dr_model::Capture;
use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_topology::{Code, Threads, Topology};

fn build(captures: &[Capture], failed: &[&str], threads: Threads) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    for target in failed {
        builder.failed_target(target.parse().expect("a target"), "HTTP 503");
    }
    Topology::build_with(&mut builder, threads)
}

/// Every part a reader can see, compared.
fn assert_same(one: &Topology, two: &Topology, what: &str) {
    assert_eq!(one.report(), two.report(), "{what}: report");
    assert_eq!(one.view(), two.view(), "{what}: view");
    assert!(one.nodes().eq(two.nodes()), "{what}: nodes");
    assert!(
        one.edges().eq(two.edges()),
        "{what}: edges and their claims"
    );
    assert!(one.groups().eq(two.groups()), "{what}: groups");
    assert!(one.sources().eq(two.sources()), "{what}: sources");
    for node in one.nodes() {
        assert_eq!(
            one.location_claims(node.id),
            two.location_claims(node.id),
            "{what}: location claims of {}",
            node.id
        );
    }
    let regions: Vec<&str> = one.sources().map(|s| s.region).collect();
    for region in &regions {
        assert_eq!(
            one.impact(&[region]),
            two.impact(&[region]),
            "{what}: impact of {region}"
        );
    }
    assert_eq!(
        one.impact(&regions),
        two.impact(&regions),
        "{what}: impact of all"
    );
}

#[test]
fn two_threads_build_what_one_builds() {
    for seed in 0..8 {
        let spec = FleetSpec::new()
            .seed(seed)
            .region_count(2 + seed as usize % 4)
            .projects_per_region(1 + seed as usize % 3)
            .primaries(80)
            .cross_region_probability(0.8)
            .cascaded(4)
            .standalone(3)
            .every_defect(2);
        let fleet = generate(&spec);
        let failed = ["xx-nowhere-1/0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d"];
        let one = build(&fleet.captures, &failed, Threads::One);
        let two = build(&fleet.captures, &failed, Threads::Two);
        // The fleet has something to compare: every kind of finding.
        let codes: Vec<Code> = one.findings().iter().map(|f| f.code).collect();
        assert!(codes.contains(&Code::Cycle), "seed {seed}: {codes:?}");
        assert!(codes.contains(&Code::LocationConflict), "seed {seed}");
        assert!(codes.contains(&Code::QueryFailed), "seed {seed}");
        assert!(one.edge_count() > 80, "seed {seed}");
        assert_same(&one, &two, &format!("seed {seed}"));
        // And the default (one thread at this size) agrees too.
        let auto = build(&fleet.captures, &failed, Threads::Auto);
        assert_same(&one, &auto, &format!("seed {seed}, auto"));
    }
}

#[test]
fn two_threads_on_empty_and_tiny_inputs() {
    let cases: [(&[Capture], &[&str]); 2] = [
        (&[], &[]),
        (&[], &["cn-north-4/0483b6b16e954cb88930a360d2c4e663"]),
    ];
    for (k, (captures, failed)) in cases.into_iter().enumerate() {
        let one = build(captures, failed, Threads::One);
        let two = build(captures, failed, Threads::Two);
        assert_eq!(one.node_count(), 0);
        assert_eq!(one.findings().len(), failed.len());
        assert_same(&one, &two, &format!("case {k}"));
    }
    let fleet = generate(&FleetSpec::new().seed(3).primaries(1));
    let one = build(&fleet.captures, &[], Threads::One);
    let two = build(&fleet.captures, &[], Threads::Two);
    assert!(one.node_count() >= 2);
    assert_same(&one, &two, "one primary");
}
