//! The merge: from the builder's claims to a [`Topology`], as a list of
//! named steps. Nothing depends on the order the captures came in: nodes are
//! numbered in id order, sources in text order, and every claim list is
//! sorted before it is read.
//!
//! On large fleets, pairs of independent steps run on two scoped threads
//! ([`Pairing::join`]); each pairing is one line of [`Topology::from_builder`].

use crate::bucket::{bucket_by, sort_bucket};
use crate::builder::{RawEdge, StatedLocation, TopologyBuilder};
use crate::edges::{Claim, EdgePairs};
use crate::finding::{Finding, Severity, Summary};
use crate::graph::{self, Graph};
use crate::groups::{self, Groups};
use crate::ids::{IdTable, SortedIds};
use crate::rules::records::{RecordNotes, Renumbering};
use crate::strings::{Strings, Sym};
use crate::topology::Topology;
use crate::view::EdgeStatus;

/// Below this many instances the build runs on the calling thread alone.
const PARALLEL_MIN_NODES: usize = 20_000;

/// How the build uses threads. For tests and benches: the result is the
/// same either way.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Threads {
    /// Two threads from 20,000 instances on, else one.
    #[default]
    Auto,
    /// The calling thread alone.
    One,
    /// Two threads whatever the size.
    Two,
}

/// Whether independent steps run side by side.
#[derive(Clone, Copy, Debug)]
struct Pairing {
    parallel: bool,
}

impl Pairing {
    fn new(threads: Threads, nodes: usize) -> Self {
        let parallel = match threads {
            Threads::Auto => nodes >= PARALLEL_MIN_NODES,
            Threads::One => false,
            Threads::Two => true,
        };
        Pairing { parallel }
    }

    /// Runs `a` and `b`, on two threads when parallel; returns both results.
    fn join<A: Send, B>(self, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
        if !self.parallel {
            let a = a();
            return (a, b());
        }
        std::thread::scope(|scope| {
            let a = scope.spawn(a);
            let b = b();
            let a = a
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (a, b)
        })
    }
}

impl Topology {
    pub(crate) fn from_builder(builder: TopologyBuilder) -> Topology {
        Topology::from_builder_with(builder, Threads::Auto)
    }

    /// Merges everything `builder` holds with the threads `threads` asks
    /// for (the result is the same whatever they are), and resets it.
    #[doc(hidden)]
    pub fn build_with(builder: &mut TopologyBuilder, threads: Threads) -> Topology {
        Topology::from_builder_with(std::mem::take(builder), threads)
    }

    fn from_builder_with(b: TopologyBuilder, threads: Threads) -> Topology {
        let TopologyBuilder {
            ids,
            strs,
            sources,
            locals,
            edges,
            mut places,
            selfs,
            dups,
            empties,
            malformed,
            failed,
            infos,
            ..
        } = b;
        let n = ids.len();
        let pair = Pairing::new(threads, n);
        let strs = strs.freeze();
        let (sources, source_rank) = sources_in_text_order(sources, &strs);
        // Every node's place until its location is settled.
        let unknown = places.id_of(StatedLocation::default());

        // 0. The ListDrInfos records' instances among the nodes (the id
        //    table is read before the sort consumes it).
        let mut info_ends = infos.find_ends(&ids);

        // 1. Nodes are numbered in id order, beside the own records grouped
        //    by instance (as first seen) and the graph's nodes.
        let sort_ids = || ids.sort();
        let own_records_by_instance = || OwnRecords::by_first_seen(&locals, n, &source_rank);
        let graph_nodes = || graph::with_nodes(n, edges.len(), unknown);
        let beside = || (own_records_by_instance(), graph_nodes());
        let ((sorted_ids, node_rank), (own_by_first, graph)) = pair.join(sort_ids, beside);
        drop(locals);
        for end in info_ends.iter_mut().flatten() {
            if *end != crate::health::claims::NO_NODE {
                *end = node_rank[*end as usize];
            }
        }
        let renumber = Renumbering {
            node: &node_rank,
            source: &source_rank,
        };

        // 2. The own records in id order (and the id table), beside the
        //    edges' claims.
        let own_records_in_id_order = || own_by_first.in_id_order(sorted_ids);
        let edge_claims = || claim_edges(edges, &renumber, n, &strs, &places);
        let ((ids, own_records), (edge_pairs, claims)) =
            pair.join(own_records_in_id_order, edge_claims);

        let mut topology = Topology {
            ids,
            strs,
            places: places.clone(),
            sources,
            graph: Graph::default(),
            claims,
            own_records,
            groups: Vec::new(),
            members: Vec::new(),
            node_group: Vec::new(),
            findings: Vec::new(),
            summary: Summary::default(),
            health: crate::health::EdgeHealths::default(),
            thresholds: crate::health::Thresholds::default(),
        };
        let mut findings = Vec::new();

        // 3. The graph's edges and the DR groups, beside every node's
        //    location (new locations go to `places`, the claims' are read
        //    from the topology's meanwhile).
        let edges_and_groups = || graph_and_groups(graph, &edge_pairs);
        let locations = || topology.settle_locations(&edge_pairs, &mut places, &mut findings);
        let ((graph, groups, degrees), located) = pair.join(edges_and_groups, locations);
        topology.places = places;
        topology.graph = graph;
        topology.set_locations(located);

        // 4. The roles and the shape and region checks, beside the failed
        //    targets and the edges' status (all read the located graph;
        //    what they settle is written into it after).
        let roles_and_shape = || topology.roles_and_shape(&edge_pairs.pairs, &degrees);
        let statuses = || topology.coverage(failed, &mut findings);
        let ((roles, found), statuses) = pair.join(roles_and_shape, statuses);
        findings.extend(found);
        topology.set_statuses(statuses);
        topology.set_roles(roles);

        // 5. Cycles (among the cascaded), the groups, what single records say.
        topology.cycles(&mut findings);
        drop(edge_pairs);
        topology.set_groups(groups);
        let notes = RecordNotes {
            selfs,
            dups,
            empties,
            malformed,
        };
        topology.record_findings(notes, &renumber, &mut findings);
        // 6. Replication health: the ListDrInfos records onto the edges.
        topology.merge_health(infos, &info_ends, &mut findings);
        topology.set_findings(findings);
        topology
    }

