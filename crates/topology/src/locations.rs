//! Where each instance is: every claim of a location (an own record places
//! its instance at the capture's source; a peer object places the instance
//! it names where it says), and the location each node settles on.

use std::fmt;

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::visit::EdgeRef;

use crate::bucket::bucket_by;
use crate::builder::{LocationId, LocationTable, Side, StatedLocation};
use crate::edges::{Claim, EdgePairs};
use crate::finding::Finding;
use crate::graph::{ix, nid};
use crate::strings::Sym;
use crate::topology::Topology;

/// A (region, project) that was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef<'a> {
    /// Region id.
    pub region: &'a str,
    /// Project id.
    pub project_id: &'a str,
}

impl fmt::Display for SourceRef<'_> {
    /// `REGION/PROJECT_ID`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.region, self.project_id)
    }
}

/// A location as known or claimed; any part may be unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location<'a> {
    /// Region id.
    pub region: Option<&'a str>,
    /// Project id.
    pub project_id: Option<&'a str>,
    /// Project name (only peer objects carry it).
    pub project_name: Option<&'a str>,
}

impl fmt::Display for Location<'_> {
    /// `REGION/PROJECT_ID`, with `?` for an unknown part.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.region.unwrap_or("?"),
            self.project_id.unwrap_or("?")
        )
    }
}

/// How a claim about an instance's location was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via<'a> {
    /// The instance's own record was returned by the source: the location
    /// is the source's (region, project).
    Record,
    /// A peer object in `record`'s record: `master_instance` when `side` is
    /// [`Side::Dr`], an entry of `slave_instances` when it is
    /// [`Side::Primary`].
    Peer {
        /// The instance whose record holds the peer object.
        record: &'a str,
        /// Which side `record` speaks for.
        side: Side,
    },
}

/// One statement of where an instance is, with its provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocationClaim<'a> {
    /// The capture it came from.
    pub source: SourceRef<'a>,
    /// Own record or peer object.
    pub via: Via<'a>,
    /// What it says.
    pub location: Location<'a>,
}

/// Who stated a location: a source's own record, or a peer object in the
/// record of another instance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Provenance {
    pub(crate) source: u32,
    /// `(record owner, side the record speaks for)` for a peer claim.
    pub(crate) via: Option<(u32, Side)>,
}

impl Topology {
    /// The location at `place`.
    pub(crate) fn loc_at(&self, place: LocationId) -> StatedLocation {
        self.places.get(place)
    }

    /// Where node `node` is.
    pub(crate) fn where_is(&self, node: u32) -> StatedLocation {
        self.loc_at(self.state(node).place)
    }

    /// Node `node`'s region, if known.
    pub(crate) fn region_of(&self, node: u32) -> Option<&str> {
        self.strs.opt(self.where_is(node).region)
    }

