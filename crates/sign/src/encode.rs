//! Percent-encoding and decoding for the canonical request, with the
//! `percent-encoding` crate.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Every byte but RFC 3986's unreserved `A-Z a-z 0-9 - . _ ~` is encoded.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes the UTF-8 bytes of `s`, keeping only unreserved characters
/// (upper-case hex, `%20` for a space, `%2B` for `+`, `%2F` for `/`).
pub(crate) fn encode_into(out: &mut String, s: &str) {
    out.extend(utf8_percent_encode(s, RESERVED));
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as is,
/// `+` is kept as `+`. Invalid UTF-8 after decoding is replaced with U+FFFD.
pub(crate) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The path to put on the wire for a decoded path: each `/`-separated segment
/// percent-encoded like [`canonical_uri`], without forcing a trailing `/`.
///
/// ```
/// use rds_dr_sign::encode_path;
/// assert_eq!(encode_path("/v3/a b/c+d~é"), "/v3/a%20b/c%2Bd~%C3%A9");
/// ```
pub fn encode_path(decoded_path: &str) -> String {
    let mut out = String::with_capacity(decoded_path.len() + 16);
    for (i, segment) in decoded_path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(&mut out, segment);
    }
    out
}

/// The canonical URI: each `/`-separated segment of the decoded path
/// percent-encoded (unreserved characters, `~` included, kept), joined with
/// `/`, always ending in `/`.
///
/// ```
/// use rds_dr_sign::canonical_uri;
/// assert_eq!(canonical_uri("/v3/p/instances"), "/v3/p/instances/");
/// assert_eq!(canonical_uri("/a b/c+d~e/é"), "/a%20b/c%2Bd~e/%C3%A9/");
/// assert_eq!(canonical_uri(""), "/");
/// ```
pub fn canonical_uri(decoded_path: &str) -> String {
    let mut out = encode_path(decoded_path);
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: decoded `(key, value)` pairs sorted by decoded
/// key then decoded value (by code point), then percent-encoded, written `k=v`
/// and joined by `&`. Repeated keys stay, one `k=v` each.
/// An empty value gives `k=`. No pairs give the empty string.
///
/// ```
/// use rds_dr_sign::canonical_query;
/// let q = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
/// assert_eq!(canonical_query(&q(&[("name", "cn-north-4")])), "name=cn-north-4");
/// assert_eq!(canonical_query(&q(&[("b", "x y"), ("a", "2"), ("a", "1"), ("c", "")])), "a=1&a=2&b=x%20y&c=");
/// ```
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

/// Splits a raw query string (`a=1&b=%20`) into decoded pairs. Empty pieces
/// (`a=1&&b=2`) are skipped; a piece without `=` is a key with an empty value.
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(piece), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_reserved_byte() {
        let mut out = String::new();
        encode_into(&mut out, "aZ09-._~ !*'()+/%&=é");
        assert_eq!(out, "aZ09-._~%20%21%2A%27%28%29%2B%2F%25%26%3D%C3%A9");
    }

    #[test]
    fn decode_inverts_encode() {
        for s in ["", "a b", "%", "%zz", "é+~", "/a/%2F/"] {
            let mut enc = String::new();
            encode_into(&mut enc, s);
            assert_eq!(percent_decode(&enc), s);
        }
        assert_eq!(percent_decode("a+b%2"), "a+b%2");
        assert_eq!(percent_decode("%ff"), "\u{FFFD}");
    }

    #[test]
    fn uri_segments() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/"), "/a/");
        assert_eq!(canonical_uri("/a//b"), "/a//b/");
        assert_eq!(canonical_uri("/100%/x"), "/100%25/x/");
    }

    #[test]
    fn query_parsing() {
        assert_eq!(
            parse_query("a=1&&b&c=x%20y=z"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "x y=z".into())
            ]
        );
    }
}
