//! Instance ids of the usual shape, packed into integers: 32 lowercase hex
//! digits read sixteen at a time, and a short suffix.

/// An instance id as the interner keeps it. Ids of the usual shape (32
/// lowercase hex digits and a suffix of up to 4 lowercase letters or digits,
/// e.g. `...in03`) are packed into the key itself: no allocation, no
/// pointer to follow on lookup, and integer order equals text order. Other
/// ids live in an arena; their key is `(hash, arena index, OTHER)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct IdKey {
    pub(super) hi: u64,
    pub(super) lo: u64,
    /// Suffix bytes, big-endian, zero-padded; [`OTHER`] for an arena id.
    pub(super) suffix: u32,
}

/// Marks an arena id: no packed suffix has a 0xff byte.
pub(super) const OTHER: u32 = u32::MAX;

/// The value of 16 lowercase hex digits (the first the most significant),
/// or `None` if any byte is not one: all sixteen at once in SSE2 registers.
#[cfg(target_arch = "x86_64")]
#[inline]
fn hex16(digits: &[u8; 16]) -> Option<u64> {
    use std::arch::x86_64::{
        _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_cvtsi128_si64,
        _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi8,
        _mm_set1_epi16, _mm_setzero_si128, _mm_slli_epi16, _mm_srli_epi16,
    };
    // SAFETY: the load reads the sixteen bytes `digits` refers to (no
    // alignment needed); SSE2, which every intrinsic here needs, is in
    // every x86_64 CPU.
    let (valid, value) = unsafe {
        let x = _mm_loadu_si128(digits.as_ptr().cast());
        // Signed compares: a byte of 0x80 or more is negative, in neither
        // range.
        let within = |low: u8, high: u8| {
            _mm_and_si128(
                _mm_cmpgt_epi8(x, _mm_set1_epi8(low as i8 - 1)),
                _mm_cmplt_epi8(x, _mm_set1_epi8(high as i8 + 1)),
            )
        };
        let letter = within(b'a', b'f');
        let valid = _mm_movemask_epi8(_mm_or_si128(within(b'0', b'9'), letter));
        // '0'..'9' are 0x30..0x39 and 'a'..'f' 0x61..0x66: the low nibble,
        // plus 9 for a letter.
        let nibbles = _mm_add_epi8(
            _mm_and_si128(x, _mm_set1_epi8(0x0f)),
            _mm_and_si128(letter, _mm_set1_epi8(9)),
        );
        // Each 16-bit lane holds two digits, the first in its low byte:
        // make that byte `first << 4 | second`, then pack the lanes' low
        // bytes into the low eight bytes, the first digits first.
        let pairs = _mm_and_si128(
            _mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8)),
            _mm_set1_epi16(0x00ff),
        );
        let bytes = _mm_packus_epi16(pairs, _mm_setzero_si128());
        (valid, _mm_cvtsi128_si64(bytes) as u64)
    };
    (valid == 0xffff).then(|| value.swap_bytes())
}

/// The value of 16 lowercase hex digits (the first the most significant),
/// or `None` if any byte is not one.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn hex16(digits: &[u8; 16]) -> Option<u64> {
    hex16_swar(digits)
}

/// [`hex16`] as two [`hex8`], for any CPU.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn hex16_swar(digits: &[u8; 16]) -> Option<u64> {
    let (a, c) = digits.split_at(8);
    Some((u64::from(hex8(a)?) << 32) | u64::from(hex8(c)?))
}

/// The value of 8 lowercase hex digits (the first the most significant),
/// or `None` if any byte is not one: eight bytes at a time in one `u64`.
#[inline]
fn hex8(digits: &[u8]) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_be_bytes(digits.try_into().ok()?);
    if x & HIGH != 0 {
        return None;
    }
    // Every byte is below 0x80, so adding less than 0x80 to it cannot
    // carry into the next byte; the sum's high bit tells `byte >= bound`.
    let at_least = |bound: u64| x.wrapping_add((0x80 - bound) * ONES) & HIGH;
    let digit = at_least(0x30) & !at_least(0x3a);
    let letter = at_least(0x61) & !at_least(0x67);
    if digit | letter != HIGH {
        return None;
    }
    // '0'..'9' are 0x30..0x39 and 'a'..'f' 0x61..0x66: the low nibble, plus
    // 9 for a letter.
    let mut n = (x & (0x0f * ONES)) + (letter >> 7) * 9;
    n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
    n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
    n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
    Some(n as u32)
}

/// Each byte's two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = [HEX[b >> 4], HEX[b & 0xf]];
        b += 1;
    }
    table
};

impl IdKey {
    pub(super) fn pack(b: &[u8]) -> Option<IdKey> {
        if !(32..=36).contains(&b.len()) {
            return None;
        }
        let hi = hex16(b[..16].try_into().ok()?)?;
        let lo = hex16(b[16..32].try_into().ok()?)?;
        let mut suffix = 0u32;
        for k in 0..4 {
            let byte = match b.get(32 + k) {
                Some(&c) if c.is_ascii_lowercase() || c.is_ascii_digit() => c,
                Some(_) => return None,
                None => 0,
            };
            suffix = (suffix << 8) | u32::from(byte);
        }
        Some(IdKey { hi, lo, suffix })
    }

    /// Writes a packed id back as text.
    pub(super) fn write_packed(&self, out: &mut String) {
        let (buf, len) = self.packed_text();
        // Hex digits and the ASCII suffix bytes `pack` accepted.
        out.push_str(std::str::from_utf8(&buf[..len]).expect("packed ids are ASCII"));
    }

    /// A packed id's text: ASCII, in the first `len` bytes.
    pub(super) fn packed_text(&self) -> ([u8; 36], usize) {
        let mut buf = [0u8; 36];
        for (w, half) in [self.hi, self.lo].into_iter().zip(buf.chunks_exact_mut(16)) {
            for (byte, pair) in w.to_be_bytes().into_iter().zip(half.chunks_exact_mut(2)) {
                pair.copy_from_slice(&HEX_PAIRS[byte as usize]);
            }
        }
        let mut len = 32;
        for byte in self.suffix.to_be_bytes() {
            if byte != 0 {
                buf[len] = byte;
                len += 1;
            }
        }
        (buf, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_agree_with_the_plain_rule_for_every_byte_in_every_place() {
        let plain = |digits: &[u8]| -> Option<u64> {
            digits.iter().try_fold(0u64, |acc, &c| {
                let v = match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    _ => return None,
                };
                Some(acc << 4 | u64::from(v))
            })
        };
        let base = *b"09af5c3e7b1d2468";
        for place in 0..16 {
            for byte in 0..=255u8 {
                let mut digits = base;
                digits[place] = byte;
                let want = plain(&digits);
                assert_eq!(hex16(&digits), want, "{digits:?}");
                assert_eq!(hex16_swar(&digits), want, "{digits:?}");
                let half = &digits[place / 8 * 8..][..8];
                assert_eq!(hex8(half).map(u64::from), plain(half), "{half:?}");
            }
        }
        assert_eq!(hex8(b"ffffffff"), Some(u32::MAX));
        assert_eq!(hex8(b"0123abcd"), Some(0x0123_abcd));
        assert_eq!(hex16(b"ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(hex16(b"0000000000000000"), Some(0));
        assert_eq!(hex16(b"0123456789abcdef"), Some(0x0123_4567_89ab_cdef));
    }
}
