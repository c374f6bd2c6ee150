//! The fast paths from JSON bytes to claims: decode with borrowed strings
//! into a flat, owned form ([`Decoded`]), then add that to the builder.
//!
//! Decoding is the part that can run on other threads than the merge, so it
//! does as much of the work as it can: each instance id is packed and hashed
//! there ([`PreId`]), and each distinct location string is stored once per
//! capture. Three decoders are tried in turn, each giving up on what it does
//! not handle:
//!
//! 1. [`scan`]: a scanner for captures of exactly the usual shape (no
//!    escapes, no unknown fields), about 1.5 times as fast as serde;
//! 2. serde with borrowed strings, its visitors writing straight into the
//!    flat arrays (`DeserializeSeed`, no value per record): at least as
//!    strict as the model's types, it gives up on a malformed record or peer,
//!    a wrong type anywhere, a repeated field, a string with escapes in a
//!    record (serde never borrows an `Option<Cow<str>>`, so the record fields
//!    are `&str`: they borrow or fail), a syntax error;
//! 3. the model's lenient types, which decide every malformed record.
//!
//! So the result is always exactly what [`TopologyBuilder::capture`] makes of
//! the decoded [`Capture`].

use std::borrow::Cow;
use std::fmt;

use rds_dr_model::{Capture, ListDrRelationsResponse, Source};
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::builder::{Field, Loc, NO_PEER_ID, Place, Places, Resolved, TopologyBuilder, usable};
use crate::intern::{FastMap, PreId, Sym};

mod scan;

#[derive(Deserialize)]
struct FastCapture<'a> {
    #[serde(borrow)]
    source: FastSource<'a>,
    #[serde(default, borrow, rename = "fetched_at")]
    _fetched_at: Option<&'a str>,
    #[serde(default)]
    response: FastResponse,
}

#[derive(Deserialize)]
struct FastSource<'a> {
    #[serde(borrow)]
    region: Cow<'a, str>,
    #[serde(borrow)]
    project_id: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
struct FastResponse {
    #[serde(default)]
    instance_dr_relations: Option<FlatRecords>,
}

/// A kept string that is not UTF-8 (only the scanner meets them: serde's
/// strings are checked).
const NOT_UTF8: &str = "a string that is not UTF-8";

/// No location string (an index in [`Flat::attrs`]).
const NO_ATTR: u32 = u32::MAX;

/// A capture's records and peers, flat.
#[derive(Default, Debug, PartialEq)]
struct Flat {
    /// The ids that do not pack and the distinct location strings.
    text: String,
    records: Vec<FlatRecord>,
    /// Every record's peers: its master (if any), then its slaves.
    peers: Vec<FlatPeer>,
    /// The distinct peer regions, project ids and names: spans of `text`.
    attrs: Vec<(u32, u32)>,
}

#[derive(Debug, PartialEq)]
struct FlatRecord {
    /// The record's usable (non-blank) instance id.
    id: Option<PreId>,
    has_master: bool,
    /// End of this record's peers in `peers`.
    peers_end: u32,
}

/// A peer object; its location strings are indices in `attrs` (or
/// [`NO_ATTR`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct FlatPeer {
    /// The peer's usable (non-blank) instance id.
    id: Option<PreId>,
    region: u32,
    project: u32,
    name: u32,
}

/// The place of the location each project's peers last stated in one
/// capture, by project string (its index in the capture's `attrs`; the
/// last entry: no project). A project's peers nearly always state the same
/// region and name, so this spares most lookups in the places table.
struct LastPlaces(Vec<(u32, u32, Option<Place>)>);

impl LastPlaces {
    fn new(attrs: usize) -> Self {
        LastPlaces(vec![(u32::MAX, u32::MAX, None); attrs + 1])
    }

    /// `peer`'s place; `loc` makes its location when it is not known.
    fn place(&mut self, peer: &FlatPeer, places: &mut Places, loc: impl FnOnce() -> Loc) -> Place {
        let at = (peer.project as usize).min(self.0.len() - 1);
        match self.0[at] {
            (region, name, Some(place)) if (region, name) == (peer.region, peer.name) => place,
            _ => {
                let place = places.place(loc());
                self.0[at] = (peer.region, peer.name, Some(place));
                place
            }
        }
    }
}

/// [`Flat`] while it is being decoded from `'de` bytes.
struct FlatOut<'de> {
    flat: Flat,
    attr_index: FastMap<&'de [u8], u32>,
    /// The strings of up to 32 bytes (their [`ShortKey`] and index in
    /// `attrs`, or [`NO_ATTR`] in a free slot), by linear probing: a
    /// capture repeats a few hundred location strings thousands of times,
    /// and this finds them by comparing a few words, without hashing them
    /// whole. At most half full; later strings go to `attr_index` alone.
    attr_table: Box<[(ShortKey, u32); ATTR_SLOTS]>,
    /// Strings in `attr_table`.
    attr_short: usize,
}

