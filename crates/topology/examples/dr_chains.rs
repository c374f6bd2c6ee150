//! Loads a directory of capture files and runs two petgraph algorithms that
//! rds-dr-topology does not offer itself, on `Topology::to_petgraph`:
//!
//! - the longest cascade chain (primary -> DR -> DR of the DR -> ...), the
//!   deepest copy of any primary's data, by a longest path over a
//!   topological order (`petgraph::algo::toposort`);
//! - the articulation points of the DR groups
//!   (`petgraph::algo::articulation_points` on the undirected graph): the
//!   instances whose loss splits a DR group: every primary with two or more
//!   DRs (its DRs no longer share anything) and the middle of a cascade.
//!
//! ```text
//! cargo run -p rds-dr-topology --example dr_chains -- crates/cli/demo-fleet
//! ```
//!
//! The example reads the files; the library does no IO.

use std::path::PathBuf;

use rds_dr_topology::Topology;
use rds_dr_topology::petgraph::Undirected;
use rds_dr_topology::petgraph::algo::articulation_points::articulation_points;
use rds_dr_topology::petgraph::algo::toposort;
use rds_dr_topology::petgraph::graph::NodeIndex;
use rds_dr_topology::petgraph::visit::EdgeRef;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: dr_chains DIR (a directory of capture envelope files, *.json)")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();

    let mut builder = Topology::builder();
    for file in &files {
        let bytes = std::fs::read(file)?;
        builder
            .capture_json(&bytes)
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let topology = builder.build();
    let graph = topology.to_petgraph();
    println!(
        "{} capture files: {} instances, {} edges, {} findings",
        files.len(),
        graph.node_count(),
        graph.edge_count(),
        topology.findings().len()
    );

    // Longest chain: the number of DR hops to each instance along its
    // longest path, in topological order (primaries before their DRs).
    match toposort(&graph, None) {
        Err(cycle) => println!(
            "the DR edges have a cycle (through {}): no longest chain",
            graph[cycle.node_id()].id
        ),
        Ok(order) => {
            let mut hops = vec![0usize; graph.node_count()];
            let mut from: Vec<Option<NodeIndex>> = vec![None; graph.node_count()];
            for &node in &order {
                for edge in graph.edges(node) {
                    let next = edge.target();
                    if hops[node.index()] + 1 > hops[next.index()] {
                        hops[next.index()] = hops[node.index()] + 1;
                        from[next.index()] = Some(node);
                    }
                }
            }
            let end = (0..graph.node_count())
                .max_by_key(|&i| (hops[i], std::cmp::Reverse(i)))
                .map(NodeIndex::new);
            if let Some(end) = end.filter(|e| hops[e.index()] > 0) {
                let mut chain = vec![end];
                while let Some(up) = from[chain[chain.len() - 1].index()] {
                    chain.push(up);
                }
                chain.reverse();
                let ids: Vec<String> = chain
                    .iter()
                    .map(|&n| {
                        let node = &graph[n];
                        format!("{} ({})", node.id, node.region.unwrap_or("?"))
                    })
                    .collect();
                println!(
                    "longest cascade chain, {} hops: {}",
                    hops[end.index()],
                    ids.join(" -> ")
                );
            } else {
                println!("no DR relations");
            }
        }
    }

    // Articulation points: on the undirected graph of the DR groups (ids
    // as weights; the algorithm wants comparable edge weights).
    let groups = graph
        .map(|_, node| node.id, |_, _| ())
        .into_edge_type::<Undirected>();
    let mut cuts: Vec<&str> = articulation_points(&groups)
        .into_iter()
        .map(|n| groups[n])
        .collect();
    cuts.sort_unstable();
    println!(
        "{} instances split their DR group if lost{}{}",
        cuts.len(),
        if cuts.is_empty() { "" } else { ": " },
        cuts.join(", ")
    );
    Ok(())
}
