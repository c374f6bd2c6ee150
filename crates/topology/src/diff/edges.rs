//! Primary -> DR edges: OLD's matched to NEW's by (source, target), and
//! what changed about the ones in both.
//!
//! Each topology numbers its edges in (primary, DR) node order, which is
//! (source id, target id) order. OLD's ends, taken to NEW's node numbers
//! through the [`Matching`] of the nodes, keep that order (the matching
//! keeps id order), so one walk over the two edge lists side by side
//! matches them; an OLD edge with an end that NEW lacks is removed. A
//! matched pair is first compared on what the build keeps (status, whether
//! it crosses regions, health); only a pair that differs there goes through
//! the attribute table ([`super::attributes`]), which says what changed as
//! the views would. Ids are written out only for edges that are reported.

use super::nodes::Matching;
use super::{EdgeChange, EdgeChanges, EdgeRef, attributes};
use crate::graph::nid;
use crate::strings::Sym;
use crate::topology::Topology;
use crate::view::EdgeView;

/// Edges added, removed and changed, each list in (source, target) order.
pub(super) fn changes(old: &Topology, new: &Topology, matching: &Matching) -> EdgeChanges {
    let mut out = EdgeChanges::default();
    let (old_edges, new_edges) = (old.graph.raw_edges(), new.graph.raw_edges());
    let (old_regions, new_regions) = (Regions::of(old), Regions::of(new));
    let new_ends = |k: usize| {
        let e = &new_edges[k];
        (nid(e.source()), nid(e.target()))
    };
    let mut k = 0;
    for (i, e) in old_edges.iter().enumerate() {
        let ends = matching
            .new_of(nid(e.source()))
            .zip(matching.new_of(nid(e.target())));
        let Some(ends) = ends else {
            out.removed.push(edge_ref(old, i));
            continue;
        };
        while k < new_edges.len() && new_ends(k) < ends {
            out.added.push(edge_ref(new, k));
            k += 1;
        }
        if k < new_edges.len() && new_ends(k) == ends {
            let (a, b) = (values(old, &old_regions, i), values(new, &new_regions, k));
            let changes = if attributes::same_edge(&a, &b) {
                Vec::new()
            } else {
                attributes::edge_changes(&a, &b)
            };
            if !changes.is_empty() {
                let EdgeRef { source, target, .. } = edge_ref(new, k);
                out.changed.push(EdgeChange {
                    source,
                    target,
                    changes,
                });
            }
            k += 1;
        } else {
            out.removed.push(edge_ref(old, i));
        }
    }
    out.added
        .extend((k..new_edges.len()).map(|k| edge_ref(new, k)));
    out
}

/// Edge number `k` of `t` (whose nodes' regions are `regions`) as
/// [`Topology::view`] shows it, but for its ids (left empty: the attribute
/// table does not read them).
fn values<'t>(t: &'t Topology, regions: &Regions, k: usize) -> EdgeView<'t> {
    let e = &t.graph.raw_edges()[k];
    let cross_region = regions.cross(e.source(), e.target());
    EdgeView::new("", "", e.weight.status, cross_region).with_health(t.health_of(k))
}

/// Each node's region (as its topology interns it), in node order: what
/// [`Topology::cross_region`] reads, 4 bytes a node, so that looking up the
/// DR end of every edge (a random node) stays in cache.
struct Regions(Vec<Option<Sym>>);

impl Regions {
    fn of(t: &Topology) -> Regions {
        Regions(
            (0..t.node_count() as u32)
                .map(|n| t.where_is(n).region)
                .collect(),
        )
    }

    /// [`Topology::cross_region`] of the edge's ends.
    fn cross(
        &self,
        p: petgraph::graph::NodeIndex<u32>,
        d: petgraph::graph::NodeIndex<u32>,
    ) -> Option<bool> {
        match (self.0[p.index()], self.0[d.index()]) {
            (Some(x), Some(y)) => Some(x != y),
            _ => None,
        }
    }
}

fn edge_ref(t: &Topology, k: usize) -> EdgeRef {
    let e = &t.graph.raw_edges()[k];
    EdgeRef {
        source: t.id(nid(e.source())).to_owned(),
        target: t.id(nid(e.target())).to_owned(),
        status: e.weight.status,
    }
}
