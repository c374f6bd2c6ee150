//! Instance ids: the table that gives each id its node.
//!
//! While captures are merged, each id gets the next index as it first
//! arrives ([`IdInterner`]); the build then sorts them, so that node `i` is
//! the `i`-th smallest id ([`IdTable`]). Ids of the usual shape stay packed
//! into integers throughout (`packed`), and are hashed while decoding
//! ([`PreId`]) with a key chosen at random per process ([`id_hash`]).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use crate::prefetch::prefetch;

mod packed;

use packed::{IdKey, OTHER};

/// The id table's hash: foldhash, keyed with one random seed for the whole
/// process (ids are hashed while decoding, on any thread, and looked up in
/// the merge's table with that hash). A capture holds ids that anyone can
/// write: under a fixed key, ids crafted to share a hash would make every
/// insertion probe past all the earlier ones, and the merge quadratic.
fn id_hash() -> &'static foldhash::fast::RandomState {
    static STATE: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    STATE.get_or_init(foldhash::fast::RandomState::default)
}

fn slice<'a>(arena: &'a str, ends: &[usize], i: usize) -> &'a str {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &arena[start..ends[i]]
}

/// An instance id made ready to intern while a capture is decoded (on the
/// decoding thread): packed, or for an id that does not pack its text kept
/// in the decoder's buffer, and hashed. Interning it is then one probe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PreId {
    /// The packed key; for an id that does not pack: `(hash, (start << 32)
    /// | end in the decoder's text, OTHER)`.
    key: IdKey,
    hash: u64,
}

impl PreId {
    /// Prepares `id`, copying it to `text` when it does not pack (the
    /// decoder tries [`packed`](Self::packed) itself first).
    #[cfg(test)]
    pub(crate) fn new(id: &str, text: &mut String) -> PreId {
        PreId::packed(id.as_bytes()).unwrap_or_else(|| PreId::unpacked(id, text))
    }

    /// Prepares `id`, known not to pack, copying it to `text`.
    pub(crate) fn unpacked(id: &str, text: &mut String) -> PreId {
        let hash = id_hash().hash_one(id);
        let start = text.len() as u64;
        text.push_str(id);
        PreId {
            key: IdKey {
                hi: hash,
                lo: (start << 32) | text.len() as u64,
                suffix: OTHER,
            },
            hash,
        }
    }

    /// Prepares `id` if it packs (so it is ASCII).
    pub(crate) fn packed(id: &[u8]) -> Option<PreId> {
        IdKey::pack(id).map(|key| PreId {
            key,
            hash: id_hash().hash_one(key),
        })
    }

    /// The id's text (`text` is the buffer given to [`PreId::unpacked`]).
    pub(crate) fn write(&self, text: &str, out: &mut String) {
        match self.other_text(text) {
            Some(id) => out.push_str(id),
            None => self.key.write_packed(out),
        }
    }

    fn other_text<'t>(&self, text: &'t str) -> Option<&'t str> {
        (self.key.suffix == OTHER)
            .then(|| &text[(self.key.lo >> 32) as usize..(self.key.lo & 0xffff_ffff) as usize])
    }
}

/// One slot of the id table: a key and its index ([`EMPTY`] when free).
#[derive(Clone, Copy, Debug)]
struct Slot {
    hi: u64,
    lo: u64,
    suffix: u32,
    index: u32,
}

const EMPTY: u32 = u32::MAX;

/// What [`IdInterner::find_all`] gives for an id it does not hold.
pub(crate) const NOT_FOUND: u32 = u32::MAX;

impl Slot {
    fn key(&self) -> IdKey {
        IdKey {
            hi: self.hi,
            lo: self.lo,
            suffix: self.suffix,
        }
    }
}

const FREE: Slot = Slot {
    hi: 0,
    lo: 0,
    suffix: 0,
    index: EMPTY,
};

