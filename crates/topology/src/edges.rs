//! The edges: one per (primary, DR) pair, with every record's claim of it,
//! and how well those claims attest it ([`EdgeStatus`]).

use std::collections::HashSet;

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use crate::bucket::{bucket_by, sort_bucket};
use crate::builder::{LocationId, LocationTable, RawEdge, Side};
use crate::finding::Finding;
use crate::graph::{EdgeState, NodeState, ix, nid, node_address};
use crate::locations::{Location, SourceRef};
use crate::prefetch::{AHEAD, prefetch};
use crate::strings::{FastHash, Strings, Sym};
use crate::topology::Topology;
use crate::view::EdgeStatus;

/// One record's word for an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Claim {
    pub(crate) source: u32,
    pub(crate) side: Side,
    /// What the record says about the other end.
    pub(crate) peer: LocationId,
}

/// The distinct edges, ascending, and where their claims are.
pub(crate) struct EdgePairs {
    /// Each edge's `(primary, dr)`, ascending.
    pub(crate) pairs: Vec<(u32, u32)>,
    /// Where each edge's claims end in the claims (they start where the
    /// previous edge's end).
    pub(crate) ends: Vec<u32>,
}

impl EdgePairs {
    /// The distinct edges and their claims, edge by edge, from the
    /// builder's claims, already renumbered (nodes in id order, sources in
    /// text order), for `n` nodes. Each edge's claims are put in
    /// a canonical order, comparing peer locations as text (interned
    /// symbols depend on the order the captures came in); repeated claims
    /// count once.
    pub(crate) fn new(
        raw: Vec<RawEdge>,
        n: usize,
        strs: &Strings,
        places: &LocationTable,
    ) -> (Self, Vec<Claim>) {
        // Each claim as a small sort item: its primary, then (DR, side,
        // source) in one integer, and what it says of the peer.
        #[derive(Clone, Copy)]
        struct Item {
            primary: u32,
            key: u64,
            peer: LocationId,
        }
        let item = |e: &RawEdge| Item {
            primary: e.primary,
            // Sources are far fewer than 2^31.
            key: (u64::from(e.dr) << 32)
                | (u64::from(e.side == Side::Dr) << 31)
                | u64::from(e.source & 0x7fff_ffff),
            peer: e.peer,
        };
        // By primary with a counting sort (straight from the claims, so that
        // only one more array is made), then each primary's (few) claims by
        // DR, side and source, and in a canonical order.
        let (mut items, starts) = bucket_by(raw.iter(), n, |e| e.primary as usize, |e| item(e));
        drop(raw);
        let text = |at: LocationId| {
            let l = places.get(at);
            (strs.opt(l.region), strs.opt(l.project), strs.opt(l.name))
        };
        // Two places are the same location exactly when they are equal.
        let order = |a: &Item, b: &Item| {
            a.key.cmp(&b.key).then_with(|| {
                if a.peer == b.peer {
                    std::cmp::Ordering::Equal
                } else {
                    text(a.peer).cmp(&text(b.peer))
                }
            })
        };
        // Each primary's claims are sorted, then taken edge by edge while they
        // are in cache.
        let mut pairs = Vec::with_capacity(items.len());
        let mut ends = Vec::with_capacity(items.len());
        let mut claims: Vec<Claim> = Vec::with_capacity(items.len());
        let dr = |item: &Item| (item.key >> 32) as u32;
        for w in starts.windows(2) {
            let of_primary = &mut items[w[0] as usize..w[1] as usize];
            sort_bucket(of_primary, order);
            for group in of_primary.chunk_by(|a, b| dr(a) == dr(b)) {
                let start = claims.len();
                for item in group {
                    let claim = Claim {
                        source: (item.key & 0x7fff_ffff) as u32,
                        side: if item.key & (1 << 31) != 0 {
                            Side::Dr
                        } else {
                            Side::Primary
                        },
                        peer: item.peer,
                    };
                    if claims.len() == start || claims.last() != Some(&claim) {
                        claims.push(claim);
                    }
                }
                pairs.push((group[0].primary, dr(&group[0])));
                // Fewer than 2^32 claims: they are made from records in memory.
                ends.push(claims.len() as u32);
            }
        }
        (EdgePairs { pairs, ends }, claims)
    }
}

/// One record's word for an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeClaim<'a> {
    /// Which side's record says it.
    pub side: Side,
    /// The capture it came from.
    pub source: SourceRef<'a>,
    /// Where the record says the other end is.
    pub peer: Location<'a>,
}

/// One primary -> DR edge with its claimants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edge<'a> {
    /// The primary's id.
    pub primary: &'a str,
    /// The DR's id.
    pub dr: &'a str,
    /// How well it is attested.
    pub status: EdgeStatus,
    /// Whether the ends are in different regions (`None` if a region is unknown).
    pub cross_region: Option<bool>,
    /// Every claim, sorted by side then source.
    pub claims: Vec<EdgeClaim<'a>>,
}

impl Topology {
    /// An edge's claims.
    pub(crate) fn claims_of(&self, edge: &EdgeState) -> &[Claim] {
        &self.claims[edge.start as usize..edge.end as usize]
    }

