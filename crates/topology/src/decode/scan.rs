//! The fastest path: a scanner for captures of exactly the usual shape.
//!
//! Nearly every capture is compact JSON holding only the fields the API
//! returns: strings without escapes, `null`, objects and arrays of the known
//! fields. This scanner reads that shape in one pass (strings sixteen bytes
//! at a time, with SSE2 on x86_64; a key and its colon compared whole with
//! the keys the object may have), straight into a [`FlatOut`], and gives up
//! (`None`) on anything else: an unknown or repeated field, an escape, a
//! number, a value of an unexpected type, bad syntax, a kept string that is
//! not UTF-8. The caller then decodes the same bytes with serde (the seed
//! types of the parent module), which decides the unusual cases exactly as
//! before. On a large fleet it takes about as long as `serde_json` takes to
//! skip the same bytes into `IgnoredAny`.
//!
//! So it never has to be right about anything unusual: whatever it accepts
//! must be valid JSON that the serde path decodes to the same
//! [`Flat`]; whatever it is unsure of, it rejects. The unit tests check that
//! on mutated captures, and the `merge` fuzz target compares the whole fast
//! path with the model on arbitrary bytes.

use super::{Flat, FlatOut};

/// A position in JSON text. The text is not known to be UTF-8: strings
/// are given as bytes, and whoever keeps one as text checks it (see
/// [`FlatOut`]), so that what the scanner accepts is valid UTF-8 (outside
/// its strings it accepts ASCII alone).
struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is zero, and maybe of bytes above
/// such a byte (a borrow); the lowest one set is always exact.
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// Where the first `"`, `\\` or byte below 0x20 of `block` is, if any.
#[cfg(target_arch = "x86_64")]
fn first_special(block: &[u8; 16]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: the load reads the sixteen bytes `block` refers to (no
    // alignment needed); SSE2, which every intrinsic here needs, is in
    // every x86_64 CPU.
    let mask = unsafe {
        let x = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        // `x <= 0x1f` (unsigned) exactly when `min(x, 0x1f) == x`.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// Where the first `"`, `\\` or byte below 0x20 of `block` is, if any.
#[cfg(not(target_arch = "x86_64"))]
fn first_special(block: &[u8; 16]) -> Option<usize> {
    first_special_swar(block)
}

/// [`first_special`] eight bytes at a time in a `u64`, for any CPU.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn first_special_swar(block: &[u8; 16]) -> Option<usize> {
    block.chunks_exact(8).enumerate().find_map(|(half, word)| {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        let special = zero_bytes(x ^ (u64::from(b'"') * ONES))
            | zero_bytes(x ^ (u64::from(b'\\') * ONES))
            | (x.wrapping_sub(0x20 * ONES) & !x & HIGH);
        (special != 0).then(|| half * 8 + (special.trailing_zeros() / 8) as usize)
    })
}

/// An object's key as compact JSON has it: quoted, then a colon.
struct Field(&'static [u8]);

impl Field {
    /// The key's text.
    fn name(&self) -> &'static [u8] {
        &self.0[1..self.0.len() - 2]
    }
}

/// Field sets, to refuse a repeated field (serde's derive refuses them).
struct Seen(u8);

impl Seen {
    fn first(&mut self, bit: u8) -> Option<()> {
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(())
    }
}

impl<'a> Scanner<'a> {
    fn new(text: &'a [u8]) -> Self {
        Scanner { text, at: 0 }
    }

    /// The next byte that is not JSON whitespace (without taking it).
    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.text.get(self.at) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.at += 1;
        }
        None
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        // Compact JSON has no whitespace: try the next byte first.
        if self.text.get(self.at) == Some(&c) {
            self.at += 1;
            return Some(());
        }
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    /// A string without escapes or control characters: sixteen bytes at a
    /// time, looking for the first `"`, `\\` or byte below 0x20.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        let bytes = self.text;
        while let Some(block) = bytes.get(self.at..self.at + 16) {
            if let Some(k) = first_special(block.try_into().ok()?) {
                self.at += k;
                break;
            }
            self.at += 16;
        }
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let s = &bytes[start..self.at];
        self.at += 1;
        Some(s)
    }

    /// `null`.
    fn null(&mut self) -> Option<()> {
        self.peek()?;
        self.text[self.at..]
            .starts_with(b"null")
            .then(|| self.at += 4)
    }

    /// A string or `null`.
    fn opt_string(&mut self) -> Option<Option<&'a [u8]>> {
        match self.peek()? {
            b'"' => self.string().map(Some),
            b'n' => self.null().map(|()| None),
            _ => None,
        }
    }

    /// An object whose keys are all among `fields`: `member` reads the
    /// value of each member after its key, given the field's index.
    fn object<const N: usize>(
        &mut self,
        fields: &[Field; N],
        mut member: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        self.sequence(b'{', b'}', |sc| {
            let field = sc.field(fields)?;
            member(sc, field)
        })
    }

    /// A key among `fields` and its colon: its index.
    #[inline(always)]
    fn field<const N: usize>(&mut self, fields: &[Field; N]) -> Option<usize> {
        // Compact JSON: the key, quoted, and its colon, compared whole
        // (a few words each: the lengths are constants once inlined).
        let rest = &self.text[self.at..];
        for (k, field) in fields.iter().enumerate() {
            if rest.starts_with(field.0) {
                self.at += field.0.len();
                return Some(k);
            }
        }
        // Whitespace, or a key that is none of them.
        let key = self.string()?;
        self.eat(b':')?;
        fields.iter().position(|field| field.name() == key)
    }

    /// An array: `element` reads each element.
    fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', element)
    }

    /// `open`, items separated by commas, `close`.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// A capture envelope: its source's region and project id, and its records.