/// Instance ids as they arrive, each given the next index.
///
/// The table is open addressing with linear probing over 24-byte slots that
/// hold the packed key itself, at most 5/8 full. A fleet's ids are random,
/// so every probe is a cache miss: [`IdInterner::intern_all`] prefetches the
/// slots a few ids ahead, which keeps many misses in flight instead of one.
/// (std's and hashbrown's tables offer no way to prefetch.) The hash is
/// keyed at random per process ([`id_hash`]), so crafted ids cannot pile
/// up on one slot.
#[derive(Default)]
pub(crate) struct IdInterner {
    /// How many ids there are.
    len: usize,
    slots: Vec<Slot>,
    /// Ids that do not pack, back to back.
    others: String,
    others_ends: Vec<usize>,
}

/// How many ids ahead [`IdInterner::intern_all`] prefetches.
const PREFETCH_AHEAD: usize = 24;

impl IdInterner {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The index of `id`, and whether it is new (the merge interns
    /// [`PreId`]s in batches: [`intern_all`](Self::intern_all)).
    #[cfg(test)]
    pub(crate) fn intern(&mut self, id: &str) -> (u32, bool) {
        self.reserve(1);
        match IdKey::pack(id.as_bytes()) {
            Some(key) => self.probe(key, id_hash().hash_one(key), None),
            None => {
                let hash = id_hash().hash_one(id);
                let key = IdKey {
                    hi: hash,
                    lo: 0,
                    suffix: OTHER,
                };
                self.probe(key, hash, Some(id))
            }
        }
    }

    /// Interns prepared ids (their buffer is `text`), pushing each one's
    /// index to `out`; returns how many were new.
    pub(crate) fn intern_all(&mut self, ids: &[PreId], text: &str, out: &mut Vec<u32>) -> usize {
        self.reserve(ids.len());
        let before = self.len();
        for (k, pre) in ids.iter().enumerate() {
            if let Some(ahead) = ids.get(k + PREFETCH_AHEAD) {
                self.prefetch(ahead.hash);
            }
            let (i, _) = self.probe(pre.key, pre.hash, pre.other_text(text));
            out.push(i);
        }
        self.len() - before
    }

    /// The index of each prepared id (their buffer is `text`), pushed to
    /// `out`, or [`NOT_FOUND`] for an id never interned: a lookup that
    /// adds nothing (for ids that must not become nodes on their own).
    pub(crate) fn find_all(&self, ids: &[PreId], text: &str, out: &mut Vec<u32>) {
        if self.slots.is_empty() {
            out.extend(ids.iter().map(|_| NOT_FOUND));
            return;
        }
        let mask = self.mask();
        for (k, pre) in ids.iter().enumerate() {
            if let Some(ahead) = ids.get(k + PREFETCH_AHEAD) {
                self.prefetch(ahead.hash);
            }
            let other = pre.other_text(text);
            let mut at = pre.hash as usize & mask;
            // The table is never full: a free slot ends every probe.
            let found = loop {
                let slot = self.slots[at];
                if slot.index == EMPTY {
                    break NOT_FOUND;
                }
                if slot.hi == pre.key.hi && slot.suffix == pre.key.suffix {
                    match other {
                        None if slot.lo == pre.key.lo => break slot.index,
                        Some(id)
                            if slice(&self.others, &self.others_ends, slot.lo as usize) == id =>
                        {
                            break slot.index;
                        }
                        _ => {}
                    }
                }
                at = (at + 1) & mask;
            };
            out.push(found);
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// How far past its home slot each id sits, added up: the work of
    /// looking every id up once beyond one probe each.
    #[cfg(test)]
    fn probes_past_home(&self) -> usize {
        let mask = self.mask();
        (0..self.slots.len())
            .filter(|&at| self.slots[at].index != EMPTY)
            .map(|at| {
                let slot = self.slots[at];
                let hash = if slot.suffix == OTHER {
                    slot.hi
                } else {
                    id_hash().hash_one(slot.key())
                };
                at.wrapping_sub(hash as usize) & mask
            })
            .sum()
    }

    /// Asks for the slot where `hash` starts probing and the one after it
    /// (a probe often goes on to the next slot): the lines that hold the
    /// first byte of each slot and of the one after them, since a slot is
    /// 24 bytes and two fit in 64 bytes from any start.
    fn prefetch(&self, hash: u64) {
        let at = hash as usize & self.mask();
        for slot in [at, at + 2].iter().filter_map(|&k| self.slots.get(k)) {
            prefetch(std::ptr::from_ref(slot));
        }
    }

    /// Room for `additional` more ids without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let want = self.len() + additional;
        if want * 8 <= self.slots.len() * 5 {
            return;
        }
        let mut capacity = self.slots.len().max(1024);
        while want * 8 > capacity * 5 {
            capacity *= 2;
        }
        let old = std::mem::replace(&mut self.slots, vec![FREE; capacity]);
        let mask = capacity - 1;
        for slot in old.into_iter().filter(|s| s.index != EMPTY) {
            let hash = if slot.suffix == OTHER {
                slot.hi
            } else {
                id_hash().hash_one(IdKey {
                    hi: slot.hi,
                    lo: slot.lo,
                    suffix: slot.suffix,
                })
            };
            let mut at = hash as usize & mask;
            while self.slots[at].index != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }

    /// Finds or inserts; `other` is the text of an id that does not pack
    /// (then `key.hi` is its hash). The table has room (see `reserve`).
    fn probe(&mut self, key: IdKey, hash: u64, other: Option<&str>) -> (u32, bool) {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot.index == EMPTY {
                break;
            }
            if slot.hi == key.hi && slot.suffix == key.suffix {
                match other {
                    None if slot.lo == key.lo => return (slot.index, false),
                    Some(id) if slice(&self.others, &self.others_ends, slot.lo as usize) == id => {
                        return (slot.index, false);
                    }
                    _ => {}
                }
            }
            at = (at + 1) & mask;
        }
        // More than 4 billion instances cannot fit in memory anyway.
        let n = u32::try_from(self.len).expect("fewer than 2^32 instances");
        let key = match other {
            None => key,
            Some(id) => {
                self.others.push_str(id);
                self.others_ends.push(self.others.len());
                IdKey {
                    hi: hash,
                    lo: (self.others_ends.len() - 1) as u64,
                    suffix: OTHER,
                }
            }
        };
        self.len += 1;
        self.slots[at] = Slot {
            hi: key.hi,
            lo: key.lo,
            suffix: key.suffix,
            index: n,
        };
        (n, true)
    }

    /// Sorts the ids; returns the sorted table and, for each old index, the
    /// new one.
    #[cfg(test)]
    pub(crate) fn into_sorted(self) -> (IdTable, Vec<u32>) {
        let (sorted, rank) = self.sort();
        (sorted.into_table(), rank)
    }

    /// Sorts the ids: returns them in order (their text not yet written;
    /// [`SortedIds::into_table`] does that, on any thread) and, for each
    /// old index, the new one.
    pub(crate) fn sort(self) -> (SortedIds, Vec<u32>) {
        let IdInterner {
            len,
            slots,
            others,
            others_ends,
        } = self;
        // The table's slots hold every key with its index: sort them.
        // Packed ids sort as integers, straight from the table; the others
        // (their text in `others`; usually there are none, and then the
        // table is not searched for them) as text; then one merge.
        let mut other: Vec<(&str, Slot)> = Vec::with_capacity(others_ends.len());
        if !others_ends.is_empty() {
            other.extend(
                slots
                    .iter()
                    .filter(|s| s.index != EMPTY && s.suffix == OTHER)
                    .map(|&slot| (slice(&others, &others_ends, slot.lo as usize), slot)),
            );
        }
        let packed = sort_packed(
            slots
                .iter()
                .filter(|s| s.index != EMPTY && s.suffix != OTHER),
            len - other.len(),
        );
        drop(slots);
        let mut rank = vec![0u32; len];
        if other.is_empty() {
            // Fewer than 2^32 ids: the positions are u32 too.
            for (at, slot) in packed.iter().enumerate() {
                rank[slot.index as usize] = at as u32;
            }
            let sorted = SortedIds {
                order: packed,
                others,
                others_ends,
            };
            return (sorted, rank);
        }
        // Distinct ids: no two compare equal.
        other.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut order = Vec::with_capacity(len);
        let (mut p, mut o) = (0, 0);
        while p < packed.len() || o < other.len() {
            let take_packed = match (packed.get(p), other.get(o)) {
                // Text order is byte order.
                (Some(slot), Some((id, _))) => {
                    let (text, len) = slot.key().packed_text();
                    &text[..len] < id.as_bytes()
                }
                (Some(_), None) => true,
                _ => false,
            };
            let slot = if take_packed {
                p += 1;
                packed[p - 1]
            } else {
                o += 1;
                other[o - 1].1
            };
            rank[slot.index as usize] = order.len() as u32;
            order.push(slot);
        }
        drop((other, packed));
        let sorted = SortedIds {
            order,
            others,
            others_ends,
        };
        (sorted, rank)
    }
}

/// Sorts the `n` packed keys of `slots`: a counting sort on the high bits
/// of `hi` (fleets' ids are random, so the buckets hold one or two keys
/// each), then each bucket sorted on the whole key.
fn sort_packed<'s>(slots: impl Iterator<Item = &'s Slot> + Clone, n: usize) -> Vec<Slot> {
    let key = |s: &Slot| (s.hi, s.lo, s.suffix);
    if n < 256 {
        let mut slots: Vec<Slot> = slots.copied().collect();
        slots.sort_unstable_by_key(key);
        return slots;
    }
    // About four keys per bucket at most.
    let bits = (usize::BITS - n.leading_zeros())
        .saturating_sub(2)
        .clamp(6, 24);
    let bucket = |s: &&Slot| (s.hi >> (64 - bits)) as usize;
    let (mut out, start) = crate::bucket::bucket_by(slots, 1 << bits, bucket, |&&s| s);
    for w in start.windows(2) {
        crate::bucket::sort_bucket(&mut out[w[0] as usize..w[1] as usize], |a, b| {
            key(a).cmp(&key(b))
        });
    }
    out
}

/// Instance ids in order, their text not yet written.
pub(crate) struct SortedIds {
    order: Vec<Slot>,
    others: String,
    others_ends: Vec<usize>,
}

impl SortedIds {
    /// Each id's index as interned (first seen), in id order.
    pub(crate) fn first_seen(&self) -> impl Iterator<Item = u32> + '_ {
        self.order.iter().map(|slot| slot.index)
    }