    /// Roles, and the findings that need only them and the located nodes:
    /// conflicting primaries, cascades, primaries without a cross-region DR.
    fn roles_and_shape(
        &self,
        pairs: &[(u32, u32)],
        degrees: &[groups::Degree],
    ) -> (Vec<crate::view::Role>, Vec<Finding>) {
        let mut findings = Vec::new();
        self.shape(degrees, &mut findings);
        self.no_cross_region_drs(pairs, &mut findings);
        (groups::roles(degrees), findings)
    }

    /// The failed targets, then each edge's status (a failed target does
    /// not count as queried), with the findings of both.
    fn coverage(
        &self,
        failed: Vec<(rds_dr_model::Source, String)>,
        findings: &mut Vec<Finding>,
    ) -> Vec<EdgeStatus> {
        let failed = self.failed_targets(failed, findings);
        self.edge_statuses(&failed, findings)
    }

    /// Sorts the findings and counts the summary.
    fn set_findings(&mut self, mut findings: Vec<Finding>) {
        findings.sort_by(Finding::report_order);
        findings.dedup();
        let mut summary = Summary {
            sources: self.sources.len(),
            instances: self.ids.len(),
            edges: self.graph.edge_count(),
            confirmed_edges: self
                .graph
                .edge_weights()
                .filter(|e| e.status == EdgeStatus::Confirmed)
                .count(),
            ..Summary::default()
        };
        for e in 0..self.graph.edge_count() {
            summary.edge_health.add(self.health_at(e));
        }
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        self.findings = findings;
        self.summary = summary;
    }
}

/// The sources sorted by (region, project) text, so that number order is
/// text order; and each builder source's new number.
fn sources_in_text_order(sources: Vec<(Sym, Sym)>, strs: &Strings) -> (Vec<(Sym, Sym)>, Vec<u32>) {
    let mut order: Vec<u32> = (0..sources.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (sources[a as usize], sources[b as usize]);
        (strs.get(a.0), strs.get(a.1)).cmp(&(strs.get(b.0), strs.get(b.1)))
    });
    let mut rank = vec![0u32; sources.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    let sorted = order.iter().map(|&o| sources[o as usize]).collect();
    (sorted, rank)
}

/// The own records `(node, source)` grouped by node as the builder numbered
/// them (first seen), each with its new source number.
struct OwnRecords {
    sources: Vec<u32>,
    /// Builder node `x`'s are `sources[starts[x]..starts[x + 1]]`.
    starts: Vec<u32>,
}

impl OwnRecords {
    fn by_first_seen(locals: &[(u32, u32)], n: usize, source_rank: &[u32]) -> Self {
        let (sources, starts) = bucket_by(
            locals.iter(),
            n,
            |&&(x, _)| x as usize,
            |&&(_, s)| source_rank[s as usize],
        );
        OwnRecords { sources, starts }
    }

    /// The own records in id order (sorted, without repeats), and the id
    /// table.
    fn in_id_order(self, sorted: SortedIds) -> (IdTable, Vec<(u32, u32)>) {
        let mut own = Vec::with_capacity(self.sources.len());
        for (node, x) in (0..).zip(sorted.first_seen()) {
            let from = own.len();
            let of = &self.sources
                [self.starts[x as usize] as usize..self.starts[x as usize + 1] as usize];
            own.extend(of.iter().map(|&s| (node, s)));
            sort_bucket(&mut own[from..], Ord::cmp);
        }
        own.dedup();
        (sorted.into_table(), own)
    }
}

/// The builder's edge claims renumbered, then grouped by edge.
fn claim_edges(
    mut raw: Vec<RawEdge>,
    renumber: &Renumbering<'_>,
    n: usize,
    strs: &Strings,
    places: &crate::builder::LocationTable,
) -> (EdgePairs, Vec<Claim>) {
    for e in &mut raw {
        e.primary = renumber.node[e.primary as usize];
        e.dr = renumber.node[e.dr as usize];
        e.source = renumber.source[e.source as usize];
    }
    EdgePairs::new(raw, n, strs, places)
}

/// The graph's edges, then the DR groups (their components, roots and
/// depths) and each node's degree: functions of the edges alone.
fn graph_and_groups(mut graph: Graph, edges: &EdgePairs) -> (Graph, Groups, Vec<groups::Degree>) {
    graph::add_edges(&mut graph, edges);
    let (groups, degrees) = Groups::of(graph.node_count(), &edges.pairs);
    (graph, groups, degrees)
}
