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
use super::{AttributeChange, EdgeChange, EdgeChanges, EdgeRef, attributes};
use crate::graph::nid;
use crate::health::rfc3339;
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
            let changes = changed_attributes(old, i, new, k, settled);
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

/// What changed about OLD's edge `i`, the same edge as NEW's edge `k`
/// (nothing, for most): compared first on what the build keeps, and only
/// for a pair that differs there through the attribute table. `settled`:
/// both ends are in the same regions on both sides, so whether the edge
/// crosses regions need not be looked up for the first comparison.
fn changed_attributes(
    old: &Topology,
    i: usize,
    new: &Topology,
    k: usize,
    settled: bool,
) -> Vec<AttributeChange> {
    let ((o, o_time), (n, n_time)) = (values(old, i, !settled), values(new, k, !settled));
    if attributes::same_edge(&o, &n) && o_time == n_time {
        return Vec::new();
    }
    let ((mut o, _), (mut n, _)) = (values(old, i, true), values(new, k, true));
    let (o_since, n_since) = (o_time.and_then(rfc3339), n_time.and_then(rfc3339));
    o.dr_since = o_since.as_deref();
    n.dr_since = n_since.as_deref();
    attributes::edge_changes(&o, &n)
}

/// Edge number `k` of `t` as [`Topology::view`] shows it, but for its ids
/// (left empty: the attribute table does not read them), its `dr_since`
/// (left out; the `time` it is written from comes beside the view) and,
/// unless `cross_region`, whether it crosses regions (left unknown). The
/// health attributes are read from the deciding ListDrInfos record in
/// place, so that comparing two large topologies writes no edge's
/// [`EdgeHealth`](crate::health::EdgeHealth).
fn values(t: &Topology, k: usize, cross_region: bool) -> (EdgeView<'_>, Option<i64>) {
    let e = &t.graph.raw_edges()[k];
    let cross = if cross_region {
        t.cross_region(nid(e.source()), nid(e.target()))
    } else {
        None
    };
    let mut view = EdgeView::new("", "", e.weight.status, cross);
    view.health = t.health_at(k);
    let Some(record) = t.deciding_record(k) else {
        return (view, None);
    };
    view.replica_state = record.replica_state;
    view.dr_status = record.status;
    view.send_lag_mb = record.lags.send_mb;
    view.replay_lag_mb = record.lags.replay_mb;
    view.replay_delay_ms = record.lags.replay_delay_ms;
    (view, record.time)
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