impl Default for FlatOut<'_> {
    fn default() -> Self {
        FlatOut {
            flat: Flat::default(),
            attr_index: FastMap::default(),
            attr_table: Box::new([(ShortKey::NONE, NO_ATTR); ATTR_SLOTS]),
            attr_short: 0,
        }
    }
}

impl FlatOut<'_> {
    /// Room for the records and peers of a capture of `len` bytes, so that
    /// decoding it does not grow (and copy) them step by step. A guess: a
    /// compact record with one peer takes about 270 bytes.
    fn for_len(len: usize) -> Self {
        let mut out = FlatOut::default();
        out.flat.records.reserve(len / BYTES_PER_RECORD);
        out.flat.peers.reserve(len / BYTES_PER_RECORD);
        out
    }
}

/// Compact JSON bytes per record (with its peer) assumed by
/// [`FlatOut::for_len`]; a little low, so that the guess is rarely too big.
const BYTES_PER_RECORD: usize = 240;

/// Slots of [`FlatOut::attr_table`] (a power of two).
const ATTR_SLOTS: usize = 1 << ATTR_BITS;
const ATTR_BITS: u32 = 10;

/// A string of at most 32 bytes, exactly: its length and its first and
/// last 16 bytes (which then cover it all; shorter strings use 8-byte
/// words, or one word of all their bytes). Equal keys are equal strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortKey {
    len: usize,
    first: u128,
    last: u128,
}

impl ShortKey {
    /// The key of no string (no string is that long).
    const NONE: ShortKey = ShortKey {
        len: usize::MAX,
        first: 0,
        last: 0,
    };

    fn of(b: &[u8]) -> Option<ShortKey> {
        if b.len() > 32 {
            return None;
        }
        let (first, last) = match (b.first_chunk::<16>(), b.last_chunk::<16>()) {
            (Some(first), Some(last)) => (u128::from_le_bytes(*first), u128::from_le_bytes(*last)),
            _ => match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
                (Some(first), Some(last)) => (
                    u128::from(u64::from_le_bytes(*first)),
                    u128::from(u64::from_le_bytes(*last)),
                ),
                _ => (b.iter().fold(0, |x, &c| x << 8 | u128::from(c)), 0),
            },
        };
        Some(ShortKey {
            len: b.len(),
            first,
            last,
        })
    }

    /// The key's first slot in [`FlatOut::attr_table`].
    fn slot(&self) -> usize {
        let fold = |w: u128| (w as u64) ^ ((w >> 64) as u64).rotate_left(17);
        let mixed = (fold(self.first) ^ fold(self.last).rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - ATTR_BITS)) as usize
    }
}

