//! A scanner for JSON of a known shape, the fastest of the decoders.
//!
//! What it reads is described as data: each kind of object is a [`Shape`],
//! a table of its known fields (the key as compact JSON writes it, and how
//! its value is read) and what their values become. The scanner reads an
//! object member by member: a known key is compared whole, with its colon,
//! against the table first; a known field's string is handed over as bytes
//! (strings are read sixteen bytes at a time, with SSE2 on x86_64); a field
//! the table does not know is skipped, whatever its value (nested objects
//! and arrays, numbers, strings with escapes), as newer API versions add
//! fields. A second kind of answer is decoded through the same scanner by
//! writing its tables, not a second scanner.
//!
//! It gives up (`None`) on anything it is unsure of: a repeated known
//! field, an escape in a known field's string or in any key, a value of an
//! unexpected type, bad syntax, a string that is not UTF-8, a number with
//! an exponent or of more than [`MAX_NUMBER`] bytes, an escape that is a
//! surrogate, nesting deeper than [`MAX_DEPTH`]. The caller then decodes
//! the same bytes with serde, which decides the unusual cases. So it never
//! has to be right about anything unusual: whatever it accepts must be
//! valid UTF-8 JSON that every other decoder reads the same; whatever it is
//! unsure of, it rejects. The unit tests check that on mutated captures,
//! and the `merge` fuzz target compares the whole fast path with the model
//! on arbitrary bytes.

/// A position in JSON text. The text is not known to be UTF-8: known
/// fields' strings are given as bytes, and whoever keeps one as text checks
/// it; skipped strings are checked here. Outside strings the scanner
/// accepts ASCII alone, so what it accepts is UTF-8.
pub(super) struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

/// How deep a skipped value may nest (serde_json refuses 128 levels).
const MAX_DEPTH: u32 = 64;

/// The longest number a skipped value may hold: the model reads every
/// number (and refuses one out of `f64`'s range), so a skipped one must be
/// one that no decoder refuses.
const MAX_NUMBER: usize = 40;

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

/// How a known field's value is read.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// A string without escapes, or `null`: handed to [`Shape::text`].
    Text,
    /// A number without an exponent, or `null`: handed to
    /// [`Shape::scalar`].
    Number,
    /// A string without escapes, a number without an exponent, or `null`
    /// (an API that sends a number as either): handed to [`Shape::scalar`].
    TextOrNumber,
    /// Read by the shape itself with the scanner ([`Shape::nested`]): an
    /// object, an array, `null`.
    Nested,
}

/// The value of a [`Kind::Number`] or [`Kind::TextOrNumber`] field, as
/// bytes of the input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scalar<'a> {
    /// `null`.
    Null,
    /// A string's contents (no escapes).
    Text(&'a [u8]),
    /// A number's text: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most
    /// [`MAX_NUMBER`] bytes.
    Number(&'a [u8]),
}

/// A known field of an object.
#[derive(Debug)]
pub(super) struct Field {
    /// The key as compact JSON writes it: quoted, then a colon.
    key: &'static [u8],
    kind: Kind,
}

impl Field {
    /// A field whose value is a string or `null`; `key` is quoted, with its
    /// colon (`b"\"region\":"`).
    pub(super) const fn text(key: &'static [u8]) -> Field {
        Field {
            key,
            kind: Kind::Text,
        }
    }

    /// A field whose value is a number or `null`.
    pub(super) const fn number(key: &'static [u8]) -> Field {
        Field {
            key,
            kind: Kind::Number,
        }
    }

    /// A field whose value is a string, a number, or `null`.
    pub(super) const fn text_or_number(key: &'static [u8]) -> Field {
        Field {
            key,
            kind: Kind::TextOrNumber,
        }
    }

    /// A field whose value the shape reads itself.
    pub(super) const fn nested(key: &'static [u8]) -> Field {
        Field {
            key,
            kind: Kind::Nested,
        }
    }

    /// The key's text.
    fn name(&self) -> &'static [u8] {
        &self.key[1..self.key.len() - 2]
    }
}

