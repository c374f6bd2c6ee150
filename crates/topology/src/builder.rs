//! Collecting claims from captures: compact, append-only, order-free.
//!
//! Every capture adds claims (this record is in this source; this record
//! says X is the primary of Y with this peer location; ...). Nothing is
//! decided until [`TopologyBuilder::build`], which sorts and deduplicates the
//! claims, so the result does not depend on the order of the captures, and a
//! capture given twice adds nothing new.

use std::borrow::Borrow;
use std::fmt;

use rds_dr_model::{
    Capture, InfosCapture, ListDrInfosResponse, ListDrRelationsResponse, Source, Target,
};

use crate::ids::IdInterner;
use crate::strings::{FastMap, Interner, Sym};
use crate::topology::Topology;

/// Which side of a primary -> DR relation a record speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The primary's own record lists the DR in `slave_instances`.
    Primary,
    /// The DR's own record names the primary in `master_instance`.
    Dr,
}

impl Side {
    /// `primary` or `dr`, as in the findings' `claimed_by`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Primary => "primary",
            Side::Dr => "dr",
        }
    }
}

/// A location as a claim (or a source) states it, its strings interned;
/// any part may be missing. [`Location`](crate::Location) is its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StatedLocation {
    pub(crate) region: Option<Sym>,
    pub(crate) project: Option<Sym>,
    pub(crate) name: Option<Sym>,
}

/// A stated location as an index in the merge's table of the distinct
/// locations that claims state ([`LocationTable`]): 4 bytes in every claim
/// rather than 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LocationId(u32);

/// The distinct locations that claims state, each once.
#[derive(Clone, Debug, Default)]
pub(crate) struct LocationTable {
    locs: Vec<StatedLocation>,
    index: FastMap<StatedLocation, LocationId>,
}

impl LocationTable {
    /// `loc`'s id, added if new.
    pub(crate) fn id_of(&mut self, loc: StatedLocation) -> LocationId {
        let locs = &mut self.locs;
        *self.index.entry(loc).or_insert_with(|| {
            // Fewer than 2^32 distinct locations: each is made of strings
            // held in memory.
            locs.push(loc);
            LocationId((locs.len() - 1) as u32)
        })
    }

    /// The location `id` stands for.
    pub(crate) fn get(&self, id: LocationId) -> StatedLocation {
        self.locs[id.0 as usize]
    }
}

/// "Record of `dr` in `source` names `primary` as master" or "record of
/// `primary` in `source` lists `dr` as a slave"; `peer` is what the record
/// says about the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEdge {
    pub(crate) primary: u32,
    pub(crate) dr: u32,
    pub(crate) source: u32,
    pub(crate) peer: LocationId,
    pub(crate) side: Side,
}

/// A record naming its own instance as master (`side == Dr`) or slave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RawSelf {
    pub(crate) node: u32,
    pub(crate) source: u32,
    pub(crate) side: Side,
}

/// A record, or a peer inside a record, without a usable instance id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RawMalformed {
    pub(crate) source: u32,
    /// Index of the record in `instance_dr_relations`.
    pub(crate) index: usize,
    /// `record`, `instance_id`, `master_instance` or `slave_instances[i]`.
    pub(crate) field: String,
    /// What is wrong, for people.
    pub(crate) reason: String,
    /// The record's own instance, when it has one.
    pub(crate) owner: Option<u32>,
    /// Instances the record names (when its own id is missing); they are
    /// not added to the graph on this record's word alone.
    pub(crate) peers: Vec<String>,
}

