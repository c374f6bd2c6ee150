//! The page's Content-Security-Policy: nothing from the network, and only
//! the inline style and script the page itself carries, allowed by their
//! SHA-256 hashes (so the same page always has the same policy, and a
//! static file can carry it in a `<meta>` element).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The hashes of a page's inline style and script elements.
pub struct Policy {
    styles: Vec<String>,
    scripts: Vec<String>,
}

impl Policy {
    /// The policy for a page whose `<style>` holds `style`, whose
    /// `<script>` holds `script`, and which embeds `svg` (whose own
    /// `<style>` elements are allowed too).
    pub fn new(style: &str, script: &str, svg: Option<&str>) -> Self {
        let mut styles = vec![hash(style)];
        styles.extend(svg.into_iter().flat_map(style_elements).map(hash));
        styles.sort();
        styles.dedup();
        Policy {
            styles,
            scripts: vec![hash(script)],
        }
    }

    /// For the page's `<meta http-equiv="Content-Security-Policy">`
    /// (`frame-ancestors` has no effect there).
    pub fn for_meta(&self) -> String {
        format!(
            "default-src 'none'; style-src {}; script-src {}; img-src data:; \
             base-uri 'none'; form-action 'none'",
            self.styles.join(" "),
            self.scripts.join(" ")
        )
    }

    /// For a `Content-Security-Policy` response header.
    pub fn for_header(&self) -> String {
        format!("{}; frame-ancestors 'none'", self.for_meta())
    }
}

/// `'sha256-BASE64'` of the text.
pub fn hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The text of every `<style>` element of an SVG made by the exporter
/// (which escapes `<` in every text and attribute, so the tags found are
/// the real ones).
pub fn style_elements(svg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<style") {
        let Some(open_end) = rest[start..].find('>') else {
            break;
        };
        let body = &rest[start + open_end + 1..];
        let Some(end) = body.find("</style>") else {
            break;
        };
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}