/// The decoders give strings as bytes: only the few strings that are kept
/// as text are checked to be UTF-8 (a packed id is ASCII), so the
/// scanner's input need not be checked whole first.
impl<'de> FlatOut<'de> {
    fn id(&mut self, id: Option<&[u8]>) -> Result<Option<PreId>, &'static str> {
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(pre) = PreId::packed(id) {
            return Ok(Some(pre));
        }
        let id = std::str::from_utf8(id).map_err(|_| NOT_UTF8)?;
        // Spans in `text` are 32-bit.
        if self.flat.text.len() + id.len() > u32::MAX as usize {
            return Err("capture too large");
        }
        Ok(usable(Some(id)).map(|id| PreId::unpacked(id, &mut self.flat.text)))
    }

    /// Adds a peer object's fields.
    fn peer(
        &mut self,
        id: Option<&[u8]>,
        region: Option<&'de [u8]>,
        project: Option<&'de [u8]>,
        name: Option<&'de [u8]>,
    ) -> Result<(), &'static str> {
        let peer = FlatPeer {
            id: self.id(id)?,
            region: self.attr(region)?,
            project: self.attr(project)?,
            name: self.attr(name)?,
        };
        self.flat.peers.push(peer);
        Ok(())
    }

    /// The record whose peers start at `start` has a master: it was just
    /// added; put it in front of the record's slaves if they came first.
    fn master_added(&mut self, start: usize) {
        let at = self.flat.peers.len() - 1;
        if at != start {
            let peer = self.flat.peers.remove(at);
            self.flat.peers.insert(start, peer);
        }
    }

    /// Ends a record: its peers are the ones added since the last record.
    fn record(&mut self, id: Option<&[u8]>, has_master: bool) -> Result<(), &'static str> {
        let id = self.id(id)?;
        let peers_end =
            u32::try_from(self.flat.peers.len()).map_err(|_| "too many peers in one capture")?;
        self.flat.records.push(FlatRecord {
            id,
            has_master,
            peers_end,
        });
        Ok(())
    }

    fn attr(&mut self, s: Option<&'de [u8]>) -> Result<u32, &'static str> {
        let Some(s) = s else {
            return Ok(NO_ATTR);
        };
        let Some(key) = ShortKey::of(s) else {
            return self.attr_indexed(s);
        };
        // The table is never full, so the probe ends at a free slot.
        let mut slot = key.slot();
        loop {
            let (known, i) = self.attr_table[slot];
            if known == key {
                return Ok(i);
            }
            if i == NO_ATTR {
                break;
            }
            slot = (slot + 1) % ATTR_SLOTS;
        }
        let i = self.attr_indexed(s)?;
        if self.attr_short < ATTR_SLOTS / 2 {
            self.attr_table[slot] = (key, i);
            self.attr_short += 1;
        }
        Ok(i)
    }

    /// [`attr`](Self::attr) without the table of short strings.
    fn attr_indexed(&mut self, s: &'de [u8]) -> Result<u32, &'static str> {
        if let Some(&i) = self.attr_index.get(s) {
            return Ok(i);
        }
        let text = std::str::from_utf8(s).map_err(|_| NOT_UTF8)?;
        let i = u32::try_from(self.flat.attrs.len())
            .ok()
            .filter(|&i| i != NO_ATTR)
            .ok_or("too many distinct location strings")?;
        let start = u32::try_from(self.flat.text.len()).map_err(|_| "capture too large")?;
        self.flat.text.push_str(text);
        let end = u32::try_from(self.flat.text.len()).map_err(|_| "capture too large")?;
        self.flat.attrs.push((start, end));
        self.attr_index.insert(s, i);
        Ok(i)
    }
}

/// `instance_dr_relations`, decoded into a [`Flat`].
struct FlatRecords(Flat);

impl<'de> Deserialize<'de> for FlatRecords {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Records;

        impl<'de> Visitor<'de> for Records {
            type Value = FlatRecords;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of relation records")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FlatRecords, A::Error> {
                let mut out = FlatOut::default();
                while seq.next_element_seed(RecordSeed(&mut out))?.is_some() {}
                Ok(FlatRecords(out.flat))
            }
        }

        deserializer.deserialize_seq(Records)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum RecordField {
    InstanceId,
    MasterInstance,
    SlaveInstances,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PeerField {
    InstanceId,
    Region,
    ProjectId,
    ProjectName,
    #[serde(other)]
    Other,
}

/// Sets a field once; a repeated field is an error, as with serde's derive
/// (the model then decides what the record is).
fn once<T, E: serde::de::Error>(
    slot: &mut Option<T>,
    value: T,
    name: &'static str,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

/// One record: a JSON object (`deserialize_map` takes nothing else).
struct RecordSeed<'o, 'de>(&'o mut FlatOut<'de>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a relation record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let start = out.flat.peers.len();
        let mut id: Option<Option<&'de str>> = None;
        let mut master: Option<bool> = None;
        let mut slaves: Option<()> = None;
        while let Some(field) = map.next_key::<RecordField>()? {
            match field {
                RecordField::InstanceId => once(&mut id, map.next_value()?, "instance_id")?,
                RecordField::MasterInstance => {
                    let some = map.next_value_seed(MasterSeed(&mut *out))?;
                    once(&mut master, some, "master_instance")?;
                    if some {
                        out.master_added(start);
                    }
                }
                RecordField::SlaveInstances => {
                    map.next_value_seed(SlavesSeed(&mut *out))?;
                    once(&mut slaves, (), "slave_instances")?;
                }
                RecordField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        out.record(id.flatten().map(str::as_bytes), master == Some(true))
            .map_err(A::Error::custom)
    }
}

/// `master_instance`: `null` or a peer object; whether there was one.
struct MasterSeed<'o, 'de>(&'o mut FlatOut<'de>);

impl<'de> DeserializeSeed<'de> for MasterSeed<'_, 'de> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for MasterSeed<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a peer object or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_map(PeerSeed(self.0))?;
        Ok(true)
    }
}

/// `slave_instances`: `null` or an array of peer objects.
struct SlavesSeed<'o, 'de>(&'o mut FlatOut<'de>);

impl<'de> DeserializeSeed<'de> for SlavesSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for SlavesSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of peer objects or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(PeerSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One peer object.
struct PeerSeed<'o, 'de>(&'o mut FlatOut<'de>);

impl<'de> DeserializeSeed<'de> for PeerSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PeerSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a peer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let mut id: Option<Option<&'de str>> = None;
        let mut region: Option<Option<&'de str>> = None;
        let mut project: Option<Option<&'de str>> = None;
        let mut name: Option<Option<&'de str>> = None;
        while let Some(field) = map.next_key::<PeerField>()? {
            match field {
                PeerField::InstanceId => once(&mut id, map.next_value()?, "instance_id")?,
                PeerField::Region => once(&mut region, map.next_value()?, "region")?,
                PeerField::ProjectId => once(&mut project, map.next_value()?, "project_id")?,
                PeerField::ProjectName => once(&mut name, map.next_value()?, "project_name")?,
                PeerField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        out.peer(
            id.flatten().map(str::as_bytes),
            region.flatten().map(str::as_bytes),
            project.flatten().map(str::as_bytes),
            name.flatten().map(str::as_bytes),
        )
        .map_err(A::Error::custom)
    }
}

/// The scanner's result for a capture envelope, else the serde fast
/// types'; `None` when both give up. The scanner checks the strings it
/// keeps to be UTF-8; serde's types need the whole input checked first.
fn fast_capture(json: &[u8]) -> Option<(Cow<'_, str>, Cow<'_, str>, Flat)> {
    if let Some((region, project_id, flat)) = scan::capture(json) {
        return Some((region.into(), project_id.into(), flat));
    }
    serde_capture(std::str::from_utf8(json).ok()?)
}

/// A capture envelope decoded with the serde fast types alone.
fn serde_capture(text: &str) -> Option<(Cow<'_, str>, Cow<'_, str>, Flat)> {
    let capture: FastCapture<'_> = serde_json::from_str(text).ok()?;
    let flat = capture.response.instance_dr_relations.map(|r| r.0);
    Some((
        capture.source.region,
        capture.source.project_id,
        flat.unwrap_or_default(),
    ))
}

/// The scanner's result for a raw API body, else the serde fast types'.
fn fast_response(json: &[u8]) -> Option<Flat> {
    if let Some(flat) = scan::response(json) {
        return Some(flat);
    }
    serde_response(std::str::from_utf8(json).ok()?)
}

/// A raw API body decoded with the serde fast types alone.
fn serde_response(text: &str) -> Option<Flat> {
    let response: FastResponse = serde_json::from_str(text).ok()?;
    Some(
        response
            .instance_dr_relations
            .map(|r| r.0)
            .unwrap_or_default(),
    )
}

impl TopologyBuilder {
    /// Decodes a capture envelope from JSON and adds it: the same as
    /// decoding a [`Capture`] and calling [`capture`](Self::capture), with
    /// far less decoding work and without holding the decoded capture.
    ///
    /// Malformed records and peers become findings, as always; only a
    /// document that is not a capture at all (bad JSON, no `source`, a
    /// `source` that is not a region id and a 32-hex project id, ...) is an
    /// error, and then nothing is added.
    ///
    /// ```
    /// use rds_dr_topology::Topology;
    ///
    /// let mut builder = Topology::builder();
    /// builder.capture_json(br#"{"source": {"region": "cn-north-4",
    ///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
    ///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}, 7]}}"#)?;
    /// assert!(builder.capture_json(b"{\"response\": {}}").is_err());
    /// assert!(builder.capture_json(br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#).is_err());
    /// let topology = builder.build();
    /// let codes: Vec<&str> = topology.findings().iter().map(|f| f.code.as_str()).collect();
    /// assert_eq!(codes, ["malformed-record", "empty-record"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn capture_json(&mut self, json: &[u8]) -> Result<&mut Self, serde_json::Error> {
        let decoded = Self::decode_capture(json)?;
        Ok(self.add(decoded))
    }

    /// Decodes a raw API body (`{"instance_dr_relations": [...]}`) returned
    /// for `source` and adds it, like [`capture_json`](Self::capture_json).
    pub fn records_json(
        &mut self,
        source: &Source,
        json: &[u8],
    ) -> Result<&mut Self, serde_json::Error> {
        let decoded = Self::decode_records(source, json)?;
        Ok(self.add(decoded))
    }
}

/// A capture read from bytes must name a real (region, project): a region id
/// and a 32-hex project id (`Source::validate`). Captures built in code are
/// taken as they are.
fn check_source(region: &str, project_id: &str) -> Result<(), serde_json::Error> {
    rds_dr_model::validate_region(region)
        .and_then(|()| rds_dr_model::validate_project_id(project_id))
        .map_err(|reason| serde_json::Error::custom(format!("invalid `source`: {reason}")))
}

/// A capture (envelope or raw API body) decoded from JSON and not yet added
/// to a builder: [`TopologyBuilder::decode_capture`] or
/// [`TopologyBuilder::decode_records`] make it, [`TopologyBuilder::add`]
/// adds it. It owns its data, so the decoding can run on another thread
/// than the merge; adding it is the same as
/// [`capture_json`](TopologyBuilder::capture_json) (or
/// [`records_json`](TopologyBuilder::records_json)) on the same bytes.
///
/// ```
/// use rds_dr_topology::{Topology, TopologyBuilder};
///
/// let decoded = TopologyBuilder::decode_capture(br#"{"source": {"region": "cn-north-4",
///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}]}}"#)?;
/// assert!(TopologyBuilder::decode_capture(b"{\"response\": {}}").is_err());
/// let topology = Topology::builder().add(decoded).build();
/// assert_eq!(topology.summary().instances, 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Decoded(DecodedInner);

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = match &self.0 {
            DecodedInner::Flat { flat, .. } => flat.records.len(),
            DecodedInner::Model { response, .. } => response.instance_dr_relations.len(),
        };
        f.debug_struct("Decoded")
            .field("records", &records)
            .finish_non_exhaustive()
    }
}