    /// The table of the ids (their text is written when first asked for
    /// as `&str`: see [`IdTable`]).
    pub(crate) fn into_table(self) -> IdTable {
        // The keys alone, in 20 bytes rather than a slot's 24: the sorted
        // slots' memory is then free for the steps that follow.
        let keys = self.order.iter().map(|s| [s.hi, s.lo]).collect();
        let suffixes = self.order.iter().map(|s| s.suffix).collect();
        drop(self.order);
        IdTable {
            keys,
            suffixes,
            others: self.others,
            others_ends: self.others_ends,
            text: OnceLock::new(),
        }
    }
}

/// Instance ids, sorted: node `i` is the `i`-th smallest id.
///
/// The ids stay packed. One id's text is made when asked for
/// ([`IdTable::text`]: findings and lookups use that); the text of all of
/// them, back to back in one buffer, only when an id is first borrowed as
/// `&str` ([`IdTable::get`], for the public views). So `check` never
/// writes the 10 MB of text of a large fleet.
#[derive(Debug, Default)]
pub(crate) struct IdTable {
    /// Each id's `IdKey`: `hi` and `lo` here, `suffix` in `suffixes`.
    keys: Vec<[u64; 2]>,
    suffixes: Vec<u32>,
    others: String,
    others_ends: Vec<usize>,
    text: OnceLock<TextTable>,
}

