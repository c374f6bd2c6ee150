//! Compact string storage: attribute strings interned to small symbols, and
//! instance ids stored once in one sorted arena.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::num::NonZeroU32;

/// A fast, non-cryptographic hasher for the merge's maps (the FxHash mix,
/// eight bytes at a time, then the murmur3 finaliser so that both the low
/// bits hashbrown uses for buckets and the high bits of its tags are mixed). Input comes from the user's own captures,
/// so flooding resistance is not worth SipHash's cost here.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

/// The hasher of [`FastHash`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The murmur3 finaliser: every output bit depends on every input bit.
        let mut z = self.0;
        z ^= z >> 33;
        z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^= z >> 33;
        z = z.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

/// A `HashMap` with [`FastHash`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FastHash>;

/// An interned attribute string (region, project id, project name, message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Sym(NonZeroU32);

impl Sym {
    fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

/// Interns the few distinct attribute strings of a fleet.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    map: FastMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        // More than 4 billion distinct strings cannot fit in memory anyway.
        let n = u32::try_from(self.strings.len() + 1).expect("fewer than 2^32 distinct strings");
        let sym = Sym(NonZeroU32::new(n).expect("n >= 1"));
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        sym
    }

    /// Interns a non-blank string; blank or absent is `None`.
    pub(crate) fn intern_opt(&mut self, s: Option<&str>) -> Option<Sym> {
        match s {
            Some(s) if !s.trim().is_empty() => Some(self.intern(s)),
            _ => None,
        }
    }

    /// The strings alone, indexable by [`Sym`], once interning is over.
    pub(crate) fn freeze(self) -> Strings {
        Strings(self.strings)
    }
}

/// Interned strings after the build.
#[derive(Debug, Default)]
pub(crate) struct Strings(Vec<Box<str>>);

impl Strings {
    pub(crate) fn get(&self, sym: Sym) -> &str {
        &self.0[sym.index()]
    }

    pub(crate) fn opt(&self, sym: Option<Sym>) -> Option<&str> {
        sym.map(|s| self.get(s))
    }
}

/// An instance id as the interner keeps it. Ids of the usual shape (32
/// lowercase hex digits and a suffix of up to 4 lowercase letters or digits,
/// e.g. `...in03`) are packed into the key itself: no allocation, no
/// pointer to follow on lookup, and integer order equals text order. Other
/// ids live in an arena; their key is `(hash, arena index, OTHER)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct IdKey {
    hi: u64,
    lo: u64,
    /// Suffix bytes, big-endian, zero-padded; [`OTHER`] for an arena id.
    suffix: u32,
}

/// Marks an arena id: no packed suffix has a 0xff byte.
const OTHER: u32 = u32::MAX;

/// Hex digit values of the lowercase digits; 0xff for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut x = 0;
    while x < 6 {
        table[b'a' as usize + x] = 10 + x as u8;
        x += 1;
    }
    table
};

impl IdKey {
    fn pack(id: &str) -> Option<IdKey> {
        let b = id.as_bytes();
        if !(32..=36).contains(&b.len()) {
            return None;
        }
        let mut words = [0u64; 2];
        let mut bad = 0u8;
        for (w, chunk) in words.iter_mut().zip(b[..32].chunks_exact(16)) {
            for &c in chunk {
                let v = HEX_VALUE[c as usize];
                bad |= v;
                *w = (*w << 4) | u64::from(v & 0xf);
            }
        }
        // Any invalid byte set the high bits.
        if bad & 0xf0 != 0 {
            return None;
        }
        let mut suffix = 0u32;
        for k in 0..4 {
            let byte = match b.get(32 + k) {
                Some(&c) if c.is_ascii_lowercase() || c.is_ascii_digit() => c,
                Some(_) => return None,
                None => 0,
            };
            suffix = (suffix << 8) | u32::from(byte);
        }
        Some(IdKey {
            hi: words[0],
            lo: words[1],
            suffix,
        })
    }

    /// Writes a packed id back as text.
    fn write_packed(&self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 36];
        for (w, half) in [self.hi, self.lo].into_iter().zip(buf.chunks_exact_mut(16)) {
            for (k, b) in half.iter_mut().enumerate() {
                *b = HEX[((w >> ((15 - k) * 4)) & 0xf) as usize];
            }
        }
        let mut len = 32;
        for byte in self.suffix.to_be_bytes() {
            if byte != 0 {
                buf[len] = byte;
                len += 1;
            }
        }
        // Hex digits and the ASCII suffix bytes `pack` accepted.
        out.push_str(std::str::from_utf8(&buf[..len]).expect("packed ids are ASCII"));
    }
}

fn slice<'a>(arena: &'a str, ends: &[usize], i: usize) -> &'a str {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &arena[start..ends[i]]
}

/// Instance ids as they arrive, each given the next index.
#[derive(Default)]
pub(crate) struct IdInterner {
    /// Key of each index.
    keys: Vec<IdKey>,
    /// `(key, index)`.
    table: hashbrown::HashTable<(IdKey, u32)>,
    /// Ids that do not pack, back to back.
    others: String,
    others_ends: Vec<usize>,
}