/// A kind of object: its known fields (at most 64), and what their values
/// become.
pub(super) trait Shape<'a> {
    /// The known fields, in the order answers usually have them.
    const FIELDS: &'static [Field];

    /// The value of the [`Kind::Text`] field `FIELDS[field]`.
    fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
        let _ = (field, value);
        None
    }

    /// The value of the [`Kind::Number`] or [`Kind::TextOrNumber`] field
    /// `FIELDS[field]`.
    fn scalar(&mut self, field: usize, value: Scalar<'a>) -> Option<()> {
        let _ = (field, value);
        None
    }

    /// Reads the value of the [`Kind::Nested`] field `FIELDS[field]`.
    fn nested(&mut self, scanner: &mut Scanner<'a>, field: usize) -> Option<()> {
        let _ = (scanner, field);
        None
    }
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Scanner { text, at: 0 }
    }

    /// The length of the whole text.
    pub(super) fn len(&self) -> usize {
        self.text.len()
    }

    /// The next byte that is not JSON whitespace (without taking it).
    pub(super) fn peek(&mut self) -> Option<u8> {
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
    pub(super) fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    /// A string without escapes or control characters, as bytes: sixteen
    /// bytes at a time, looking for the first `"`, `\\` or byte below 0x20.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        self.skip_to_special();
        match *self.text.get(self.at)? {
            b'"' => {
                let s = &self.text[start..self.at];
                self.at += 1;
                Some(s)
            }
            _ => None,
        }
    }

    /// Moves to the next `"`, `\\` or byte below 0x20 (or the end).
    fn skip_to_special(&mut self) {
        let bytes = self.text;
        while let Some(block) = bytes.get(self.at..self.at + 16) {
            if let Some(k) = block.try_into().ok().and_then(first_special) {
                self.at += k;
                return;
            }
            self.at += 16;
        }
        while let Some(&c) = bytes.get(self.at) {
            if matches!(c, b'"' | b'\\' | 0..=0x1f) {
                return;
            }
            self.at += 1;
        }
    }

    /// `null`.
    pub(super) fn null(&mut self) -> Option<()> {
        self.literal(b"null")
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.peek()?;
        self.text[self.at..]
            .starts_with(word)
            .then(|| self.at += word.len())
    }

    /// A string or `null`.
    fn opt_string(&mut self) -> Option<Option<&'a [u8]>> {
        match self.peek()? {
            b'"' => self.string().map(Some),
            b'n' => self.null().map(|()| None),
            _ => None,
        }
    }

    /// An object of shape `S`: each known field's value to `shape`, each
    /// unknown one skipped; a known field given twice gives up (serde's
    /// derive refuses it).
    #[inline]
    pub(super) fn object<S: Shape<'a>>(&mut self, shape: &mut S) -> Option<()> {
        let mut seen = 0u64;
        self.sequence(b'{', b'}', |sc| {
            let Some(field) = sc.key(S::FIELDS)? else {
                return sc.skip_value();
            };
            let bit = 1u64 << field;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match S::FIELDS[field].kind {
                Kind::Text => {
                    let value = sc.opt_string()?;
                    shape.text(field, value)
                }
                Kind::Number => {
                    let value = match sc.peek()? {
                        b'n' => sc.null().map(|()| Scalar::Null)?,
                        _ => Scalar::Number(sc.number()?),
                    };
                    shape.scalar(field, value)
                }
                Kind::TextOrNumber => {
                    let value = match sc.peek()? {
                        b'n' => sc.null().map(|()| Scalar::Null)?,
                        b'"' => Scalar::Text(sc.string()?),
                        _ => Scalar::Number(sc.number()?),
                    };
                    shape.scalar(field, value)
                }
                Kind::Nested => shape.nested(sc, field),
            }
        })
    }

    /// A key and its colon: its index among `fields`, if it is one of them.
    #[inline(always)]
    fn key(&mut self, fields: &[Field]) -> Option<Option<usize>> {
        // Compact JSON: the key, quoted, and its colon, compared whole
        // (a few words each: the lengths are constants once inlined).
        let rest = &self.text[self.at..];
        for (k, field) in fields.iter().enumerate() {
            if rest.starts_with(field.key) {
                self.at += field.key.len();
                return Some(Some(k));
            }
        }
        // Whitespace, or a key that is none of them. A key with an escape
        // gives up: it might spell a known one.
        let key = self.string()?;
        self.eat(b':')?;
        if let Some(k) = fields.iter().position(|field| field.name() == key) {
            return Some(Some(k));
        }
        std::str::from_utf8(key).ok()?;
        Some(None)
    }

    /// An array: `element` reads each element.
    pub(super) fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
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

    /// Skips any one value (the value of a field nobody asked for), in a
    /// loop rather than by recursion: `stack` holds a bit per open
    /// container, set for an object.
    fn skip_value(&mut self) -> Option<()> {
        let (mut stack, mut depth) = (0u64, 0u32);
        loop {
            // A value.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    self.at += 1;
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    depth += 1;
                    stack = stack << 1 | u64::from(open == b'{');
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? != close {
                        if open == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                    self.at += 1;
                    depth -= 1;
                    stack >>= 1;
                }
                b'"' => self.skip_string()?,
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                _ => return None,
            }
            // What follows a value: the end of its containers, or a comma.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let object = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.at += 1;
                depth -= 1;
                stack >>= 1;
            }
        }
    }

    /// A key of a skipped object, and its colon.
    fn skip_key(&mut self) -> Option<()> {
        self.skip_string()?;
        self.eat(b':')
    }

    /// A string with any escapes but surrogates, UTF-8 (checked here: it
    /// is not kept).
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            self.skip_to_special();
            match *self.text.get(self.at)? {
                b'"' => break,
                b'\\' => {
                    let escape = *self.text.get(self.at + 1)?;
                    self.at += 2;
                    match escape {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.text.get(self.at..self.at + 4)?;
                            let hex = std::str::from_utf8(hex).ok()?;
                            let unit = u16::from_str_radix(hex, 16).ok()?;
                            // `from_str_radix` takes a sign: four digits only.
                            if !hex.bytes().all(|c| c.is_ascii_hexdigit())
                                || (0xd800..=0xdfff).contains(&unit)
                            {
                                return None;
                            }
                            self.at += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        std::str::from_utf8(&self.text[start..self.at]).ok()?;
        self.at += 1;
        Some(())
    }

    /// A number without an exponent, `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, of
    /// at most [`MAX_NUMBER`] bytes: its text.
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        let digits = |sc: &mut Self| {
            let from = sc.at;
            while sc.text.get(sc.at).is_some_and(u8::is_ascii_digit) {
                sc.at += 1;
            }
            sc.at - from
        };
        if self.text.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let first = *self.text.get(self.at)?;
        let whole = digits(self);
        if whole == 0 || (first == b'0' && whole > 1) {
            return None;
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        (self.at - start <= MAX_NUMBER).then(|| &self.text[start..self.at])
    }
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

    /// Another kind of object read through the same scanner by a table
    /// alone, as a ListDrInfos record would be: its string fields kept,
    /// everything else skipped.
    #[derive(Default)]
    struct Info<'a>([Option<&'a [u8]>; 3]);

    impl<'a> Shape<'a> for Info<'a> {
        const FIELDS: &'static [Field] = &[
            Field::text(b"\"id\":"),
            Field::text(b"\"status\":"),
            Field::text(b"\"replica_state\":"),
        ];

        fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
            self.0[field] = value;
            Some(())
        }
    }

    fn info(text: &str) -> Option<[Option<&str>; 3]> {
        let mut scanner = Scanner::new(text.as_bytes());
        let mut info = Info::default();
        scanner.object(&mut info)?;
        scanner.end()?;
        Some(
            info.0
                .map(|v| v.map(|b| std::str::from_utf8(b).expect("UTF-8"))),
        )
    }

    #[test]
    fn a_table_of_fields_is_all_another_kind_of_object_needs() {
        assert_eq!(
            info(
                r#"{"id": "r1", "time": 1765000000000, "status": "active",
                    "wal_write_receive_delay_in_mb": "0.5", "replica_state": null,
                    "nested": {"a": [1, -2.5, "x\"y"]}}"#
            ),
            Some([Some("r1"), Some("active"), None])
        );
        assert_eq!(info("{}"), Some([None; 3]));
        // Repeated known fields, wrong types, an exponent: given up.
        assert_eq!(info(r#"{"id": "a", "id": "b"}"#), None);
        assert_eq!(info(r#"{"id": 5}"#), None);
        assert_eq!(info(r#"{"time": 1e3}"#), None);
    }
}