/// Every id's text, back to back.
#[derive(Debug)]
struct TextTable {
    arena: String,
    /// `ends[i]` is where id `i` ends in `arena`.
    ends: Vec<usize>,
}

impl IdTable {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Id `i`'s text, made for the caller.
    pub(crate) fn text(&self, i: u32) -> IdText<'_> {
        let ([hi, lo], suffix) = (self.keys[i as usize], self.suffixes[i as usize]);
        if suffix == OTHER {
            IdText::Other(slice(&self.others, &self.others_ends, lo as usize))
        } else {
            let (text, len) = IdKey { hi, lo, suffix }.packed_text();
            IdText::Packed(text, len)
        }
    }

    /// Id `i`'s text in the table of all of them (written on first use).
    pub(crate) fn get(&self, i: u32) -> &str {
        let table = self.text.get_or_init(|| self.write_text());
        slice(&table.arena, &table.ends, i as usize)
    }

    fn write_text(&self) -> TextTable {
        // Bytes first, checked as UTF-8 once at the end rather than id by id.
        let mut arena = Vec::with_capacity(self.len() * 36 + self.others.len());
        let mut ends = Vec::with_capacity(self.len());
        for i in 0..self.len() as u32 {
            arena.extend_from_slice(self.text(i).as_bytes());
            ends.push(arena.len());
        }
        TextTable {
            // Packed ids are ASCII; the others were `str`s.
            arena: String::from_utf8(arena).expect("ids are UTF-8"),
            ends,
        }
    }

    /// How id `i` of this table compares with id `j` of `other` (text
    /// order), without writing either out when both are packed (integer
    /// order is text order, and equal keys are equal ids).
    pub(crate) fn cmp_with(&self, i: u32, other: &IdTable, j: u32) -> std::cmp::Ordering {
        let (a, b) = (self.suffixes[i as usize], other.suffixes[j as usize]);
        if a != OTHER && b != OTHER {
            (self.keys[i as usize], a).cmp(&(other.keys[j as usize], b))
        } else {
            (*self.text(i)).cmp(&*other.text(j))
        }
    }

    /// The node of `id`, by binary search (without the table of all ids).
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match (*self.text(mid as u32)).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }
}