enum DecodedInner {
    /// The fast path's flat form.
    Flat {
        region: String,
        project_id: String,
        flat: Flat,
    },
    /// What the fast path would not take, decoded with the model's types.
    Model {
        source: Source,
        response: ListDrRelationsResponse,
    },
}

impl TopologyBuilder {
    /// Decodes a capture envelope from JSON without adding it; the same
    /// checks and errors as [`capture_json`](Self::capture_json).
    pub fn decode_capture(json: &[u8]) -> Result<Decoded, serde_json::Error> {
        match fast_capture(json) {
            Some((region, project_id, flat)) => {
                check_source(&region, &project_id)?;
                Ok(Decoded(DecodedInner::Flat {
                    region: region.into_owned(),
                    project_id: project_id.into_owned(),
                    flat,
                }))
            }
            None => {
                let capture: Capture = serde_json::from_slice(json)?;
                check_source(&capture.source.region, &capture.source.project_id)?;
                Ok(Decoded(DecodedInner::Model {
                    source: capture.source,
                    response: capture.response,
                }))
            }
        }
    }

    /// Decodes a raw API body returned for `source` without adding it; the
    /// same errors as [`records_json`](Self::records_json).
    pub fn decode_records(source: &Source, json: &[u8]) -> Result<Decoded, serde_json::Error> {
        match fast_response(json) {
            Some(flat) => Ok(Decoded(DecodedInner::Flat {
                region: source.region.clone(),
                project_id: source.project_id.clone(),
                flat,
            })),
            None => {
                let response: ListDrRelationsResponse = serde_json::from_slice(json)?;
                Ok(Decoded(DecodedInner::Model {
                    source: source.clone(),
                    response,
                }))
            }
        }
    }

