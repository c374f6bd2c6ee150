//! Generated fleets: consistent ones give no findings whatever the order and
//! split of the captures; injected defects are all found, and nothing else.

use proptest::prelude::*;
use rds_dr_model::synth::{Defect, FleetSpec, generate};
use rds_dr_model::{Capture, Lenient};
use rds_dr_topology::{EdgeStatus, Report, Topology};

fn build<'a>(captures: impl IntoIterator<Item = &'a Capture>) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    builder.build()
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

#[test]
fn injected_defects_are_exactly_the_findings() {
    for seed in 0..6 {
        let spec = FleetSpec::new()
            .seed(seed)
            .region_count(2 + seed as usize % 4)
            .projects_per_region(1 + seed as usize % 3)
            .primaries(60)
            .cross_region_probability(0.9)
            .cascaded(3)
            .standalone(2)
            .every_defect(3);
        let fleet = generate(&spec);
        let report = build(&fleet.captures).report();
        let mut want: Vec<(String, Vec<String>)> = fleet
            .defects
            .iter()
            .map(|d| (d.kind.to_owned(), d.instances.clone()))
            .collect();
        want.sort();
        assert_eq!(found(&report), want, "seed {seed}");
        for defect in Defect::ALL {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.code.as_str() == defect.code()),
                "seed {seed}: {defect:?} not found"
            );
        }
    }
}

#[test]
fn one_region_fleet_reports_same_region_drs() {
    let fleet = generate(
        &FleetSpec::new()
            .regions(["xx-only-1"])
            .primaries(20)
            .every_defect(1),
    );
    let report = build(&fleet.captures).report();
    let mut want: Vec<_> = fleet
        .defects
        .iter()
        .map(|d| (d.kind.to_owned(), d.instances.clone()))
        .collect();
    want.sort();
    assert_eq!(found(&report), want);
}

/// Splits every capture's records at `cut` (modulo length) into two captures
/// of the same source, then rotates the capture list by `rotate`.
fn split_and_rotate(captures: &[Capture], cut: usize, rotate: usize) -> Vec<Capture> {
    let mut out = Vec::new();
    for c in captures {
        let records = &c.response.instance_dr_relations;
        let at = if records.is_empty() {
            0
        } else {
            cut % (records.len() + 1)
        };
        let mut first = c.clone();
        first.response.instance_dr_relations = records[..at].to_vec();
        let mut second = c.clone();
        second.response.instance_dr_relations = records[at..].to_vec();
        out.push(first);
        out.push(second);
    }
    if !out.is_empty() {
        let k = rotate % out.len();
        out.rotate_left(k);
    }
    out.reverse();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn consistent_fleets_merge_cleanly(
        seed in any::<u64>(),
        regions in 2usize..6,
        projects in 1usize..3,
        primaries in 0usize..60,
        max_drs in 1usize..=3,
        cut in any::<usize>(),
        rotate in any::<usize>(),
    ) {
        let spec = FleetSpec::new()
            .seed(seed)
            .region_count(regions)
            .projects_per_region(projects)
            .primaries(primaries)
            .drs_per_primary(1..=max_drs)
            .cross_region_probability(1.0);
        let fleet = generate(&spec);
        prop_assert!(fleet.defects.is_empty());
        let topology = build(&fleet.captures);
        let report = topology.report();
        prop_assert!(report.findings.is_empty(), "{:#?}", report.findings);
        prop_assert_eq!(report.summary.edges, report.summary.confirmed_edges);
        prop_assert!(topology.edges().all(|e| e.status == EdgeStatus::Confirmed && e.cross_region == Some(true)));
        prop_assert_eq!(report.summary.sources, regions * projects);
        prop_assert_eq!(topology.groups().filter(|g| g.members.len() > 1).count(), primaries);

        // Order and split of the captures do not matter.
        let shuffled = split_and_rotate(&fleet.captures, cut, rotate);
        let other = build(&shuffled);
        prop_assert_eq!(other.report(), report.clone());
        prop_assert_eq!(other.view(), topology.view());

        // Idempotent: every capture twice.
        let twice = build(fleet.captures.iter().chain(&fleet.captures));
        prop_assert_eq!(twice.report(), report);
        prop_assert_eq!(twice.view(), topology.view());
    }

    #[test]
    fn removing_one_side_gives_exactly_one_unconfirmed_edge(
        seed in any::<u64>(),
        primaries in 1usize..40,
        pick in any::<usize>(),
        side in any::<bool>(),
    ) {
        let fleet = generate(&FleetSpec::new().seed(seed).primaries(primaries).cross_region_probability(1.0));
        let mut captures = fleet.captures.clone();
        // Choose one relation record: a DR's (master side) or a primary's (slave side).
        let mut candidates = Vec::new();
        for (ci, c) in captures.iter().enumerate() {
            for (ri, r) in c.response.instance_dr_relations.iter().enumerate() {
                let r = r.valid().expect("consistent fleet");
                if r.master_instance.is_some() == side {
                    candidates.push((ci, ri));
                }
            }
        }
        let (ci, ri) = candidates[pick % candidates.len()];
        let records = &mut captures[ci].response.instance_dr_relations;
        let Lenient::Valid(record) = &mut records[ri] else { unreachable!("valid above") };
        let me = record.instance_id.clone().expect("id");
        let pair = if side {
            let master = record.master_instance.take().expect("master").into_valid().expect("valid");
            (master.instance_id.expect("id"), me)
        } else {
            let k = pick % record.slave_instances.len();
            let slave = record.slave_instances.remove(k).into_valid().expect("valid");
            (me, slave.instance_id.expect("id"))
        };
        if record.master_instance.is_none() && record.slave_instances.is_empty() {
            records.remove(ri);
        }
        let report = build(&captures).report();
        prop_assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        let f = &report.findings[0];
        prop_assert_eq!(f.code.as_str(), "unconfirmed-edge");
        let mut want = vec![pair.0.clone(), pair.1.clone()];
        want.sort();
        prop_assert_eq!(&f.instances, &want);
        prop_assert_eq!(&f.details.to_json()["primary"], &serde_json::json!(pair.0));
        prop_assert_eq!(&f.details.to_json()["claimed_by"], &serde_json::json!(if side { "primary" } else { "dr" }));
    }
}
