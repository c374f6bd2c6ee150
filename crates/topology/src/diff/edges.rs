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
//!
//! An edge's DR end is a node anywhere in the table, so each read about it
//! is a likely cache miss. Whether an edge crosses regions is only looked
//! up, on each side, when one of its ends is in another region in NEW than
//! in OLD ([`SameRegion`], a bit per node, read instead).

use super::nodes::Matching;
use super::{EdgeChange, EdgeChanges, EdgeRef, attributes};
use crate::graph::nid;
use crate::topology::Topology;
use crate::view::EdgeView;

/// Edges added, removed and changed, each list in (source, target) order.
pub(super) fn changes(old: &Topology, new: &Topology, matching: &Matching) -> EdgeChanges {
    let mut out = EdgeChanges::default();
    let (old_edges, new_edges) = (old.graph.raw_edges(), new.graph.raw_edges());
    let same_region = SameRegion::of(old, new, matching);
    let new_ends = |k: usize| {
        let e = &new_edges[k];
        (nid(e.source()), nid(e.target()))
    };
    let mut k = 0;
    for (i, e) in old_edges.iter().enumerate() {
        let (p, d) = (nid(e.source()), nid(e.target()));
        let Some(ends) = matching.new_of(p).zip(matching.new_of(d)) else {
            out.removed.push(edge_ref(old, i));
            continue;
        };
        while k < new_edges.len() && new_ends(k) < ends {
            out.added.push(edge_ref(new, k));
            k += 1;
        }
        if k < new_edges.len() && new_ends(k) == ends {
            // Ends in the same regions on both sides: the edge crosses
            // regions on both or on neither, so that is not looked up.
            let settled = same_region.get(p) && same_region.get(d);
            let unchanged =
                attributes::same_edge(&values(old, i, !settled), &values(new, k, !settled));
            let changes = if unchanged {
                Vec::new()
            } else {
                attributes::edge_changes(&values(old, i, true), &values(new, k, true))
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

/// Edge number `k` of `t` as [`Topology::view`] shows it, but for its ids
/// (left empty: the attribute table does not read them) and, unless
/// `cross_region`, whether it crosses regions (left unknown).
fn values(t: &Topology, k: usize, cross_region: bool) -> EdgeView<'_> {
    let e = &t.graph.raw_edges()[k];
    let cross = if cross_region {
        t.cross_region(nid(e.source()), nid(e.target()))
    } else {
        None
    };
    EdgeView::new("", "", e.weight.status, cross).with_health(t.health_of(k))
}

/// For each OLD node: whether NEW has it in the same region (the same
/// text, or unknown on both sides), a bit per node.
struct SameRegion(Vec<u64>);

impl SameRegion {
    fn of(old: &Topology, new: &Topology, matching: &Matching) -> SameRegion {
        let mut bits = vec![0u64; old.node_count().div_ceil(64)];
        for n in 0..old.node_count() as u32 {
            if matching
                .new_of(n)
                .is_some_and(|m| old.region_of(n) == new.region_of(m))
            {
                bits[n as usize / 64] |= 1 << (n % 64);
            }
        }
        SameRegion(bits)
    }

    fn get(&self, n: u32) -> bool {
        self.0[n as usize / 64] & (1 << (n % 64)) != 0
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