    /// Adds a capture decoded by [`decode_capture`](Self::decode_capture)
    /// or [`decode_records`](Self::decode_records).
    pub fn add(&mut self, decoded: Decoded) -> &mut Self {
        match decoded.0 {
            DecodedInner::Model { source, response } => self.records(&source, &response),
            DecodedInner::Flat {
                region,
                project_id,
                flat,
            } => {
                let src = self.source(&region, &project_id);
                self.add_flat(src, &flat);
                self
            }
        }
    }

    fn add_flat(&mut self, src: u32, flat: &Flat) {
        let first_local = self.begin_capture();
        let Flat {
            text,
            records,
            peers,
            attrs,
        } = flat;
        // Each distinct location string interned once (blank: none).
        let syms: Vec<Option<Sym>> = attrs
            .iter()
            .map(|&(start, end)| {
                self.strs
                    .intern_opt(Some(&text[start as usize..end as usize]))
            })
            .collect();
        let sym = |i: u32| syms.get(i as usize).copied().flatten();
        let mine = |r: usize| {
            let start = r
                .checked_sub(1)
                .map_or(0, |p| records[p].peers_end as usize);
            &peers[start..records[r].peers_end as usize]
        };

        // The ids of the records that have one, and of their peers, in one
        // batch (the peers of a record without an id are not nodes).
        let mut want = Vec::with_capacity(records.len() + peers.len());
        for (r, record) in records.iter().enumerate() {
            if let Some(id) = record.id {
                want.push(id);
                want.extend(mine(r).iter().filter_map(|p| p.id));
            }
        }
        let mut nodes = Vec::with_capacity(want.len());
        self.ids.intern_all(&want, text, &mut nodes);

        let mut nodes = nodes.into_iter();
        let mut next = || nodes.next().expect("one node per wanted id");
        let mut last_places = LastPlaces::new(attrs.len());
        for (index, record) in records.iter().enumerate() {
            let Some(_) = record.id else {
                let peers = mine(index)
                    .iter()
                    .filter_map(|p| p.id)
                    .map(|id| {
                        let mut s = String::new();
                        id.write(text, &mut s);
                        s
                    })
                    .collect();
                self.unowned(src, index, peers);
                continue;
            };
            let x = next();
            self.locals.push((x, src));
            let mut related = false;
            for (k, p) in mine(index).iter().enumerate() {
                let field = match (record.has_master, k) {
                    (true, 0) => Field::Master,
                    (true, k) => Field::Slave(k - 1),
                    (false, k) => Field::Slave(k),
                };
                let loc = || Loc {
                    region: sym(p.region),
                    project: sym(p.project),
                    name: sym(p.name),
                };
                let peer = match p.id {
                    Some(_) => {
                        let place = last_places.place(p, &mut self.places, loc);
                        Resolved::Valid(next(), place)
                    }
                    None if loc() == Loc::default() => Resolved::Absent,
                    None => Resolved::Bad(NO_PEER_ID.to_owned()),
                };
                related |= self.related(src, index, x, field, peer);
            }
            self.close(x, src, related);
        }
        self.end_capture(first_local);
    }
}