/// One id's text: written out from its packed key, or borrowed. A `str`
/// by `Deref`; not `Clone`, so that `to_owned` gives a `String`.
pub(crate) enum IdText<'a> {
    /// ASCII, in the first bytes.
    Packed([u8; 36], usize),
    Other(&'a str),
}

impl std::ops::Deref for IdText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // Hex digits and the ASCII suffix bytes `pack` accepted.
            IdText::Packed(text, len) => {
                std::str::from_utf8(&text[..*len]).expect("packed ids are ASCII")
            }
            IdText::Other(text) => text,
        }
    }
}

impl std::fmt::Display for IdText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl serde::Serialize for IdText<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_table_sorts_and_finds() {
        let mut ids = IdInterner::default();
        let input = [
            "c",
            "a",
            "bb",
            "",
            "0123456789abcdef0",
            "0123456789abcdef",
            "0123456789abcdef\0",
        ];
        for (i, id) in input.iter().enumerate() {
            assert_eq!(ids.intern(id), (i as u32, true));
        }
        assert_eq!(ids.intern("bb"), (2, false));
        assert_eq!(ids.len(), 7);
        let (table, rank) = ids.into_sorted();
        assert_eq!(rank, vec![6, 4, 5, 0, 3, 1, 2]);
        // Finding an id and writing one out do not write the whole table.
        assert_eq!(table.find("bb"), Some(5));
        assert_eq!(&*table.text(3), "0123456789abcdef0");
        assert!(table.text.get().is_none());
        assert_eq!(
            (0..7).map(|i| table.get(i)).collect::<Vec<_>>(),
            vec![
                "",
                "0123456789abcdef",
                "0123456789abcdef\0",
                "0123456789abcdef0",
                "a",
                "bb",
                "c"
            ]
        );
        assert!(table.text.get().is_some());
        for i in 0..7 {
            assert_eq!(&*table.text(i), table.get(i));
            assert_eq!(table.text(i).to_string(), table.get(i));
            assert_eq!(table.find(table.get(i)), Some(i));
        }
        assert_eq!(table.find("b"), None);
        assert_eq!(table.find("zz"), None);
        assert_eq!(table.find(""), Some(0));
        assert_eq!(
            serde_json::to_string(&table.text(5)).expect("serialises"),
            r#""bb""#
        );
    }

    #[test]
    fn ids_of_two_tables_compare_as_their_text() {
        let table = |ids: &[&str]| {
            let mut interner = IdInterner::default();
            for id in ids {
                interner.intern(id);
            }
            interner.into_sorted().0
        };
        let a = table(&[
            "0123456789abcdef0123456789abcdefin03",
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210in01",
            "0123456789abcdef0123456789abcdefIN03",
            "p1",
            "",
        ]);
        let b = table(&[
            "0123456789abcdef0123456789abcdefin03",
            "0123456789abcdef0123456789abcdefin0",
            "fedcba9876543210fedcba9876543210in01x",
            "fedcba9876543210fedcba9876543210in01",
            "p1",
            "p0",
        ]);
        let mut equal = 0;
        for i in 0..a.len() as u32 {
            for j in 0..b.len() as u32 {
                let order = a.cmp_with(i, &b, j);
                assert_eq!(
                    order,
                    a.get(i).cmp(b.get(j)),
                    "{} vs {}",
                    a.get(i),
                    b.get(j)
                );
                assert_eq!(b.cmp_with(j, &a, i), order.reverse());
                equal += usize::from(order.is_eq());
            }
        }
        assert_eq!(equal, 3);
    }

    #[test]
    fn id_interner_survives_growth() {
        let mut ids = IdInterner::default();
        for i in 0..5000u32 {
            assert_eq!(ids.intern(&format!("{i:032x}in03")), (i, true));
        }
        for i in (0..5000u32).rev() {
            assert_eq!(ids.intern(&format!("{i:032x}in03")), (i, false));
        }
    }

    #[test]
    fn packed_ids_write_back_as_given() {
        let mut text = String::new();
        for id in [
            "0123456789abcdeffedcba9876543210",
            "0123456789abcdeffedcba9876543210in03",
            "ffffffffffffffffffffffffffffffffz",
            "00000000000000000000000000000000a1b",
        ] {
            let key = IdKey::pack(id.as_bytes()).expect("packs");
            text.clear();
            key.write_packed(&mut text);
            assert_eq!(text, id);
            let mut other = String::new();
            let pre = PreId::new(id, &mut other);
            assert!(other.is_empty(), "{id} packs: no text kept");
            text.clear();
            pre.write(&other, &mut text);
            assert_eq!(text, id);
        }
        let mut other = String::new();
        let pre = PreId::new("Not-Packed-1", &mut other);
        let mut out = String::new();
        pre.write(&other, &mut out);
        assert_eq!(out, "Not-Packed-1");
    }

    #[test]
    fn prepared_ids_intern_like_plain_ones() {
        let ids: Vec<String> = (0..3000u32)
            .map(|i| match i % 3 {
                0 => format!("{:032x}in03", i.wrapping_mul(2_654_435_761)),
                1 => format!("odd-{i}"),
                _ => format!("{:032x}", i / 2),
            })
            .collect();
        let mut plain = IdInterner::default();
        let want: Vec<u32> = ids.iter().map(|id| plain.intern(id).0).collect();
        let mut text = String::new();
        let pre: Vec<PreId> = ids.iter().map(|id| PreId::new(id, &mut text)).collect();
        let mut batched = IdInterner::default();
        let mut got = Vec::new();
        // In two batches, so the second one probes ids the first inserted.
        let new = batched.intern_all(&pre[..1000], &text, &mut got);
        assert_eq!(new, 1000);
        batched.intern_all(&pre[1000..], &text, &mut got);
        assert_eq!(got, want);
        assert_eq!(batched.intern_all(&pre, &text, &mut Vec::new()), 0);
        assert_eq!(batched.len(), plain.len());
    }

    #[test]
    fn many_ids_sort_as_text_even_when_their_high_bits_agree() {
        // Random-looking ids, ids that share their first 16 hex digits (one
        // bucket of the counting sort), and ids that do not pack.
        let mut input: Vec<String> = (0..4000u64)
            .map(|i| match i % 4 {
                0 => format!(
                    "{:016x}{:016x}in03",
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    i
                ),
                1 => format!("{:016x}{:016x}", 0xabcd_u64, i * 7),
                2 => format!("{:016x}{:016x}z{}", 0xabcd_u64, i / 8, i % 3),
                _ => format!("Other-{i}"),
            })
            .collect();
        let mut ids = IdInterner::default();
        for (k, id) in input.iter().enumerate() {
            assert_eq!(ids.intern(id), (k as u32, true));
        }
        let (table, rank) = ids.into_sorted();
        for (old, id) in input.iter().enumerate() {
            assert_eq!(table.get(rank[old]), id);
        }
        input.sort();
        let got: Vec<&str> = (0..input.len() as u32).map(|i| table.get(i)).collect();
        assert_eq!(got, input);
    }

    #[test]
    fn packed_and_other_ids_sort_as_text() {
        let input = [
            "fab4e3df67c24aa0a5b41bc2bcb41918in03",
            "fab4e3df67c24aa0a5b41bc2bcb41918",
            "fab4e3df67c24aa0a5b41bc2bcb41918in0",
            "fab4e3df67c24aa0a5b41bc2bcb41918in04",
            "FAB4E3DF67C24AA0A5B41BC2BCB41918in03",
            "fab4e3df67c24aa0a5b41bc2bcb41918IN03",
            "fab4e3df67c24aa0a5b41bc2bcb41918in03x",
            "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
            "fab4e3df67c24aa0a5b41bc2bcb4191",
            "fab4e3df67c24aa0a5b41bc2bcb41918in03 ",
            "g00000000000000000000000000000000in03",
            "00000000000000000000000000000000in03",
            "0000000000000000000000000000000000",
        ];
        let mut ids = IdInterner::default();
        for (i, id) in input.iter().enumerate() {
            assert_eq!(ids.intern(id), (i as u32, true), "{id}");
        }
        for (i, id) in input.iter().enumerate() {
            assert_eq!(ids.intern(id), (i as u32, false), "{id}");
        }
        let (table, rank) = ids.into_sorted();
        let mut want: Vec<&str> = input.to_vec();
        want.sort();
        let got: Vec<&str> = (0..input.len() as u32).map(|i| table.get(i)).collect();
        assert_eq!(got, want);
        for (old, id) in input.iter().enumerate() {
            assert_eq!(table.get(rank[old]), *id);
            assert_eq!(table.find(id), Some(rank[old]));
        }
    }

    #[test]
    fn id_hash_spreads_similar_keys() {
        // Sequential ids, as strings and as packed keys: both ends of the
        // hash must spread (4096 patterns; 10,000 random draws cover ~3770).
        for hashes in [
            (0..10_000)
                .map(|i| id_hash().hash_one(format!("{i:032x}in03")))
                .collect::<Vec<u64>>(),
            (0..10_000u32)
                .map(|i| {
                    id_hash()
                        .hash_one(IdKey::pack(format!("{i:032x}in03").as_bytes()).expect("packs"))
                })
                .collect(),
        ] {
            let distinct: std::collections::HashSet<u64> = hashes.iter().copied().collect();
            assert_eq!(distinct.len(), 10_000);
            let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0xfff).collect();
            let high: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 52).collect();
            assert!(
                low.len() > 3600,
                "{} distinct low 12-bit patterns",
                low.len()
            );
            assert!(
                high.len() > 3600,
                "{} distinct high 12-bit patterns",
                high.len()
            );
        }
    }

    #[test]
    fn ids_crafted_to_collide_under_a_fixed_key_do_not_collide_here() {
        use foldhash::fast::FixedState;
        // Under foldhash's fixed key, whose per-hasher seed is known (in
        // 0.1: its constant ARBITRARY3), a packed key whose first word is
        // that seed folds to zero whatever its second word.
        const SEED: u64 = 0x082e_fa98_ec4e_6c89;
        const N: usize = 50_000;
        let ids: Vec<String> = (0..N)
            .map(|lo| format!("{SEED:016x}{lo:016x}in03"))
            .collect();
        let fixed = FixedState::default();
        let key = |id: &String| IdKey::pack(id.as_bytes()).expect("packs");
        let first = fixed.hash_one(key(&ids[0]));
        assert!(
            ids.iter().all(|id| fixed.hash_one(key(id)) == first),
            "the crafted ids share one hash under the fixed key"
        );
        let mut table = IdInterner::default();
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(table.intern(id), (k as u32, true));
        }
        // Under the fixed key every id would start probing at one slot: the
        // probes past the home slots would add up to N * (N - 1) / 2. Keyed
        // at random, they stay a small multiple of N.
        let probes = table.probes_past_home();
        assert!(probes < 2 * N, "{probes} probes for {N} ids");
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(table.intern(id), (k as u32, false));
        }
    }
}
