//! How a record becomes claims: one function, whichever decoder read the
//! record ([`TopologyBuilder::add_records`]).
//!
//! A record with a usable instance id says that instance is in the
//! capture's source, and each of its peers a claim: an edge (the master
//! names the record's primary, a slave one of its DRs) with the location
//! the peer object states, or a self-relation when the peer is the record's
//! own instance. A record without a usable id, and a peer that is not a
//! usable peer object, are malformed; a record without any peer is empty.

use crate::builder::{
    LocationId, LocationTable, RawEdge, RawMalformed, RawSelf, Side, StatedLocation,
    TopologyBuilder,
};
use crate::records::{Peer, Records};
use crate::strings::Sym;

/// The reason given for a record, or a peer object with other fields, that
/// has no usable instance id.
const NO_PEER_ID: &str = "has no instance_id";

/// `id` if it is usable: not blank.
pub(crate) fn usable(id: Option<&str>) -> Option<&str> {
    // A visible ASCII first byte is a first character that is not
    // whitespace: no need to trim (the usual id starts with one).
    id.filter(|s| {
        s.as_bytes().first().is_some_and(|b| b.is_ascii_graphic()) || !s.trim().is_empty()
    })
}

/// Where a peer entry sits in its record.
#[derive(Clone, Copy)]
enum PeerField {
    Master,
    Slave(usize),
}

impl PeerField {
    /// The side of the relation the record speaks for.
    fn side(self) -> Side {
        match self {
            PeerField::Master => Side::Dr,
            PeerField::Slave(_) => Side::Primary,
        }
    }

    fn name(self) -> String {
        match self {
            PeerField::Master => "master_instance".to_owned(),
            PeerField::Slave(k) => format!("slave_instances[{k}]"),
        }
    }
}

/// What a peer entry amounts to.
enum Resolved {
    /// No peer: `null`, or an object with every field missing or blank.
    Absent,
    /// A peer that cannot be used, and why.
    Bad(String),
    /// A usable peer: its node and the id of the location the record
    /// states for it.
    Valid(u32, LocationId),
}

/// The id of the location each project's peers last stated in one
/// capture, by project string (its index in the capture's `attrs`; the
/// last entry: no project). A project's peers nearly always state the same
/// region and name, so this spares most lookups in the location table.
struct LastLocations(Vec<(u32, u32, Option<LocationId>)>);

impl LastLocations {
    fn new(attrs: usize) -> Self {
        LastLocations(vec![(u32::MAX, u32::MAX, None); attrs + 1])
    }

    /// `peer`'s location id; `loc` makes its location when it is not known.
    fn id_of(
        &mut self,
        peer: &Peer,
        locations: &mut LocationTable,
        loc: impl FnOnce() -> StatedLocation,
    ) -> LocationId {
        let at = (peer.project as usize).min(self.0.len() - 1);
        match self.0[at] {
            (region, name, Some(id)) if (region, name) == (peer.region, peer.name) => id,
            _ => {
                let id = locations.id_of(loc());
                self.0[at] = (peer.region, peer.name, Some(id));
                id
            }
        }
    }
}

impl TopologyBuilder {
    /// Adds a capture's records, decoded, as the claims they make: the one
    /// way records become claims.
    pub(crate) fn add_records(&mut self, src: u32, records: &Records) {
        let first_local = self.begin_capture();
        // Each distinct location string interned once (blank: none).
        let syms: Vec<Option<Sym>> = records
            .attrs
            .iter()
            .map(|&span| self.strs.intern_opt(Some(records.span(span))))
            .collect();
        let sym = |i: u32| syms.get(i as usize).copied().flatten();

        // The ids of the records that have one, and of their peers, in one
        // batch (the peers of a record without an id are not nodes).
        let mut want = Vec::with_capacity(records.records.len() + records.peers.len());
        for (r, record) in records.records.iter().enumerate() {
            if let Some(id) = record.id {
                want.push(id);
                want.extend(records.peers_of(r).iter().filter_map(|p| p.id));
            }
        }
        let mut nodes = Vec::with_capacity(want.len());
        self.ids.intern_all(&want, &records.text, &mut nodes);

        let mut nodes = nodes.into_iter();
        let mut next = || nodes.next().expect("one node per wanted id");
        let mut last_locations = LastLocations::new(records.attrs.len());
        let mut bad_records = records.bad_records.iter().peekable();
        let mut bad_peers = records.bad_peers.iter().peekable();
        for (index, record) in records.records.iter().enumerate() {
            let first_peer = records.peers_start(index);
            let peers = records.peers_of(index);
            if let Some(&(_, error)) = bad_records.next_if(|&&(at, _)| at as usize == index) {
                self.malformed.push(RawMalformed {
                    source: src,
                    index,
                    field: "record".to_owned(),
                    reason: format!("is not a relation record ({})", records.span(error)),
                    owner: None,
                    peers: Vec::new(),
                });
                continue;
            }
            let Some(_) = record.id else {
                // Its peers are not added to the graph on its word alone.
                let peers = peers
                    .iter()
                    .filter_map(|p| p.id)
                    .map(|id| {
                        let mut s = String::new();
                        id.write(&records.text, &mut s);
                        s
                    })
                    .collect();
                self.malformed.push(RawMalformed {
                    source: src,
                    index,
                    field: "instance_id".to_owned(),
                    reason: NO_PEER_ID.to_owned(),
                    owner: None,
                    peers,
                });
                continue;
            };
            let x = next();
            self.locals.push((x, src));
            let mut related = false;
            for (k, p) in peers.iter().enumerate() {
                let field = match (record.has_master, k) {
                    (true, 0) => PeerField::Master,
                    (true, k) => PeerField::Slave(k - 1),
                    (false, k) => PeerField::Slave(k),
                };
                let loc = || StatedLocation {
                    region: sym(p.region),
                    project: sym(p.project),
                    name: sym(p.name),
                };
                let peer = if let Some(&(_, error)) =
                    bad_peers.next_if(|&&(at, _)| at as usize == first_peer + k)
                {
                    Resolved::Bad(format!("is not a peer object ({})", records.span(error)))
                } else {
                    match p.id {
                        Some(_) => {
                            let id = last_locations.id_of(p, &mut self.places, loc);
                            Resolved::Valid(next(), id)
                        }
                        None if loc() == StatedLocation::default() => Resolved::Absent,
                        None => Resolved::Bad(NO_PEER_ID.to_owned()),
                    }
                };
                related |= self.related(src, index, x, field, peer);
            }
            if !related {
                self.empties.push((x, src));
            }
        }
        self.end_capture(first_local);
    }

    /// Adds what record `x` says about one peer; returns whether there was a
    /// peer at all.
    fn related(
        &mut self,
        src: u32,
        index: usize,
        x: u32,
        field: PeerField,
        peer: Resolved,
    ) -> bool {
        match peer {
            Resolved::Absent => false,
            Resolved::Bad(reason) => {
                self.malformed.push(RawMalformed {
                    source: src,
                    index,
                    field: field.name(),
                    reason,
                    owner: Some(x),
                    peers: Vec::new(),
                });
                true
            }
            Resolved::Valid(other, peer) => {
                let side = field.side();
                if other == x {
                    self.selfs.push(RawSelf {
                        node: x,
                        source: src,
                        side,
                    });
                } else {
                    let (primary, dr) = match side {
                        Side::Primary => (x, other),
                        Side::Dr => (other, x),
                    };
                    self.edges.push(RawEdge {
                        primary,
                        dr,
                        source: src,
                        peer,
                        side,
                    });
                }
                true
            }
        }
    }
}
