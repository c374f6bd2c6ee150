//! The Prometheus exposition formats: text 0.0.4 (the default) and
//! OpenMetrics 1.0 (when the scraper's `Accept` header asks for it).
//!
//! Why not the `prometheus-client` crate: it writes OpenMetrics only, and
//! Debian 12's `promtool check metrics` (2.42) rejects its counters; and its
//! metric objects are meant to be mutated in place, while serve rebuilds
//! every series from an immutable scan result (so that a series goes away
//! with its edge, and a scrape never sees half a scan). The two formats
//! differ in little for the metric types used here (gauges, counters,
//! histograms): a counter family is named without `_total` in OpenMetrics,
//! `# HELP` escapes `"` there too, and OpenMetrics ends with `# EOF`. One
//! writer does both.

use std::fmt::Write as _;

/// Which format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text,
    /// `application/openmetrics-text`, with the version the scraper asked for
    /// (`1.0.0` or `0.0.1`: the same text).
    OpenMetrics(&'static str),
}

impl Format {
    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> String {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8".to_owned(),
            Format::OpenMetrics(version) => {
                format!("application/openmetrics-text; version={version}; charset=utf-8")
            }
        }
    }

    /// The format an `Accept` header asks for, as client_golang chooses:
    /// media ranges by falling `q` (header order among equals); the first
    /// that is OpenMetrics (version 1.0.0, 0.0.1 or none) or the text format
    /// (`text/plain` of version 0.0.4 or none, `text/*`, `*/*`) wins.
    /// Anything else, or no header, is the text format.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        let mut ranges: Vec<(f32, usize, Format)> = Vec::new();
        for (index, range) in accept.split(',').enumerate() {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0_f32;
            let mut version = None;
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.parse().unwrap_or(0.0),
                    "version" => version = Some(value.to_owned()),
                    _ => {}
                }
            }
            let format = match (media.as_str(), version.as_deref()) {
                ("application/openmetrics-text", None | Some("1.0.0")) => {
                    Format::OpenMetrics("1.0.0")
                }
                ("application/openmetrics-text", Some("0.0.1")) => Format::OpenMetrics("0.0.1"),
                ("text/plain", None | Some("0.0.4")) | ("text/*" | "*/*", _) => Format::Text,
                _ => continue,
            };
            if q > 0.0 && q.is_finite() {
                ranges.push((q, index, format));
            }
        }
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges.first().map_or(Format::Text, |r| r.2)
    }
}

/// A metric family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A count that only goes up; its name ends in `_total`.
    Counter,
    /// Buckets, sum and count.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        }
    }
}

/// Writes metric families in one format. Call [`family`](Self::family),
/// then its samples, for each family in turn; then [`finish`](Self::finish).
pub struct Exposition {
    format: Format,
    out: String,
}

impl Exposition {
    /// An empty exposition.
    #[cfg(test)]
    pub fn new(format: Format) -> Exposition {
        Exposition::with_capacity(format, 4096)
    }

    /// An empty exposition with room for about `bytes` of text.
    pub fn with_capacity(format: Format, bytes: usize) -> Exposition {
        Exposition {
            format,
            out: String::with_capacity(bytes),
        }
    }

    /// Starts a family: `name` is the name its samples carry (a counter's
    /// ends in `_total`; a histogram's is the base of `_bucket`, `_sum`,
    /// `_count`).
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let family = match (self.format, kind) {
            (Format::OpenMetrics(_), Kind::Counter) => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        self.out.push_str("# HELP ");
        self.out.push_str(family);
        self.out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '"' if matches!(self.format, Format::OpenMetrics(_)) => self.out.push_str("\\\""),
                c => self.out.push(c),
            }
        }
        self.out.push_str("\n# TYPE ");
        self.out.push_str(family);
        self.out.push(' ');
        self.out.push_str(kind.as_str());
        self.out.push('\n');
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(key);
                self.out.push_str("=\"");
                escape_label(&mut self.out, value);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        write_value(&mut self.out, value);
        self.out.push('\n');
    }

    /// The samples of a histogram without labels: `buckets` are (upper
    /// bound, observations at or below it), ascending; `+Inf` is added.
    pub fn histogram(&mut self, name: &str, buckets: &[(f64, u64)], sum: f64, count: u64) {
        let bucket = format!("{name}_bucket");
        let mut bound = String::new();
        for &(upper, cumulative) in buckets {
            bound.clear();
            write_value(&mut bound, upper);
            self.sample(&bucket, &[("le", &bound)], cumulative as f64);
        }
        self.sample(&bucket, &[("le", "+Inf")], count as f64);
        self.sample(&format!("{name}_sum"), &[], sum);
        self.sample(&format!("{name}_count"), &[], count as f64);
    }

    /// The text, ending as the format requires.
    pub fn finish(mut self) -> String {
        if matches!(self.format, Format::OpenMetrics(_)) {
            self.out.push_str("# EOF\n");
        }
        self.out
    }
}

