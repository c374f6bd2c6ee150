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

/// How a `/metrics` body is sent: as written, or gzip-compressed when the
/// scraper's `Accept-Encoding` allows it (Prometheus asks for gzip on
/// every scrape; 10,000 edges are 8 MB of text and about 1 MB
/// compressed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// As written.
    Identity,
    /// `Content-Encoding: gzip`.
    Gzip,
}

impl Coding {
    /// Gzip when an `Accept-Encoding` header accepts it: `gzip` or
    /// `x-gzip` with a `q` above 0, or `*` above 0 without `gzip` itself
    /// refused; anything else (no header included) is identity, which
    /// every client takes.
    pub fn negotiate(accept_encoding: Option<&str>) -> Coding {
        let Some(header) = accept_encoding else {
            return Coding::Identity;
        };
        let (mut gzip, mut any) = (None, None);
        for item in header.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0_f32;
            for param in parts {
                if let Some((key, value)) = param.split_once('=')
                    && key.trim().eq_ignore_ascii_case("q")
                {
                    q = value.trim().parse().unwrap_or(0.0);
                }
            }
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
        match gzip.or(any) {
            Some(q) if q > 0.0 && q.is_finite() => Coding::Gzip,
            _ => Coding::Identity,
        }
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

/// Where a sample's label set (`{key="value",...`, without the `}`) lies
/// in the text of the [`Exposition`] that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelSet {
    start: usize,
    end: usize,
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
        self.sample_keeping(name, labels, value);
    }

