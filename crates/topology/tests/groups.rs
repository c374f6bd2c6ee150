//! DR groups, roles and primaries-per-DR on random small graphs (trees,
//! cascades, DRs with several primaries, cycles), against a plain
//! re-reading of their definitions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proptest::prelude::*;
use rds_dr_model::Capture;
use rds_dr_topology::{Code, Role, Topology};
use serde_json::json;

const PROJECT: &str = "0483b6b16e954cb88930a360d2c4e663";

/// One capture where every primary lists its DRs (ids `i0`..`i9`, which
/// sort as their numbers).
fn capture(edges: &BTreeSet<(u8, u8)>) -> Capture {
    let mut drs: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for &(p, d) in edges {
        drs.entry(p).or_default().push(d);
    }
    let records: Vec<_> = drs
        .iter()
        .map(|(p, ds)| {
            let peers: Vec<_> = ds
                .iter()
                .map(|d| json!({"instance_id": format!("i{d}"), "region": "cn-east-3", "project_id": PROJECT}))
                .collect();
            json!({"instance_id": format!("i{p}"), "slave_instances": peers})
        })
        .collect();
    serde_json::from_value(json!({
        "source": {"region": "cn-north-4", "project_id": PROJECT},
        "response": {"instance_dr_relations": records},
    }))
    .expect("capture decodes")
}

/// (root, members, depth) of every group, by root, as documented: the
/// weakly connected components; the root is the smallest member without a
/// primary, else the smallest member; the depth is the longest
/// breadth-first distance from the roots in turn, then from any member
/// still unreached, in turn.
fn groups(edges: &BTreeSet<(u8, u8)>) -> Vec<(String, Vec<String>, usize)> {
    let nodes: BTreeSet<u8> = edges.iter().flat_map(|&(p, d)| [p, d]).collect();
    let has_primary = |n: u8| edges.iter().any(|&(_, d)| d == n);
    let mut component: BTreeMap<u8, u8> = nodes.iter().map(|&n| (n, n)).collect();
    // Relabel until every edge joins one label (the smallest).
    loop {
        let mut changed = false;
        for &(p, d) in edges {
            let low = component[&p].min(component[&d]);
            for n in [p, d] {
                if component[&n] != low {
                    let old = component[&n];
                    for label in component.values_mut().filter(|l| **l == old) {
                        *label = low;
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::new();
    for label in component.values().copied().collect::<BTreeSet<u8>>() {
        let members: Vec<u8> = nodes
            .iter()
            .copied()
            .filter(|n| component[n] == label)
            .collect();
        let root = members
            .iter()
            .copied()
            .find(|&m| !has_primary(m))
            .unwrap_or(members[0]);
        let mut dist: BTreeMap<u8, usize> = BTreeMap::new();
        let seeds = members.iter().copied().filter(|&m| !has_primary(m));
        for seed in seeds.chain(members.iter().copied()) {
            if dist.contains_key(&seed) {
                continue;
            }
            dist.insert(seed, 0);
            let mut queue = VecDeque::from([seed]);
            while let Some(at) = queue.pop_front() {
                let next = dist[&at] + 1;
                for &(_, d) in edges.iter().filter(|&&(p, _)| p == at) {
                    dist.entry(d).or_insert_with(|| {
                        queue.push_back(d);
                        next
                    });
                }
            }
        }
        out.push((
            format!("i{root}"),
            members.iter().map(|m| format!("i{m}")).collect(),
            dist.values().copied().max().unwrap_or(0),
        ));
    }
    out.sort();
    out
}

fn role(edges: &BTreeSet<(u8, u8)>, n: u8) -> Role {
    let has_primary = edges.iter().any(|&(_, d)| d == n);
    let has_dr = edges.iter().any(|&(p, _)| p == n);
    match (has_primary, has_dr) {
        (false, true) => Role::Primary,
        (true, false) => Role::Dr,
        (true, true) => Role::Cascaded,
        (false, false) => Role::Standalone,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn groups_roles_and_primaries_follow_their_definitions(
        raw in proptest::collection::vec((0u8..10, 0u8..10), 1..16),
    ) {
        let edges: BTreeSet<(u8, u8)> = raw.into_iter().filter(|(p, d)| p != d).collect();
        prop_assume!(!edges.is_empty());
        let mut builder = Topology::builder();
        builder.capture(capture(&edges));
        let topology = builder.build();

        let got: Vec<(String, Vec<String>, usize)> = topology
            .groups()
            .map(|g| (g.root.to_owned(), g.members.iter().map(|m| (*m).to_owned()).collect(), g.depth))
            .collect();
        prop_assert_eq!(got, groups(&edges));

        for node in topology.nodes() {
            let n: u8 = node.id[1..].parse().expect("test id");
            prop_assert_eq!(node.role, role(&edges, n), "{}", node.id);
        }
        let several: usize = (0..10)
            .filter(|&n| edges.iter().filter(|&&(_, d)| d == n).count() > 1)
            .count();
        let conflicts = topology
            .findings()
            .iter()
            .filter(|f| f.code == Code::ConflictingPrimary)
            .count();
        prop_assert_eq!(conflicts, several);
    }
}
