//! A capture's records, decoded: the one shape every decoder writes (the
//! scanner, the serde seeds and the model's types alike) and the one
//! function that turns records into claims reads
//! ([`TopologyBuilder::add_records`](crate::builder::TopologyBuilder)).
//!
//! It is flat and owned, so that decoding can run on another thread than
//! the merge: each instance id is packed and hashed ([`PreId`]), each
//! distinct location string is stored once per capture.

use crate::claims::usable;
use crate::ids::PreId;
use crate::strings::FastMap;

/// A kept string that is not UTF-8 (only the scanner meets them: serde's
/// strings are checked).
const NOT_UTF8: &str = "a string that is not UTF-8";

/// No location string (an index in [`Records::attrs`]).
pub(crate) const NO_ATTR: u32 = u32::MAX;

/// A capture's records and peers, flat.
#[derive(Default, Debug, PartialEq)]
pub(crate) struct Records {
    /// The ids that do not pack, the distinct location strings, and the
    /// complaints about malformed entries.
    pub(crate) text: String,
    pub(crate) records: Vec<Record>,
    /// Every record's peers: its master (if any), then its slaves.
    pub(crate) peers: Vec<Peer>,
    /// The distinct peer regions, project ids and names: spans of `text`.
    pub(crate) attrs: Vec<(u32, u32)>,
    /// The records that are not relation records, by index in `records`,
    /// each with the decoder's complaint (a span of `text`), in order.
    /// Only the model's decoder finds them.
    pub(crate) bad_records: Vec<(u32, (u32, u32))>,
    /// The peers that are not peer objects, likewise, by index in `peers`.
    pub(crate) bad_peers: Vec<(u32, (u32, u32))>,
}

impl Records {
    /// The text of a span of `text`.
    pub(crate) fn span(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// Record `r`'s peers.
    pub(crate) fn peers_of(&self, r: usize) -> &[Peer] {
        &self.peers[self.peers_start(r)..self.records[r].peers_end as usize]
    }

    /// Every record as text, whatever order the decoder wrote them in:
    /// its id, and its peers' ids and location strings (or complaints).
    #[cfg(test)]
    pub(crate) fn plain(&self) -> Vec<PlainRecord<'_>> {
        let id = |id: Option<PreId>| {
            id.map(|id| {
                let mut s = String::new();
                id.write(&self.text, &mut s);
                s
            })
        };
        let attr = |i: u32| (i != NO_ATTR).then(|| self.span(self.attrs[i as usize]));
        let bad = |list: &[(u32, (u32, u32))], at: usize| {
            list.iter()
                .find(|&&(k, _)| k as usize == at)
                .map(|&(_, span)| self.span(span))
        };
        (0..self.records.len())
            .map(|r| {
                let record = &self.records[r];
                let peers = (self.peers_start(r)..record.peers_end as usize)
                    .map(|k| {
                        let p = &self.peers[k];
                        match bad(&self.bad_peers, k) {
                            Some(error) => Err(error),
                            None => Ok((id(p.id), attr(p.region), attr(p.project), attr(p.name))),
                        }
                    })
                    .collect();
                let own = match bad(&self.bad_records, r) {
                    Some(error) => Err(error),
                    None => Ok(id(record.id)),
                };
                (own, record.has_master, peers)
            })
            .collect()
    }

    /// Where record `r`'s peers start in `peers`.
    pub(crate) fn peers_start(&self, r: usize) -> usize {
        r.checked_sub(1)
            .map_or(0, |p| self.records[p].peers_end as usize)
    }
}

/// A record as text (see [`Records::plain`]): its id or the complaint
/// about it, whether it has a master, its peers.
#[cfg(test)]
pub(crate) type PlainRecord<'a> = (Result<Option<String>, &'a str>, bool, Vec<PlainPeer<'a>>);

/// A peer as text (see [`Records::plain`]).
#[cfg(test)]
pub(crate) type PlainPeer<'a> = Result<
    (
        Option<String>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    ),
    &'a str,
>;

/// One record.
#[derive(Debug, PartialEq)]
pub(crate) struct Record {
    /// The record's usable (non-blank) instance id.
    pub(crate) id: Option<PreId>,
    pub(crate) has_master: bool,
    /// End of this record's peers in `peers`.
    pub(crate) peers_end: u32,
}