/// Collects captures (and failed targets), then builds a [`Topology`].
///
/// ```
/// use rds_dr_model::{Capture, ListDrRelationsResponse};
/// use rds_dr_topology::{EdgeStatus, Topology};
///
/// let a: ListDrRelationsResponse = serde_json::from_str(r#"{"instance_dr_relations": [
///     {"instance_id": "p1in03", "slave_instances": [{"instance_id": "d1in03",
///      "region": "ap-southeast-1", "project_id": "08fd4e669e00d57d2ffec01352c7cb77"}]}]}"#)?;
/// let b: ListDrRelationsResponse = serde_json::from_str(r#"{"instance_dr_relations": [
///     {"instance_id": "d1in03", "master_instance": {"instance_id": "p1in03",
///      "region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}}]}"#)?;
/// let mut builder = Topology::builder();
/// builder.records(&"cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse().unwrap(), &a);
/// builder.capture(Capture {
///     source: "ap-southeast-1/08fd4e669e00d57d2ffec01352c7cb77".parse().unwrap(),
///     fetched_at: None,
///     response: b,
/// });
/// let topology = builder.build();
/// let edge = topology.edge("p1in03", "d1in03").unwrap();
/// assert_eq!(edge.status, EdgeStatus::Confirmed);
/// assert_eq!(edge.cross_region, Some(true));
/// assert!(topology.findings().is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Default)]
pub struct TopologyBuilder {
    pub(crate) ids: IdInterner,
    pub(crate) strs: Interner,
    source_map: FastMap<(Sym, Sym), u32>,
    pub(crate) sources: Vec<(Sym, Sym)>,
    pub(crate) locals: Vec<(u32, u32)>,
    pub(crate) edges: Vec<RawEdge>,
    /// The locations that the edges' claims state.
    pub(crate) places: LocationTable,
    pub(crate) selfs: Vec<RawSelf>,
    /// (node, source, capture serial) for every repeated record.
    pub(crate) dups: Vec<(u32, u32, u32)>,
    pub(crate) empties: Vec<(u32, u32)>,
    pub(crate) malformed: Vec<RawMalformed>,
    pub(crate) failed: Vec<(Source, String)>,
    /// The ListDrInfos records, failed targets and thresholds.
    pub(crate) infos: crate::health::claims::InfoClaims,
    /// Per node: the serial of the last capture that had its own record.
    seen: Vec<u32>,
    serial: u32,
}

impl fmt::Debug for TopologyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopologyBuilder")
            .field("captures", &self.serial)
            .field("sources", &self.sources.len())
            .field("instances", &self.ids.len())
            .field("edge_claims", &self.edges.len())
            .field("failed_targets", &self.failed.len())
            .finish_non_exhaustive()
    }
}