    /// One sample of the current family, as [`sample`](Self::sample);
    /// returns where its label set lies in the text, for samples of later
    /// families with the same labels ([`sample_like`](Self::sample_like)).
    pub fn sample_keeping(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> LabelSet {
        self.out.push_str(name);
        let start = self.out.len();
        self.labels(labels);
        let set = LabelSet {
            start,
            end: self.out.len(),
        };
        self.close(!labels.is_empty(), value);
        set
    }

    /// One sample of the current family whose labels are those of an
    /// earlier sample of this exposition (`set`), then `extra`: the same
    /// text as [`sample`](Self::sample) with all of them, without escaping
    /// the earlier ones again.
    pub fn sample_like(&mut self, name: &str, set: LabelSet, extra: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        self.out.extend_from_within(set.start..set.end);
        let open = set.start < set.end;
        if open {
            for (key, value) in extra {
                self.label(',', key, value);
            }
        } else {
            self.labels(extra);
        }
        self.close(open || !extra.is_empty(), value);
    }

    /// `{key="value",...` (nothing for no labels), without the `}`.
    fn labels(&mut self, labels: &[(&str, &str)]) {
        for (i, (key, value)) in labels.iter().enumerate() {
            self.label(if i == 0 { '{' } else { ',' }, key, value);
        }
    }

    fn label(&mut self, before: char, key: &str, value: &str) {
        self.out.push(before);
        self.out.push_str(key);
        self.out.push_str("=\"");
        escape_label(&mut self.out, value);
        self.out.push('"');
    }

    /// The end of a sample: `}` if it has labels, its value and the line's
    /// end.
    fn close(&mut self, labelled: bool, value: f64) {
        self.out.push_str(if labelled { "} " } else { " " });
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
    // Most values are ids and regions, a few dozen bytes with nothing to
    // escape: a loop that looks at every byte without stopping early (so
    // the compiler does 32 at a time) costs a fraction of a search's setup.
    let plain = (value.bytes()).fold(true, |plain, b| plain & !matches!(b, b'\\' | b'"' | b'\n'));
    if plain {
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
    } else if value.abs() >= 1e15 {
        // As `fmt` writes them: integers with all their digits.
        let _ = write!(out, "{value}");
    } else if (value as i64) as f64 == value {
        // (`fract` is a call into libm on x86-64 without SSE 4.1.)
        out.push_str(itoa::Buffer::new().format(value as i64));
    } else {
        // Zmij and `fmt` both write the shortest digits that read back as
        // the same number, the nearest of them (zmij in a quarter of the
        // time); they differ in notation (zmij writes an exponent below
        // 1e-5, `fmt` never does), and in a tie between two nearest (zmij
        // takes the even one, `fmt` the one further from 0). In those
        // cases `fmt` writes it.
        let mut zmij = zmij::Buffer::new();
        let text = zmij.format_finite(value);
        match text.split_once('.') {
            Some((_, fraction)) if !text.contains('e') && !tie(value, fraction.len()) => {
                out.push_str(text);
            }
            _ => {
                let _ = write!(out, "{value}");
            }
        }
    }
}

/// Whether `value`, written with `digits` digits after the point, could
/// be a tie: the exact value of a binary fraction `m / 2^n` (`m` odd) has
/// exactly `n` digits after the point, the last one a 5, so it lies
/// halfway between two numbers of `digits` digits only when `n` is
/// `digits + 1`.
fn tie(value: f64, digits: usize) -> bool {
    let bits = value.to_bits();
    let (biased, fraction) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    // value = mantissa * 2^exponent
    let (mantissa, exponent) = match biased {
        0 => (fraction, -1074),
        _ => (fraction | 1 << 52, biased as i64 - 1075),
    };
    if mantissa == 0 {
        return false;
    }
    let exponent = exponent + i64::from(mantissa.trailing_zeros());
    exponent < 0 && exponent.unsigned_abs() == digits as u64 + 1
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
        assert_eq!(text(12.34 * 1_048_576.0), "12939427.84");
        assert_eq!(text(1.5e-9), "0.0000000015");
        assert_eq!(text(-0.00001), "-0.00001");
        assert_eq!(text(123_456_789_012_345.69), "123456789012345.69");
    }

    /// Every finite value as the rule before zmij wrote it: integers below
    /// 1e15 as integers, every other number as `fmt` writes it. Random bit
    /// patterns (every magnitude), and the values serve writes: lags of a
    /// few decimals in MB times 1048576, delays in ms over 1000.
    #[test]
    fn gzip_only_when_accepted() {
        let gzip = |header| Coding::negotiate(Some(header));
        assert_eq!(Coding::negotiate(None), Coding::Identity);
        assert_eq!(gzip("gzip"), Coding::Gzip);
        // Prometheus' own header.
        assert_eq!(gzip("gzip"), Coding::Gzip);
        assert_eq!(gzip("br, GZIP;q=0.5, identity"), Coding::Gzip);
        assert_eq!(gzip("x-gzip"), Coding::Gzip);
        assert_eq!(gzip("*"), Coding::Gzip);
        assert_eq!(gzip("gzip;q=0"), Coding::Identity);
        assert_eq!(gzip("gzip; q=0.000"), Coding::Identity);
        assert_eq!(gzip("*;q=1, gzip;q=0"), Coding::Identity);
        assert_eq!(gzip("*;q=0"), Coding::Identity);
        assert_eq!(gzip("identity"), Coding::Identity);
        assert_eq!(gzip("deflate, br"), Coding::Identity);
        assert_eq!(gzip("gzip;q=nonsense"), Coding::Identity);
        assert_eq!(gzip(""), Coding::Identity);
    }

    #[test]
    fn values_as_fmt_writes_them() {
        let fmt = |v: f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                (v as i64).to_string()
            } else {
                format!("{v}")
            }
        };
        let check = |v: f64| {
            let mut s = String::new();
            write_value(&mut s, v);
            assert_eq!(s, fmt(v), "{:?} ({:#x})", v, v.to_bits());
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300_000 {
            let v = f64::from_bits(next());
            if v.is_finite() {
                check(v);
            }
            // Numbers near 1 to 1e9, of 1 to 17 digits.
            let digits = next() % 17 + 1;
            let scale = 10f64.powi((next() % 12) as i32 - 3);
            check((next() % 10u64.pow(digits as u32)) as f64 / 10f64.powi(digits as i32) * scale);
        }
        // Ties: odd numerators over powers of 2, 15 to 17 digits.
        for _ in 0..100_000 {
            let n = next() % 12 + 1;
            let m = (next() >> 8) | 1;
            check(m as f64 / (1u64 << n) as f64);
            check(-(((m >> (next() % 20)) | 1) as f64) / (1u64 << n) as f64);
        }
        assert_eq!(
            {
                let mut s = String::new();
                // 233115890514796.125, halfway between .12 and .13
                write_value(&mut s, f64::from_bits(0x42ea_8090_bb0f_6d84));
                s
            },
            "233115890514796.13"
        );
        for n in 0..200_000u32 {
            check(f64::from(n) / 100.0 * 1_048_576.0);
            check(f64::from(n) / 1000.0);
            check(-f64::from(n) / 7.0);
        }
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