    /// `loc` as the public [`Location`].
    pub(crate) fn location(&self, loc: StatedLocation) -> Location<'_> {
        Location {
            region: self.strs.opt(loc.region),
            project_id: self.strs.opt(loc.project),
            project_name: self.strs.opt(loc.name),
        }
    }

    /// Where a source's own records place their instances.
    fn source_loc(&self, source: u32) -> StatedLocation {
        let (region, project) = self.sources[source as usize];
        StatedLocation {
            region: Some(region),
            project: Some(project),
            name: None,
        }
    }

    /// The location claims of a node's own records
    /// (`self.own_records[range]`), in source order, into `out` (cleared
    /// first).
    fn own_claims(
        &self,
        range: std::ops::Range<usize>,
        out: &mut Vec<(StatedLocation, Provenance)>,
    ) {
        out.clear();
        out.extend(self.own_records[range].iter().map(|&(_, s)| {
            (
                self.source_loc(s),
                Provenance {
                    source: s,
                    via: None,
                },
            )
        }));
    }

    /// Every location claim about `node` (for [`Topology::location_claims`],
    /// which sorts them): its own records, then what the records of its
    /// primaries and DRs say of it.
    fn claims_about(&self, node: u32) -> Vec<(StatedLocation, Provenance)> {
        let first = self.own_records.partition_point(|&(x, _)| x < node);
        let len = self.own_records[first..]
            .iter()
            .take_while(|&&(x, _)| x == node)
            .count();
        let mut out = Vec::new();
        self.own_claims(first..first + len, &mut out);
        // A primary's record speaks of its DRs, a DR's of its primary.
        for (direction, side) in [(Incoming, Side::Primary), (Outgoing, Side::Dr)] {
            for e in self.graph.edges_directed(ix(node), direction) {
                let record = if direction == Incoming {
                    e.source()
                } else {
                    e.target()
                };
                for c in self.claims_of(e.weight()).iter().filter(|c| c.side == side) {
                    let via = Some((nid(record), side));
                    out.push((
                        self.loc_at(c.peer),
                        Provenance {
                            source: c.source,
                            via,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Every claim about where instance `id` is, with its provenance: its
    /// own records (one per source that returned it) and every peer object
    /// naming it. Empty for an unknown id.
    pub fn location_claims(&self, id: &str) -> Vec<LocationClaim<'_>> {
        let Some(node) = self.ids.find(id) else {
            return Vec::new();
        };
        let mut out: Vec<LocationClaim<'_>> = self
            .claims_about(node)
            .into_iter()
            .map(|(loc, prov)| LocationClaim {
                source: self.source_ref(prov.source),
                via: match prov.via {
                    None => Via::Record,
                    Some((record, side)) => Via::Peer {
                        record: self.id_str(record),
                        side,
                    },
                },
                location: self.location(loc),
            })
            .collect();
        out.sort();
        out
    }

    /// Settles each node's location (and whether it has an own record);
    /// reports location and project-name conflicts. New locations join
    /// `places` (not `self.places`, which the claims' places are read from
    /// meanwhile). Reads the peer claims about every node grouped by node
    /// ([`PeerClaims`]), so that it reads memory in order rather than
    /// walking the graph.
    pub(crate) fn settle_locations(
        &self,
        edges: &EdgePairs,
        places: &mut LocationTable,
        findings: &mut Vec<Finding>,
    ) -> Vec<(LocationId, bool)> {
        let about = PeerClaims::new(self.ids.len(), edges, &self.claims);
        let mut located = Vec::with_capacity(self.ids.len());
        // What every claim about the node says; the provenance is only
        // looked up for the (few) nodes with a conflict.
        let mut claims: Vec<StatedLocation> = Vec::new();
        let mut regions: Vec<Sym> = Vec::new();
        let mut projects: Vec<Sym> = Vec::new();
        let mut cursor = 0;
        for node in 0..self.ids.len() as u32 {
            let first = cursor;
            while cursor < self.own_records.len() && self.own_records[cursor].0 == node {
                cursor += 1;
            }
            claims.clear();
            claims.extend(
                self.own_records[first..cursor]
                    .iter()
                    .map(|&(_, s)| self.source_loc(s)),
            );
            claims.extend(about.of(node).iter().map(|&(at, _)| self.loc_at(at)));
            let has_own_record = cursor > first;
            let key = |l: &StatedLocation| {
                (
                    l.region.is_none(),
                    l.project.is_none(),
                    self.strs.opt(l.region),
                    self.strs.opt(l.project),
                )
            };
            let mut loc = if has_own_record {
                claims[0]
            } else {
                claims
                    .iter()
                    .copied()
                    .min_by(|a, b| key(a).cmp(&key(b)))
                    .unwrap_or_default()
            };
            loc.name = None;
            for l in &claims {
                if let Some(name) = l.name
                    && (loc.project.is_none() || l.project == loc.project)
                    && loc.name.is_none_or(|best| {
                        best != name && self.strs.get(name) < self.strs.get(best)
                    })
                {
                    loc.name = Some(name);
                }
            }
            regions.clear();
            projects.clear();
            let mut named = false;
            for l in &claims {
                if let Some(r) = l.region
                    && !regions.contains(&r)
                {
                    regions.push(r);
                }
                if let Some(p) = l.project
                    && !projects.contains(&p)
                {
                    projects.push(p);
                }
                named |= l.name.is_some() && l.name != loc.name;
            }
            let conflict = regions.len() > 1 || projects.len() > 1;
            if conflict || named {
                let mut claims = Vec::new();
                self.own_claims(first..cursor, &mut claims);
                claims.extend(
                    about
                        .provenances(node)
                        .map(|(at, prov)| (self.loc_at(at), prov)),
                );
                if conflict {
                    findings.push(self.location_conflict(node, &claims));
                }
                if named {
                    self.name_conflicts(node, &claims, findings);
                }
            }
            // Usually a peer claim says just this: its place is known.
            let place = about
                .of(node)
                .iter()
                .map(|&(at, _)| at)
                .find(|&at| self.loc_at(at) == loc)
                .unwrap_or_else(|| places.id_of(loc));
            located.push((place, has_own_record));
        }
        located
    }

    /// Writes the locations settled by [`Topology::settle_locations`].
    pub(crate) fn set_locations(&mut self, located: Vec<(LocationId, bool)>) {
        for (state, (place, has_own_record)) in self.graph.node_weights_mut().zip(located) {
            state.place = place;
            state.has_own_record = has_own_record;
        }
    }
}

/// The peer claims about every node, grouped by node, each group in a fixed
/// order (it decides the order of the sources in conflict messages): the
/// primary-side claims of the incoming edges, then the DR-side claims of the
/// outgoing ones, edges by descending other end, each edge's claims in
/// order.
struct PeerClaims<'a> {
    /// `start[node]..start[node + 1]` in `about`.
    start: Vec<u32>,
    /// What each claim says, and its index in `claims`.
    about: Vec<(LocationId, u32)>,
    edges: &'a EdgePairs,
    claims: &'a [Claim],
}

impl<'a> PeerClaims<'a> {
    /// From the edges and their claims, for `n` nodes.
    fn new(n: usize, edges: &'a EdgePairs, claims: &'a [Claim]) -> Self {
        let EdgePairs { pairs, ends } = edges;
        // The claims in the order they are kept, each with the node it is
        // about: primary-side ones (about the DR), then DR-side ones (about
        // the primary), edges by descending other end. Listed with plain
        // loops first: the counting sort walks the list twice.
        let mut ordered: Vec<(u32, u32)> = Vec::with_capacity(claims.len());
        for side in [Side::Primary, Side::Dr] {
            for (k, &(p, d)) in pairs.iter().enumerate().rev() {
                let about = if side == Side::Primary { d } else { p };
                let start = k.checked_sub(1).map_or(0, |j| ends[j]);
                for c in start..ends[k] {
                    if claims[c as usize].side == side {
                        ordered.push((about, c));
                    }
                }
            }
        }
        let (about, start) = bucket_by(
            ordered.iter(),
            n,
            |&&(node, _)| node as usize,
            |&&(_, c)| (claims[c as usize].peer, c),
        );
        PeerClaims {
            start,
            about,
            edges,
            claims,
        }
    }

    /// What the claims about `node` say, and their indices in `claims`.
    fn of(&self, node: u32) -> &[(LocationId, u32)] {
        let node = node as usize;
        &self.about[self.start[node] as usize..self.start[node + 1] as usize]
    }

    /// The claims about `node` with their provenance (the record that made
    /// each claim is the other end of the claim's edge).
    fn provenances(&self, node: u32) -> impl Iterator<Item = (LocationId, Provenance)> + '_ {
        let EdgePairs { pairs, ends } = self.edges;
        let claims = self.claims;
        self.of(node).iter().map(move |&(at, c)| {
            let claim: &Claim = &claims[c as usize];
            let (p, d) = pairs[ends.partition_point(|&end| end <= c)];
            let via = match claim.side {
                Side::Primary => p,
                Side::Dr => d,
            };
            (
                at,
                Provenance {
                    source: claim.source,
                    via: Some((via, claim.side)),
                },
            )
        })
    }
}
