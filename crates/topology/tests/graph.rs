//! `Topology::to_petgraph`: the view's nodes and edges, in the view's
//! order, every edge from primary to DR, for petgraph's algorithms.

use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_topology::petgraph::Direction::Outgoing;
use rds_dr_topology::petgraph::algo::kosaraju_scc;
use rds_dr_topology::petgraph::graph::{EdgeIndex, NodeIndex};
use rds_dr_topology::petgraph::visit::EdgeRef;
use rds_dr_topology::{Code, Topology};

fn fleet_topology(seed: u64) -> Topology {
    let fleet = generate(
        &FleetSpec::new()
            .seed(seed)
            .region_count(3)
            .projects_per_region(2)
            .primaries(50)
            .cascaded(4)
            .standalone(3)
            .every_defect(2),
    );
    let mut builder = Topology::builder();
    for c in &fleet.captures {
        builder.capture(c);
    }
    builder.build()
}

#[test]
fn the_graph_is_the_view_in_view_order() {
    for seed in 0..4 {
        let topology = fleet_topology(seed);
        let view = topology.view();
        let graph = topology.to_petgraph();
        assert_eq!(graph.node_count(), view.nodes.len());
        assert_eq!(graph.edge_count(), view.edges.len());
        assert!(graph.edge_count() > 50, "seed {seed}");
        for (i, node) in view.nodes.iter().enumerate() {
            assert_eq!(&graph[NodeIndex::new(i)], node, "seed {seed}: node {i}");
        }
        for (j, edge) in view.edges.iter().enumerate() {
            let e = EdgeIndex::new(j);
            assert_eq!(&graph[e], edge, "seed {seed}: edge {j}");
            let (p, d) = graph.edge_endpoints(e).expect("an edge");
            assert_eq!(
                graph[p].id, edge.source,
                "seed {seed}: edge {j} starts at its primary"
            );
            assert_eq!(
                graph[d].id, edge.target,
                "seed {seed}: edge {j} ends at its DR"
            );
        }
        // Neighbours are the topology's DRs.
        for n in graph.node_indices() {
            let mut drs: Vec<&str> = graph
                .neighbors_directed(n, Outgoing)
                .map(|d| graph[d].id)
                .collect();
            drs.sort_unstable();
            assert_eq!(drs, topology.drs_of(graph[n].id), "seed {seed}");
        }
    }
}

#[test]
fn petgraph_finds_the_cycles_the_report_names() {
    let topology = fleet_topology(11);
    let graph = topology.to_petgraph();
    let mut from_petgraph: Vec<Vec<&str>> = kosaraju_scc(&graph)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| {
            let mut ids: Vec<&str> = scc.iter().map(|&n| graph[n].id).collect();
            ids.sort_unstable();
            ids
        })
        .collect();
    from_petgraph.sort();
    let from_report: Vec<Vec<&str>> = topology
        .findings()
        .iter()
        .filter(|f| f.code == Code::Cycle)
        .map(|f| f.instances.iter().map(String::as_str).collect())
        .collect();
    assert!(!from_report.is_empty());
    assert_eq!(from_petgraph, from_report);
    // Every edge of the graph is one of the view's, by ids.
    for edge in graph.edge_references() {
        assert_eq!(graph[edge.source()].id, edge.weight().source);
    }
}

#[test]
fn an_empty_topology_is_an_empty_graph() {
    let topology = Topology::builder().build();
    let graph = topology.to_petgraph();
    assert_eq!((graph.node_count(), graph.edge_count()), (0, 0));
}