#[cfg(test)]
mod tests {
    use rds_dr_model::synth::{FleetSpec, generate};

    use super::*;

    #[test]
    fn short_keys_are_equal_exactly_when_their_strings_are() {
        // Every length up to 33 bytes; each string against the same length
        // with one byte changed in each place, and against its prefixes.
        let base: Vec<u8> = (b'a'..=b'z').chain(b'0'..=b'9').collect();
        for len in 0..=33 {
            let s = &base[..len];
            let key = ShortKey::of(s);
            if len > 32 {
                assert_eq!(key, None);
                continue;
            }
            let key = key.expect("short");
            assert_eq!(ShortKey::of(s), Some(key));
            assert!(key.slot() < ATTR_SLOTS);
            assert_ne!(key, ShortKey::NONE);
            for place in 0..len {
                let mut other = s.to_vec();
                other[place] = b'-';
                assert_ne!(ShortKey::of(&other), Some(key), "{s:?} vs {other:?}");
            }
            for shorter in 0..len {
                assert_ne!(ShortKey::of(&s[..shorter]), Some(key));
            }
        }
        // Zero bytes do not make a short string look like a shorter one.
        assert_ne!(ShortKey::of(b"\0"), ShortKey::of(b""));
        assert_ne!(ShortKey::of(b"\0a"), ShortKey::of(b"a"));
    }