impl TopologyBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        TopologyBuilder::default()
    }

    /// Makes room for about `instances` more instances, so that merging a
    /// large fleet does not grow the id table step by step. Only a hint:
    /// any number may come.
    ///
    /// ```
    /// let mut builder = rds_dr_topology::Topology::builder();
    /// builder.reserve(100_000);
    /// assert_eq!(builder.build().summary().instances, 0);
    /// ```
    pub fn reserve(&mut self, instances: usize) -> &mut Self {
        self.ids.reserve(instances);
        self.seen.reserve(instances);
        self.locals.reserve(instances);
        // Each primary -> DR pair is claimed from both ends: a fleet of
        // primaries with one or two DRs has about 1.25 claims an instance.
        // Room for 1.5: memory reserved but never written costs nothing,
        // growing costs a copy of them all.
        self.edges.reserve(instances + instances / 2);
        self
    }

    /// Adds one capture (owned or borrowed). Captures can come in any order;
    /// the same source may come more than once (its records are united: a
    /// capture given twice changes nothing, and one source's records may be
    /// split over several captures).
    pub fn capture(&mut self, capture: impl Borrow<Capture>) -> &mut Self {
        let capture = capture.borrow();
        self.records(&capture.source, &capture.response)
    }

    /// Adds an API body returned for `source` (the same as a capture).
    pub fn records(&mut self, source: &Source, response: &ListDrRelationsResponse) -> &mut Self {
        let src = self.source(&source.region, &source.project_id);
        self.add_records(src, &crate::decode::model::records(response));
        self
    }

    /// Records a target that could not be fetched (`query-failed`). A
    /// failed target does not count as queried: edges towards it are
    /// `unverified`.
    pub fn failed_target(&mut self, target: Target, message: impl Into<String>) -> &mut Self {
        self.failed.push((target, message.into()));
        self
    }

    /// Adds one ListDrInfos capture (owned or borrowed): its records give
    /// the edges' replication health. Any order, any number of times.
    pub fn infos_capture(&mut self, capture: impl Borrow<InfosCapture>) -> &mut Self {
        let capture = capture.borrow();
        self.infos(&capture.source, &capture.response)
    }

    /// Adds a ListDrInfos body returned for `source` (the same as an infos
    /// capture).
    pub fn infos(&mut self, source: &Source, response: &ListDrInfosResponse) -> &mut Self {
        let records = crate::decode::model::infos_records(response);
        self.add_infos(&source.region, &source.project_id, records);
        self
    }

    /// Adds a capture's ListDrInfos records, decoded: the one way they
    /// reach the merge, whichever decoder read them.
    pub(crate) fn add_infos(
        &mut self,
        region: &str,
        project_id: &str,
        records: crate::health::records::InfoRecords,
    ) {
        self.infos
            .add(&mut self.strs, (region, project_id), records);
    }

    /// Records a target whose ListDrInfos could not be fetched
    /// (`query-failed` with `{"operation": "ListDrInfos"}`); its relations
    /// still count.
    pub fn failed_infos_target(&mut self, target: Target, message: impl Into<String>) -> &mut Self {
        self.infos.failed.push((target, message.into()));
        self
    }

    /// An edge whose send or replay lag is over `mb` megabytes is
    /// `lagging` (default 64).
    pub fn max_lag_mb(&mut self, mb: f64) -> &mut Self {
        self.infos.thresholds.max_lag_mb = mb;
        self
    }

    /// An edge whose replay delay is over `ms` milliseconds is `lagging`
    /// (default 60000).
    pub fn max_delay_ms(&mut self, ms: f64) -> &mut Self {
        self.infos.thresholds.max_delay_ms = ms;
        self
    }

    /// Merges, validates and analyses everything added so far, and resets
    /// the builder.
    pub fn build(&mut self) -> Topology {
        Topology::from_builder(std::mem::take(self))
    }

    /// Starts adding a capture: returns where its own records will start
    /// in `locals`, for [`end_capture`](Self::end_capture).
    pub(crate) fn begin_capture(&mut self) -> usize {
        self.serial = self.serial.wrapping_add(1).max(1);
        self.locals.len()
    }

    pub(crate) fn source(&mut self, region: &str, project_id: &str) -> u32 {
        let key = (self.strs.intern(region), self.strs.intern(project_id));
        let next = self.sources.len();
        *self.source_map.entry(key).or_insert_with(|| {
            self.sources.push(key);
            u32::try_from(next).expect("fewer than 2^32 sources")
        })
    }

    /// Ends adding a capture whose own records are `self.locals[from..]`
    /// (`from` from [`begin_capture`](Self::begin_capture)): notes its
    /// repeated records. `seen` is read at random, so this runs as one
    /// tight loop after the capture rather than record by record, each
    /// entry prefetched a few records ahead.
    pub(crate) fn end_capture(&mut self, from: usize) {
        self.seen.resize(self.ids.len(), 0);
        let serial = self.serial;
        let locals = &self.locals[from..];
        for (k, &(x, src)) in locals.iter().enumerate() {
            if let Some(&(ahead, _)) = locals.get(k + crate::prefetch::AHEAD)
                && let Some(seen) = self.seen.get(ahead as usize)
            {
                crate::prefetch::prefetch(std::ptr::from_ref(seen));
            }
            let seen = &mut self.seen[x as usize];
            if *seen == serial {
                self.dups.push((x, src, serial));
            }
            *seen = serial;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_ids_are_the_same_exactly_for_the_same_location() {
        let mut strs = Interner::default();
        let mut places = LocationTable::default();
        let mut loc =
            |region: Option<&str>, project: Option<&str>, name: Option<&str>| StatedLocation {
                region: strs.intern_opt(region),
                project: strs.intern_opt(project),
                name: strs.intern_opt(name),
            };
        let locs = [
            loc(None, None, None),
            loc(Some("cn-north-4"), None, None),
            loc(None, Some("cn-north-4"), None),
            loc(Some("cn-north-4"), Some("p1"), None),
            loc(Some("cn-north-4"), Some("p1"), Some("n1")),
            loc(Some("cn-north-4"), Some("p1"), Some("n2")),
            loc(Some("ap-southeast-1"), Some("p1"), Some("n1")),
        ];
        let first: Vec<LocationId> = locs.iter().map(|&l| places.id_of(l)).collect();
        // Again, in reverse: the same places, each giving back its location.
        for (&l, &p) in locs.iter().zip(&first).rev() {
            assert_eq!(places.id_of(l), p);
            assert_eq!(places.get(p), l);
        }
        for (i, a) in first.iter().enumerate() {
            for b in &first[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