    /// Each edge's status, by edge index; reports one-sided edges (with the
    /// failed targets, which do not count as queried) and same-region DRs.
    /// The DRs lie all over memory: each is prefetched a few edges ahead.
    pub(crate) fn edge_statuses(
        &self,
        failed: &HashSet<(String, String)>,
        findings: &mut Vec<Finding>,
    ) -> Vec<EdgeStatus> {
        let pairs: HashSet<(Sym, Sym), FastHash> = self.sources.iter().copied().collect();
        let projects: HashSet<Sym, FastHash> = self.sources.iter().map(|s| s.1).collect();
        // A side is queried when its own record was returned, or when its
        // (region, project) (the project alone, when no region is known)
        // is a captured source.
        let queried = |n: &NodeState| {
            let loc = self.loc_at(n.place);
            n.has_own_record
                || match (loc.region, loc.project) {
                    (Some(r), Some(p)) => pairs.contains(&(r, p)),
                    (None, Some(p)) => projects.contains(&p),
                    _ => false,
                }
        };
        let nodes = self.graph.raw_nodes().as_ptr();
        let edges = self.graph.raw_edges();
        let mut statuses = Vec::with_capacity(edges.len());
        for (k, edge) in edges.iter().enumerate() {
            if let Some(ahead) = edges.get(k + AHEAD) {
                prefetch(node_address(nodes, nid(ahead.target())));
            }
            let (p, d) = (nid(edge.source()), nid(edge.target()));
            let (of_primary, of_dr) = (self.state(p), self.state(d));
            let claims = self.claims_of(&edge.weight);
            let by_primary = claims.iter().any(|c| c.side == Side::Primary);
            let by_dr = claims.iter().any(|c| c.side == Side::Dr);
            let status = match (by_primary, by_dr) {
                (true, true) => EdgeStatus::Confirmed,
                (true, false) if queried(of_dr) => EdgeStatus::PrimaryOnly,
                (false, true) if queried(of_primary) => EdgeStatus::DrOnly,
                _ => EdgeStatus::Unverified,
            };
            if status != EdgeStatus::Confirmed {
                findings.push(self.one_sided(p, d, status, claims, failed));
            }
            if let Some(finding) = self.same_region_dr(p, d) {
                findings.push(finding);
            }
            statuses.push(status);
        }
        statuses
    }

    /// Writes the statuses settled by [`Topology::edge_statuses`].
    pub(crate) fn set_statuses(&mut self, statuses: Vec<EdgeStatus>) {
        for (edge, status) in self.graph.edge_weights_mut().zip(statuses) {
            edge.status = status;
        }
    }

    /// Whether the ends `a` and `b` are in different regions (`None` when
    /// a region is unknown).
    pub(crate) fn cross_region(&self, a: u32, b: u32) -> Option<bool> {
        match (self.where_is(a).region, self.where_is(b).region) {
            (Some(x), Some(y)) => Some(x != y),
            _ => None,
        }
    }

    fn edge_by_index(&self, e: EdgeIndex<u32>) -> Option<Edge<'_>> {
        let (p, d) = self.graph.edge_endpoints(e)?;
        let state = &self.graph[e];
        let mut claims: Vec<EdgeClaim<'_>> = self
            .claims_of(state)
            .iter()
            .map(|c| EdgeClaim {
                side: c.side,
                source: self.source_ref(c.source),
                peer: self.location(self.loc_at(c.peer)),
            })
            .collect();
        claims.sort();
        Some(Edge {
            primary: self.id_str(nid(p)),
            dr: self.id_str(nid(d)),
            status: state.status,
            cross_region: self.cross_region(nid(p), nid(d)),
            claims,
        })
    }

    /// Every edge with its claims, sorted by (primary, DR).
    pub fn edges(&self) -> impl Iterator<Item = Edge<'_>> + '_ {
        self.graph
            .edge_indices()
            .filter_map(|e| self.edge_by_index(e))
    }

    /// The edge from `primary` to `dr`, if any record claims it.
    pub fn edge(&self, primary: &str, dr: &str) -> Option<Edge<'_>> {
        let (p, d) = (self.ids.find(primary)?, self.ids.find(dr)?);
        let e = self.graph.find_edge(ix(p), ix(d))?;
        self.edge_by_index(e)
    }

    /// The DRs of `primary`, sorted (empty for an unknown id).
    pub fn drs_of(&self, primary: &str) -> Vec<&str> {
        self.neighbours(primary, Outgoing)
    }

    /// The primaries of `dr`, sorted: normally one (empty for an unknown id).
    pub fn primaries_of(&self, dr: &str) -> Vec<&str> {
        self.neighbours(dr, Incoming)
    }

    fn neighbours(&self, id: &str, direction: petgraph::Direction) -> Vec<&str> {
        let Some(n) = self.ids.find(id) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = self
            .graph
            .neighbors_directed(ix(n), direction)
            .map(|m| self.id_str(nid(m)))
            .collect();
        out.sort_unstable();
        out
    }

    /// The direct DRs of node `node`, with their edges' status and
    /// replication health.
    pub(crate) fn drs(
        &self,
        node: u32,
    ) -> impl Iterator<Item = (u32, EdgeStatus, crate::health::Health)> + '_ {
        self.graph.edges_directed(ix(node), Outgoing).map(|e| {
            (
                nid(e.target()),
                e.weight().status,
                self.health_at(e.id().index()),
            )
        })
    }
}