impl IdInterner {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The index of `id`, and whether it is new.
    pub(crate) fn intern(&mut self, id: &str) -> (u32, bool) {
        if let Some(key) = IdKey::pack(id) {
            let hash = FastHash.hash_one(key);
            if let Some(&(_, i)) = self.table.find(hash, |(k, _)| *k == key) {
                return (i, false);
            }
            return self.insert(key, hash);
        }
        let hash = FastHash.hash_one(id);
        let (others, ends) = (&self.others, &self.others_ends);
        let found = self.table.find(hash, |(k, _)| {
            k.suffix == OTHER && k.hi == hash && slice(others, ends, k.lo as usize) == id
        });
        if let Some(&(_, i)) = found {
            return (i, false);
        }
        self.others.push_str(id);
        self.others_ends.push(self.others.len());
        let key = IdKey {
            hi: hash,
            lo: (self.others_ends.len() - 1) as u64,
            suffix: OTHER,
        };
        self.insert(key, hash)
    }

    fn insert(&mut self, key: IdKey, hash: u64) -> (u32, bool) {
        // More than 4 billion instances cannot fit in memory anyway.
        let n = u32::try_from(self.keys.len()).expect("fewer than 2^32 instances");
        self.keys.push(key);
        self.table.insert_unique(hash, (key, n), |(k, _)| {
            if k.suffix == OTHER {
                k.hi
            } else {
                FastHash.hash_one(*k)
            }
        });
        (n, true)
    }

    /// Sorts the ids; returns the sorted table and, for each old index, the
    /// new one.
    pub(crate) fn into_sorted(self) -> (IdTable, Vec<u32>) {
        let IdInterner {
            keys,
            table,
            others,
            others_ends,
        } = self;
        drop(table);
        // Packed ids sort as integers; the others as text; then one merge.
        let mut packed: Vec<(IdKey, u32)> = Vec::with_capacity(keys.len());
        let mut other: Vec<(&str, u32)> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if key.suffix == OTHER {
                other.push((slice(&others, &others_ends, key.lo as usize), i as u32));
            } else {
                packed.push((*key, i as u32));
            }
        }
        packed.sort_unstable_by_key(|(k, _)| (k.hi, k.lo, k.suffix));
        other.sort_unstable();
        let mut sorted = IdTable {
            arena: String::with_capacity(packed.len() * 36 + others.len()),
            ends: Vec::with_capacity(keys.len()),
        };
        let mut rank = vec![0u32; keys.len()];
        let (mut p, mut o) = (0, 0);
        let mut text = String::with_capacity(36);
        while p < packed.len() || o < other.len() {
            let take_packed = match (packed.get(p), other.get(o)) {
                (Some((key, _)), Some((id, _))) => {
                    text.clear();
                    key.write_packed(&mut text);
                    text.as_str() < *id
                }
                (Some(_), None) => true,
                _ => false,
            };
            let old = if take_packed {
                let (key, old) = packed[p];
                key.write_packed(&mut sorted.arena);
                p += 1;
                old
            } else {
                let (id, old) = other[o];
                sorted.arena.push_str(id);
                o += 1;
                old
            };
            sorted.ends.push(sorted.arena.len());
            // Fewer than 2^32 ids: the old indices are u32 too.
            rank[old as usize] = (sorted.ends.len() - 1) as u32;
        }
        (sorted, rank)
    }
}

/// Instance ids, sorted, stored back to back in one buffer: node `i` is the
/// `i`-th smallest id.
#[derive(Debug, Default)]
pub(crate) struct IdTable {
    arena: String,
    /// `ends[i]` is where id `i` ends in `arena`.
    ends: Vec<usize>,
}

impl IdTable {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: u32) -> &str {
        slice(&self.arena, &self.ends, i as usize)
    }

    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid as u32).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
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
        assert_eq!(table.find("bb"), Some(5));
        assert_eq!(table.find("b"), None);
        assert_eq!(table.find("zz"), None);
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
    fn fast_hash_spreads_similar_keys() {
        use std::hash::BuildHasher;
        // Sequential ids, as strings and as packed keys: both ends of the
        // hash must spread (4096 patterns; 10,000 random draws cover ~3770).
        for hashes in [
            (0..10_000)
                .map(|i| FastHash.hash_one(format!("{i:032x}in03")))
                .collect::<Vec<u64>>(),
            (0..10_000u32)
                .map(|i| FastHash.hash_one(IdKey::pack(&format!("{i:032x}in03")).expect("packs")))
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
    fn interner_dedups_and_skips_blank() {
        let mut interner = Interner::default();
        let a = interner.intern("x");
        assert_eq!(interner.intern("x"), a);
        assert_eq!(interner.intern_opt(Some("  ")), None);
        assert_eq!(interner.intern_opt(None), None);
        let b = interner.intern_opt(Some("y")).unwrap();
        let strings = interner.freeze();
        assert_eq!(strings.get(a), "x");
        assert_eq!(strings.opt(Some(b)), Some("y"));
    }
}