/// A peer object; its location strings are indices in `attrs` (or
/// [`NO_ATTR`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Peer {
    /// The peer's usable (non-blank) instance id.
    pub(crate) id: Option<PreId>,
    pub(crate) region: u32,
    pub(crate) project: u32,
    pub(crate) name: u32,
}

/// [`Records`] while they are being decoded from `'de` bytes.
pub(crate) struct RecordsOut<'de> {
    pub(crate) records: Records,
    attr_index: FastMap<&'de [u8], u32>,
    /// The strings of up to 32 bytes (their [`ShortKey`] and index in
    /// `attrs`, or [`NO_ATTR`] in a free slot), by linear probing: a
    /// capture repeats a few hundred location strings thousands of times,
    /// and this finds them by comparing a few words, without hashing them
    /// whole. At most half full, and a probe goes at most [`ATTR_PROBES`]
    /// slots (its mix is not keyed: strings crafted to share a slot must
    /// not make decoding quadratic); later strings go to `attr_index` alone.
    attr_table: Box<[(ShortKey, u32); ATTR_SLOTS]>,
    /// Strings in `attr_table`.
    attr_short: usize,
}

impl Default for RecordsOut<'_> {
    fn default() -> Self {
        RecordsOut {
            records: Records::default(),
            attr_index: FastMap::default(),
            attr_table: Box::new([(ShortKey::NONE, NO_ATTR); ATTR_SLOTS]),
            attr_short: 0,
        }
    }
}

impl RecordsOut<'_> {
    /// Room for the records and peers of a capture of `len` bytes, so that
    /// decoding it does not grow (and copy) them step by step. A guess: a
    /// compact record with one peer takes about 270 bytes.
    pub(crate) fn for_len(len: usize) -> Self {
        let mut out = RecordsOut::default();
        out.records.records.reserve(len / BYTES_PER_RECORD);
        out.records.peers.reserve(len / BYTES_PER_RECORD);
        out
    }
}

/// The most slots a lookup in [`RecordsOut::attr_table`] probes.
const ATTR_PROBES: usize = 8;

const BYTES_PER_RECORD: usize = 240;