pub(super) fn capture(text: &[u8]) -> Option<(&str, &str, Flat)> {
    let mut scanner = Scanner::new(text);
    let mut seen = Seen(0);
    let (mut region, mut project, mut flat) = (None, None, None);
    const ENVELOPE: [Field; 3] = [
        Field(b"\"source\":"),
        Field(b"\"fetched_at\":"),
        Field(b"\"response\":"),
    ];
    const SOURCE: [Field; 2] = [Field(b"\"region\":"), Field(b"\"project_id\":")];
    scanner.object(&ENVELOPE, |sc, field| {
        seen.first(1 << field)?;
        match field {
            0 => {
                let mut fields = Seen(0);
                sc.object(&SOURCE, |sc, field| {
                    fields.first(1 << field)?;
                    let value = Some(std::str::from_utf8(sc.string()?).ok()?);
                    if field == 0 {
                        region = value;
                    } else {
                        project = value;
                    }
                    Some(())
                })
            }
            1 => match sc.opt_string()? {
                Some(time) => std::str::from_utf8(time).ok().map(drop),
                None => Some(()),
            },
            _ => {
                flat = Some(response_object(sc)?);
                Some(())
            }
        }
    })?;
    scanner.end()?;
    Some((region?, project?, flat.unwrap_or_default()))
}

/// A raw API body.
pub(super) fn response(text: &[u8]) -> Option<Flat> {
    let mut scanner = Scanner::new(text);
    let flat = response_object(&mut scanner)?;
    scanner.end()?;
    Some(flat)
}

/// `{"instance_dr_relations": null | [record, ...]}`.
fn response_object(sc: &mut Scanner<'_>) -> Option<Flat> {
    let mut out = FlatOut::for_len(sc.text.len());
    let mut seen = Seen(0);
    sc.object(&[Field(b"\"instance_dr_relations\":")], |sc, _| {
        seen.first(1)?;
        if sc.peek()? == b'n' {
            return sc.null();
        }
        sc.array(|sc| record(sc, &mut out))
    })?;
    Some(out.flat)
}

fn record<'a>(sc: &mut Scanner<'a>, out: &mut FlatOut<'a>) -> Option<()> {
    let start = out.flat.peers.len();
    let mut seen = Seen(0);
    let mut id = None;
    let mut has_master = false;
    const RECORD: [Field; 3] = [
        Field(b"\"instance_id\":"),
        Field(b"\"slave_instances\":"),
        Field(b"\"master_instance\":"),
    ];
    sc.object(&RECORD, |sc, field| {
        seen.first(1 << field)?;
        if field == 0 {
            id = sc.opt_string()?;
            return Some(());
        }
        if sc.peek()? == b'n' {
            return sc.null();
        }
        if field == 1 {
            return sc.array(|sc| peer(sc, out));
        }
        peer(sc, out)?;
        has_master = true;
        out.master_added(start);
        Some(())
    })?;
    out.record(id, has_master).ok()
}

fn peer<'a>(sc: &mut Scanner<'a>, out: &mut FlatOut<'a>) -> Option<()> {
    let mut seen = Seen(0);
    let [mut id, mut region, mut project, mut name] = [None; 4];
    const PEER: [Field; 4] = [
        Field(b"\"instance_id\":"),
        Field(b"\"region\":"),
        Field(b"\"project_id\":"),
        Field(b"\"project_name\":"),
    ];
    sc.object(&PEER, |sc, field| {
        seen.first(1 << field)?;
        let value = sc.opt_string()?;
        match field {
            0 => id = value,
            1 => region = value,
            2 => project = value,
            _ => name = value,
        }
        Some(())
    })?;
    out.peer(id, region, project, name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_special_agrees_with_the_plain_rule_for_every_byte_in_every_place() {
        let plain = |block: &[u8; 16]| {
            block
                .iter()
                .position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f))
        };
        let base = *b"a1-Z~\x7f\x80\xff \xe4\xb8\xad/:{}";
        assert_eq!(plain(&base), None);
        for place in 0..16 {
            for byte in 0..=255u8 {
                let mut block = base;
                block[place] = byte;
                let want = plain(&block);
                assert_eq!(first_special(&block), want, "{block:?}");
                assert_eq!(first_special_swar(&block), want, "{block:?}");
                // A later special byte does not hide an earlier one.
                block[15] = b'"';
                let want = plain(&block);
                assert_eq!(first_special(&block), want, "{block:?}");
                assert_eq!(first_special_swar(&block), want, "{block:?}");
            }
        }
    }
}
