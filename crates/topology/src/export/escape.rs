//! Small escapers, one per syntax. Each is a `Display` wrapper so writers can
//! say `write!(out, "\"{}\"", Dot(id))` without allocating.

use std::fmt;

/// The replacement for a character a format cannot carry.
const REPLACEMENT: &str = "\u{FFFD}";

/// Writes `s`, replacing each character for which `escape` returns a
/// replacement; copies runs of untouched characters in one call.
fn write_escaped(
    f: &mut fmt::Formatter<'_>,
    s: &str,
    escape: impl Fn(char) -> Option<&'static str>,
) -> fmt::Result {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if let Some(replacement) = escape(c) {
            f.write_str(&s[start..i])?;
            f.write_str(replacement)?;
            start = i + c.len_utf8();
        }
    }
    f.write_str(&s[start..])
}

/// Characters XML 1.0 forbids anywhere, even as character references.
fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// XML text or attribute value (double- or single-quoted).
pub(crate) struct Xml<'a>(pub(crate) &'a str);

impl fmt::Display for Xml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, |c| match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' => Some("&quot;"),
            '\'' => Some("&apos;"),
            // References, so attribute-value normalisation and line-end
            // handling keep them as they are.
            '\t' => Some("&#9;"),
            '\n' => Some("&#10;"),
            '\r' => Some("&#13;"),
            c if xml_forbidden(c) => Some(REPLACEMENT),
            _ => None,
        })
    }
}

/// The inside of a DOT double-quoted string.
pub(crate) struct Dot<'a>(pub(crate) &'a str);

impl fmt::Display for Dot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, |c| match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => None,
            c if c.is_control() => Some(REPLACEMENT),
            _ => None,
        })
    }
}

/// The inside of a Mermaid double-quoted label: Mermaid's entity codes
/// (`#quot;`, `#35;`, ...) for characters that end the label or that
/// Mermaid or its HTML labels would interpret.
pub(crate) struct Mermaid<'a>(pub(crate) &'a str);

impl fmt::Display for Mermaid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, |c| match c {
            '"' => Some("#quot;"),
            '#' => Some("#35;"),
            '&' => Some("#amp;"),
            '<' => Some("#lt;"),
            '>' => Some("#gt;"),
            '`' => Some("#96;"),
            c if c.is_control() => Some(REPLACEMENT),
            _ => None,
        })
    }
}

/// Terminal-safe text: control characters (which could move the cursor or
/// recolour a terminal) become U+FFFD.
pub(crate) struct Text<'a>(pub(crate) &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, |c| c.is_control().then_some(REPLACEMENT))
    }
}

/// [`Text`] as an owned string.
pub(crate) fn sanitize_text(s: &str) -> String {
    Text(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            Xml("a<&>\"'b\t\n\r\u{0}\u{1F}\u{7F}\u{FFFF}é").to_string(),
            "a&lt;&amp;&gt;&quot;&apos;b&#9;&#10;&#13;\u{FFFD}\u{FFFD}\u{7F}\u{FFFD}é"
        );
        assert_eq!(Xml("plain").to_string(), "plain");
        assert_eq!(Xml("").to_string(), "");
    }

    #[test]
    fn dot_escapes_quotes_backslashes_and_newlines() {
        assert_eq!(
            Dot("a\"b\\c\nd\re\tf\u{1}").to_string(),
            "a\\\"b\\\\c\\nd\\re\tf\u{FFFD}"
        );
    }

    #[test]
    fn mermaid_uses_entity_codes() {
        assert_eq!(
            Mermaid("a\"#&<>`b\n").to_string(),
            "a#quot;#35;#amp;#lt;#gt;#96;b\u{FFFD}"
        );
    }

    #[test]
    fn text_replaces_terminal_controls() {
        assert_eq!(
            sanitize_text("a\u{1b}[31mb\u{9b}c\td"),
            "a\u{FFFD}[31mb\u{FFFD}c\u{FFFD}d"
        );
    }
}