/// A label value, escaped as both formats require: `\`, `"` and newline.
fn escape_label(out: &mut String, value: &str) {
    // memchr looks at many bytes at a time: ids are most of the text.
    if memchr::memchr3(b'\\', b'"', b'\n', value.as_bytes()).is_none() {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value: integers without a fraction, other numbers in Rust's
/// shortest round-trip form (never an exponent), `+Inf`, `-Inf`, `NaN`.
fn write_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        write_integer(out, value as i64);
    } else {
        let _ = write!(out, "{value}");
    }
}

/// An integer in decimal, without `fmt`'s machinery: most samples are
/// counts, 0 or 1, and there are tens of thousands of them per scrape.
fn write_integer(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_text(format: Format) -> String {
        let mut e = Exposition::new(format);
        e.family("x_scans_total", Kind::Counter, "Scans \"done\".\nMore");
        e.sample("x_scans_total", &[], 3.0);
        e.family("x_up", Kind::Gauge, "Up.");
        e.sample("x_up", &[("id", "a\"b\\c\nd"), ("r", "cn")], 1.0);
        e.family("x_duration_seconds", Kind::Histogram, "Time.");
        e.histogram("x_duration_seconds", &[(0.5, 1), (1.0, 2)], 1.25, 3);
        e.finish()
    }

    #[test]
    fn text_format() {
        assert_eq!(
            sample_text(Format::Text),
            "# HELP x_scans_total Scans \"done\".\\nMore\n\
             # TYPE x_scans_total counter\n\
             x_scans_total 3\n\
             # HELP x_up Up.\n\
             # TYPE x_up gauge\n\
             x_up{id=\"a\\\"b\\\\c\\nd\",r=\"cn\"} 1\n\
             # HELP x_duration_seconds Time.\n\
             # TYPE x_duration_seconds histogram\n\
             x_duration_seconds_bucket{le=\"0.5\"} 1\n\
             x_duration_seconds_bucket{le=\"1\"} 2\n\
             x_duration_seconds_bucket{le=\"+Inf\"} 3\n\
             x_duration_seconds_sum 1.25\n\
             x_duration_seconds_count 3\n"
        );
    }

    #[test]
    fn openmetrics_names_counters_without_total_and_ends_with_eof() {
        let text = sample_text(Format::OpenMetrics("1.0.0"));
        assert!(text.starts_with(
            "# HELP x_scans Scans \\\"done\\\".\\nMore\n# TYPE x_scans counter\nx_scans_total 3\n"
        ));
        assert!(
            text.ends_with("x_duration_seconds_count 3\n# EOF\n"),
            "{text}"
        );
    }

    #[test]
    fn values() {
        let text = |v: f64| {
            let mut s = String::new();
            write_value(&mut s, v);
            s
        };
        assert_eq!(text(0.0), "0");
        assert_eq!(text(-2.0), "-2");
        assert_eq!(text(1e-7), "0.0000001");
        assert_eq!(text(1_701_000_000.123), "1701000000.123");
        assert_eq!(text(f64::INFINITY), "+Inf");
        assert_eq!(text(f64::NAN), "NaN");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(f64::NEG_INFINITY), "-Inf");
        // Integers as `fmt` writes them, on both sides of every digit count.
        let mut n: i64 = 1;
        for _ in 0..15 {
            for v in [n - 1, n, n + 1, -n, 7 * n] {
                if (v as f64).abs() < 1e15 {
                    assert_eq!(text(v as f64), v.to_string());
                }
            }
            n *= 10;
        }
        assert_eq!(text(200.0 * 1_048_576.0), "209715200");
        assert_eq!(text(1e15), "1000000000000000");
    }

    #[test]
    fn negotiation() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            Format::negotiate(Some(prometheus)),
            Format::OpenMetrics("1.0.0")
        );
        assert_eq!(Format::negotiate(None), Format::Text);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Text);
        assert_eq!(
            Format::negotiate(Some(
                "text/plain;version=0.0.4;q=0.9,application/openmetrics-text"
            )),
            Format::OpenMetrics("1.0.0")
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0.2,text/plain")),
            Format::Text
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;version=0.0.1")),
            Format::OpenMetrics("0.0.1")
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;version=9.9.9")),
            Format::Text
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Text
        );
        assert_eq!(Format::negotiate(Some(";;,=,q=")), Format::Text);
    }
}