/// Slots of [`RecordsOut::attr_table`] (a power of two).
pub(crate) const ATTR_SLOTS: usize = 1 << ATTR_BITS;
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

    /// The key's first slot in [`RecordsOut::attr_table`].
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
impl<'de> RecordsOut<'de> {
    pub(crate) fn id(&mut self, id: Option<&[u8]>) -> Result<Option<PreId>, &'static str> {
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(pre) = PreId::packed(id) {
            return Ok(Some(pre));
        }
        let id = std::str::from_utf8(id).map_err(|_| NOT_UTF8)?;
        // Spans in `text` are 32-bit.
        if self.records.text.len() + id.len() > u32::MAX as usize {
            return Err("capture too large");
        }
        Ok(usable(Some(id)).map(|id| PreId::unpacked(id, &mut self.records.text)))
    }

    /// Adds a peer object's fields.
    pub(crate) fn peer(
        &mut self,
        id: Option<&[u8]>,
        region: Option<&'de [u8]>,
        project: Option<&'de [u8]>,
        name: Option<&'de [u8]>,
    ) -> Result<(), &'static str> {
        let peer = Peer {
            id: self.id(id)?,
            region: self.attr(region)?,
            project: self.attr(project)?,
            name: self.attr(name)?,
        };
        self.records.peers.push(peer);
        Ok(())
    }

    /// The record whose peers start at `start` has a master: it was just
    /// added; put it in front of the record's slaves if they came first.
    pub(crate) fn master_added(&mut self, start: usize) {
        let at = self.records.peers.len() - 1;
        if at != start {
            let peer = self.records.peers.remove(at);
            self.records.peers.insert(start, peer);
        }
    }

    /// Ends a record: its peers are the ones added since the last record.
    pub(crate) fn record(
        &mut self,
        id: Option<&[u8]>,
        has_master: bool,
    ) -> Result<(), &'static str> {
        let id = self.id(id)?;
        let peers_end =
            u32::try_from(self.records.peers.len()).map_err(|_| "too many peers in one capture")?;
        self.records.records.push(Record {
            id,
            has_master,
            peers_end,
        });
        Ok(())
    }

    pub(crate) fn attr(&mut self, s: Option<&'de [u8]>) -> Result<u32, &'static str> {
        let Some(s) = s else {
            return Ok(NO_ATTR);
        };
        let Some(key) = ShortKey::of(s) else {
            return self.attr_indexed(s);
        };
        // The table is never full, so a probe ends at a free slot, or
        // after `ATTR_PROBES` slots: every string is in `attr_index` too.
        let mut slot = key.slot();
        for _ in 0..ATTR_PROBES {
            let (known, i) = self.attr_table[slot];
            if known == key {
                return Ok(i);
            }
            if i == NO_ATTR {
                let i = self.attr_indexed(s)?;
                if self.attr_short < ATTR_SLOTS / 2 {
                    self.attr_table[slot] = (key, i);
                    self.attr_short += 1;
                }
                return Ok(i);
            }
            slot = (slot + 1) % ATTR_SLOTS;
        }
        self.attr_indexed(s)
    }

    /// [`attr`](Self::attr) without the table of short strings.
    fn attr_indexed(&mut self, s: &'de [u8]) -> Result<u32, &'static str> {
        if let Some(&i) = self.attr_index.get(s) {
            return Ok(i);
        }
        let text = std::str::from_utf8(s).map_err(|_| NOT_UTF8)?;
        let i = u32::try_from(self.records.attrs.len())
            .ok()
            .filter(|&i| i != NO_ATTR)
            .ok_or("too many distinct location strings")?;
        let start = u32::try_from(self.records.text.len()).map_err(|_| "capture too large")?;
        self.records.text.push_str(text);
        let end = u32::try_from(self.records.text.len()).map_err(|_| "capture too large")?;
        self.records.attrs.push((start, end));
        self.attr_index.insert(s, i);
        Ok(i)
    }

    /// Adds a record that is not a relation record, with the decoder's
    /// complaint.
    pub(crate) fn bad_record(&mut self, error: &str) -> Result<(), &'static str> {
        let at = u32::try_from(self.records.records.len()).map_err(|_| "too many records")?;
        let span = self.complaint(error)?;
        self.records.bad_records.push((at, span));
        self.record(None, false)
    }

    /// Adds a peer entry that is not a peer object, with the decoder's
    /// complaint.
    pub(crate) fn bad_peer(&mut self, error: &str) -> Result<(), &'static str> {
        let at = u32::try_from(self.records.peers.len()).map_err(|_| "too many peers")?;
        let span = self.complaint(error)?;
        self.records.bad_peers.push((at, span));
        self.peer(None, None, None, None)
    }

    fn complaint(&mut self, error: &str) -> Result<(u32, u32), &'static str> {
        let text = &mut self.records.text;
        let start = u32::try_from(text.len()).map_err(|_| "capture too large")?;
        text.push_str(error);
        let end = u32::try_from(text.len()).map_err(|_| "capture too large")?;
        Ok((start, end))
    }
}

#[cfg(test)]
mod tests {
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
    fn strings_crafted_to_share_a_slot_are_still_found() {
        // Many strings with one first slot: past the probe limit they are
        // found in the map alone, each always as the same index.
        let mut out = RecordsOut::default();
        let want = ShortKey::of(b"s0").expect("short").slot();
        let same: Vec<String> = (0..200_000)
            .map(|k| format!("s{k}"))
            .filter(|s| ShortKey::of(s.as_bytes()).expect("short").slot() == want)
            .collect();
        assert!(same.len() > 2 * ATTR_PROBES, "{} strings", same.len());
        let first: Vec<u32> = same
            .iter()
            .map(|s| out.attr(Some(s.as_bytes())).expect("attr"))
            .collect();
        for (s, &i) in same.iter().zip(&first) {
            assert_eq!(out.attr(Some(s.as_bytes())), Ok(i));
            let (start, end) = out.records.attrs[i as usize];
            assert_eq!(out.records.span((start, end)), s);
        }
    }
}