    #[test]
    fn decoded_then_added_equals_capture_json() {
        use rds_dr_model::synth::Defect;
        let mut spec = FleetSpec::new().seed(11).primaries(60).cascaded(2);
        for defect in [
            Defect::SelfRelation,
            Defect::LocationConflict,
            Defect::ProjectNameConflict,
            Defect::DuplicateRecord,
            Defect::EmptyRecord,
            Defect::MalformedRecord,
            Defect::ConflictingPrimary,
        ] {
            spec = spec.defect(defect, 2);
        }
        let fleet = generate(&spec);
        let mut files: Vec<Vec<u8>> = fleet
            .captures
            .iter()
            .map(|c| serde_json::to_vec(c).expect("serialises"))
            .collect();
        // The model's fallback: a record that is not an object, a peer that
        // is not an object, an escaped string; and a raw body.
        files.push(
            br#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
            "response": {"instance_dr_relations": [7, {"instance_id": "a\u0031in03",
            "slave_instances": [3, {"instance_id": "b1in03", "region": "eu-west-0"}]}]}}"#
                .to_vec(),
        );
        let raw_source: Source = "ap-southeast-1/08fd4e669e00d57d2ffec01352c7cb77"
            .parse()
            .expect("source");
        let raw: &[&[u8]] = &[
            br#"{"instance_dr_relations": [{"instance_id": "b1in03", "master_instance": {"instance_id": "a1in03"}}]}"#,
            br#"{"instance_dr_relations": [{"instance_id": "c1in03", "master_instance": 5}]}"#,
        ];
        let mut direct = TopologyBuilder::new();
        let mut staged = TopologyBuilder::new();
        for file in &files {
            direct.capture_json(file).expect("decodes");
            staged.add(TopologyBuilder::decode_capture(file).expect("decodes"));
        }
        for body in raw {
            direct.records_json(&raw_source, body).expect("decodes");
            staged.add(TopologyBuilder::decode_records(&raw_source, body).expect("decodes"));
        }
        let (direct, staged) = (direct.build(), staged.build());
        assert!(direct.findings().len() > 10, "{:?}", direct.summary());
        assert_eq!(direct.findings(), staged.findings());
        assert_eq!(direct.summary(), staged.summary());
        assert_eq!(
            direct.nodes().collect::<Vec<_>>(),
            staged.nodes().collect::<Vec<_>>()
        );
        assert_eq!(
            direct.edges().collect::<Vec<_>>(),
            staged.edges().collect::<Vec<_>>()
        );
        for bad in [
            &b"{}"[..],
            b"[",
            br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#,
        ] {
            assert!(TopologyBuilder::decode_capture(bad).is_err());
        }
        assert!(TopologyBuilder::decode_records(&raw_source, b"[1]").is_err());
    }

    #[test]
    fn fast_path_takes_well_formed_captures() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(3)
                .primaries(50)
                .cascaded(2)
                .defect(rds_dr_model::synth::Defect::SelfRelation, 2)
                .defect(rds_dr_model::synth::Defect::EmptyRecord, 2)
                .defect(rds_dr_model::synth::Defect::DuplicateRecord, 2),
        );
        for capture in &fleet.captures {
            for text in [
                serde_json::to_string(capture).expect("serialises"),
                serde_json::to_string_pretty(capture).expect("serialises"),
            ] {
                let scanned = scan::capture(text.as_bytes())
                    .unwrap_or_else(|| panic!("the scanner gave up on {}", capture.source));
                let decoded = serde_capture(&text)
                    .unwrap_or_else(|| panic!("the fast types rejected {}", capture.source));
                assert_eq!((scanned.0, scanned.1), (&*decoded.0, &*decoded.1));
                assert_eq!(
                    scanned.2.records.len(),
                    capture.response.instance_dr_relations.len()
                );
                assert_eq!(scanned.2, decoded.2);
            }
        }
    }

    /// Whenever the scanner takes a document, it is UTF-8 and the serde
    /// fast types take it too and decode the same; returns whether the
    /// scanner took it.
    fn agree(bytes: &[u8]) -> bool {
        match scan::capture(bytes) {
            Some((region, project_id, flat)) => {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    panic!("the scanner took what is not UTF-8: {bytes:?}");
                };
                let Some((r, p, f)) = serde_capture(text) else {
                    panic!("the scanner took what serde rejects: {text}");
                };
                assert_eq!((region, project_id), (&*r, &*p), "{text}");
                assert_eq!(flat, f, "{text}");
                true
            }
            None => false,
        }
    }

    const SRC: &str =
        r#""source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}"#;

    fn envelope(records: &str) -> String {
        format!(r#"{{{SRC}, "response": {{"instance_dr_relations": [{records}]}}}}"#)
    }

    #[test]
    fn scanner_takes_the_usual_shapes() {
        let taken = [
            envelope(""),
            envelope(r#"{"instance_id": "a1in03"}"#),
            envelope(r#"{"instance_id": null, "master_instance": null, "slave_instances": null}"#),
            // The master after the slaves goes in front, as with serde.
            envelope(
                r#"{"slave_instances": [{"instance_id": "d1"}, {"instance_id": "d2", "region": "eu-west-0"}],
                    "instance_id": "p1", "master_instance": {"instance_id": "m1", "project_name": "x"}}"#,
            ),
            envelope(
                r#"{"instance_id": "  ", "slave_instances": [{"instance_id": "", "region": " "}, {}]}"#,
            ),
            envelope(
                r#"{"instance_id": "Not-Packed", "master_instance": {"instance_id": "ABCDEF"}}"#,
            ),
            format!(" \n\t{{ {SRC} , \"fetched_at\" : null , \"response\" : {{ }} }}\r\n "),
            format!(
                r#"{{"response": {{"instance_dr_relations": null}}, {SRC}, "fetched_at": "2026-11-28T00:00:00Z"}}"#
            ),
            format!("{{{SRC}}}"),
            "{\"source\": {\"region\": \"cn-north-4\", \"project_id\": \"\u{4e2d}\u{6587}\"}}"
                .to_owned(),
        ];
        for text in &taken {
            assert!(agree(text.as_bytes()), "the scanner gave up on {text}");
        }
    }

    #[test]
    fn scanner_gives_up_on_anything_unusual() {
        let given_up = [
            // Escapes, unknown or repeated fields, numbers, other types.
            envelope(r#"{"instance_id": "a\u0031"}"#),
            envelope(r#"{"instance_id": "a1", "extra": 1}"#),
            envelope(r#"{"instance_id": "a1", "instance_id": "a2"}"#),
            envelope(
                r#"{"instance_id": "a1", "master_instance": {"instance_id": "m", "instance_id": "n"}}"#,
            ),
            envelope(r#"{"instance_id": 7}"#),
            envelope("7"),
            envelope(r#"{"instance_id": "a1", "slave_instances": [3]}"#),
            envelope(r#"{"instance_id": "a1", "slave_instances": {}}"#),
            envelope(r#"{"instance_id": "a1", "master_instance": []}"#),
            envelope(r#"{"instance_id": "a1", "master_instance": {"region": true}}"#),
            format!(r#"{{{SRC}, "response": {{"instance_dr_relations": [], "next": null}}}}"#),
            format!(r#"{{{SRC}, "response": []}}"#),
            format!(r#"{{{SRC}, "response": null}}"#),
            format!(r#"{{{SRC}, {SRC}}}"#),
            format!(r#"{{{SRC}, "fetched_at": 5}}"#),
            r#"{"source": {"region": "cn-north-4"}}"#.to_owned(),
            r#"{"source": {"region": "cn-north-4", "project_id": null}}"#.to_owned(),
            // Bad syntax.
            envelope(r#"{"instance_id": "a1",}"#),
            envelope(r#"{"instance_id": "a1"},"#),
            envelope(r#"{"instance_id" "a1"}"#),
            envelope(r#"{"instance_id": nul}"#),
            envelope(r#"{"instance_id": nullx}"#),
            envelope("{\"instance_id\": \"a\u{1}b\"}"),
            format!("{} x", envelope("")),
            format!("{} {{}}", envelope("")),
            envelope(r#"{"instance_id": "a1""#),
            String::new(),
            "{".to_owned(),
        ];
        for text in &given_up {
            assert!(!agree(text.as_bytes()), "the scanner took {text}");
        }
    }

    /// Every kind of string the scanner reads: a record's id, a peer's
    /// four fields, the source's two, the fetch time and a key.
    fn with_string_in_each_place(s: &str) -> Vec<String> {
        let short = r#""region": "cn-north-4", "project_id": "p""#;
        vec![
            envelope(&format!(r#"{{"instance_id": "{s}"}}"#)),
            envelope(&format!(
                r#"{{"instance_id": "a", "master_instance": {{"instance_id": "{s}"}}}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"region": "{s}"}}]}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"project_id": "{s}"}}]}}"#
            )),
            envelope(&format!(
                r#"{{"instance_id": "a", "slave_instances": [{{"project_name": "{s}"}}]}}"#
            )),
            format!(r#"{{"source": {{"region": "{s}", "project_id": "p"}}}}"#),
            format!(r#"{{"source": {{"region": "r", "project_id": "{s}"}}}}"#),
            format!(r#"{{"source": {{{short}}}, "fetched_at": "{s}"}}"#),
            format!(r#"{{"source": {{{short}}}, "{s}": null}}"#),
        ]
    }

    #[test]
    fn scanner_takes_only_utf8() {
        // Text the scanner keeps is checked: not the whole document first.
        for s in [
            "\u{e9}t\u{e9}",
            "\u{4e2d}\u{6587}-0123456789abcdef0123456789ab",
            "\u{1f600}",
        ] {
            for (k, text) in with_string_in_each_place(s).iter().enumerate() {
                // The last place is an unknown key: never taken.
                assert_eq!(agree(text.as_bytes()), k < 8, "{text}");
            }
        }
        // A lone continuation byte, a cut sequence, bytes never in UTF-8.
        for bad in [
            &b"\x80"[..],
            b"a\xc3",
            b"\xc3(",
            b"\xff\xfe",
            b"\xed\xa0\x80",
        ] {
            for text in with_string_in_each_place("BAD") {
                let mut bytes = Vec::new();
                let (before, after) = text.split_once("BAD").expect("placed");
                bytes.extend_from_slice(before.as_bytes());
                bytes.extend_from_slice(bad);
                bytes.extend_from_slice(after.as_bytes());
                assert!(!agree(&bytes), "the scanner took {bytes:?}");
                assert!(
                    TopologyBuilder::decode_capture(&bytes).is_err(),
                    "{bytes:?}"
                );
            }
        }
    }

    #[test]
    fn a_capture_of_many_distinct_locations_decodes_as_with_serde() {
        // More short location strings than the scanner's table holds (it
        // fills to half), each repeated, in two passes.
        let peer = |k: usize| {
            format!(
                r#"{{"instance_id": "d{k}", "region": "r{k}", "project_id": "p{k}", "project_name": "n{k}"}}"#
            )
        };
        let peers: Vec<String> = (0..2 * ATTR_SLOTS)
            .chain(0..2 * ATTR_SLOTS)
            .map(peer)
            .collect();
        let text = envelope(&format!(
            r#"{{"instance_id": "a", "slave_instances": [{}]}}"#,
            peers.join(",")
        ));
        assert!(agree(text.as_bytes()));
        let (_, _, flat) = scan::capture(text.as_bytes()).expect("taken");
        assert_eq!(flat.attrs.len(), 3 * 2 * ATTR_SLOTS);
        let attr = |i: u32| {
            let (start, end) = flat.attrs[i as usize];
            &flat.text[start as usize..end as usize]
        };
        for (k, peer) in flat.peers.iter().enumerate() {
            let k = k % (2 * ATTR_SLOTS);
            assert_eq!(attr(peer.region), format!("r{k}"));
            assert_eq!(attr(peer.project), format!("p{k}"));
            assert_eq!(attr(peer.name), format!("n{k}"));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Mutated captures: wherever the scanner still takes one, serde
        /// takes it and decodes the same.
        #[test]
        fn scanner_never_takes_more_than_serde(
            edits in proptest::collection::vec(
                (
                    0usize..10_000,
                    proptest::sample::select(&[
                        b' ', b'"', b',', b':', b'{', b'}', b'[', b']', b'n', b'u', b'l', b'\\',
                        b'a', b'0', 0u8, 0x1f, 0x80, 0xc3, 0xa9, 0xff,
                    ][..]),
                    0u8..3,
                ),
                1..4,
            ),
        ) {
            let base = envelope(
                r#"{"instance_id": "0123456789abcdef0123456789abcdefin03",
                    "slave_instances": [{"instance_id": "d1", "region": "eu-west-0", "project_id": "p", "project_name": null}]},
                   {"master_instance": {"instance_id": "m1"}, "instance_id": null}"#,
            );
            let mut bytes = base.into_bytes();
            for (at, byte, kind) in edits {
                let at = at % (bytes.len() + 1);
                match kind {
                    0 => bytes.insert(at, byte),
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ if at < bytes.len() => bytes[at] = byte,
                    _ => {}
                }
            }
            agree(&bytes);
        }
    }
}
