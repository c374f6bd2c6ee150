//! The merge's strings other than instance ids (regions, project ids,
//! project names, messages): each distinct one interned once as a small
//! symbol, and the hash of the merge's maps.

use std::collections::HashMap;
use std::num::NonZeroU32;

/// The hash of the merge's maps: foldhash, keyed with a random seed (each
/// map its own), so that strings crafted to collide under a known key do
/// not collide here. The maps hold a few thousand distinct strings at most.
pub(crate) type FastHash = foldhash::fast::RandomState;

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

#[cfg(test)]
mod tests {
    use super::*;

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
