//! `rds-dr check INPUTS|TARGETS [--format text|json] [--fail-on ...]`.

use rds_dr_topology::{Finding, Report, Severity, Summary};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{CheckArgs, CheckFormat, FailOn, GlobalArgs};
use crate::error::CliError;

/// Merges, prints the findings, and exits 1 when one is at or above
/// `--fail-on`.
pub fn run(args: &CheckArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let gathered = crate::gather::gather(&args.source, global)?;
    let topology = &gathered.topology;
    let text = match args.format {
        CheckFormat::Json => {
            let mut text = report_json(topology.summary(), topology.findings(), PARALLEL_FINDINGS)
                .map_err(|e| CliError::Other(format!("cannot encode the report: {e}")))?;
            text.push('\n');
            text
        }
        CheckFormat::Text => text_report(&topology.report()),
    };
    crate::output::stdout(&text)?;
    let outcome = outcome(topology.findings(), args.fail_on);
    gathered.end();
    Ok(outcome)
}

/// From this many findings on, `report_json` encodes them on two threads.
const PARALLEL_FINDINGS: usize = 1000;

/// `Report`'s JSON, as `serde_json::to_string_pretty` writes it, without
/// copying every finding first; with `parallel` findings or more, each half
/// of them is encoded on its own thread (a large fleet's report is
/// megabytes), already indented for its place.
fn report_json(
    summary: Summary,
    findings: &[Finding],
    parallel: usize,
) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct ReportRef<'a> {
        summary: Summary,
        findings: &'a [Finding],
    }
    if findings.len() < parallel.max(2) {
        return serde_json::to_string_pretty(&ReportRef { summary, findings });
    }
    // The findings are items of an array two levels down.
    let encode = |part: &[Finding]| -> Result<Vec<u8>, serde_json::Error> {
        let mut out = Vec::new();
        for (k, finding) in part.iter().enumerate() {
            out.extend_from_slice(if k == 0 { b"    " } else { b",\n    " });
            finding.serialize(&mut serde_json::Serializer::with_formatter(
                &mut out,
                Pretty::at_depth(2),
            ))?;
        }
        Ok(out)
    };
    let (first, second) = findings.split_at(findings.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| encode(first));
        let second = encode(second);
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let (first, second) = (first?, second?);
    let mut out = Vec::with_capacity(first.len() + second.len() + 512);
    out.extend_from_slice(b"{\n  \"summary\": ");
    summary.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out,
        Pretty::at_depth(1),
    ))?;
    out.extend_from_slice(b",\n  \"findings\": [\n");
    out.extend_from_slice(&first);
    out.extend_from_slice(b",\n");
    out.extend_from_slice(&second);
    out.extend_from_slice(b"\n  ]\n}");
    // serde_json writes UTF-8, and so does every piece above.
    Ok(String::from_utf8(out).expect("JSON is UTF-8"))
}

/// serde_json's pretty layout (two spaces a level), starting `depth` levels
/// down, so that a value can be encoded on its own for its place in a
/// larger document.
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn at_depth(depth: usize) -> Self {
        Pretty {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        for _ in 0..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            self.indent(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(out)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
    ) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Exit 1 when a finding is at or above the threshold.
pub fn outcome(findings: &[Finding], fail_on: FailOn) -> Outcome {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return Outcome::Success,
    };
    if findings.iter().any(|f| f.severity <= threshold) {
        Outcome::Findings
    } else {
        Outcome::Success
    }
}

/// The report for people: one block per finding (severity, code, message,
/// instances), then the counts.
pub fn text_report(report: &Report) -> String {
    let mut out = String::new();
    let width = report
        .findings
        .iter()
        .map(|f| f.code.as_str().len())
        .max()
        .unwrap_or(0);
    for finding in &report.findings {
        out.push_str(&format!(
            "{:<7}  {:<width$}  {}\n",
            finding.severity.as_str(),
            finding.code.as_str(),
            finding.message
        ));
        if !finding.instances.is_empty() {
            out.push_str(&format!(
                "{:<7}  {:<width$}  instances: {}\n",
                "",
                "",
                finding.instances.join(", ")
            ));
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// `5 sources, 25 instances, 15 edges (13 confirmed): 2 errors, 3 warnings, 1 info`.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let counts = if report.findings.is_empty() {
        "no findings".to_owned()
    } else {
        format!(
            "{}, {}, {}",
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            plural(s.infos, "info", "infos")
        )
    };
    format!(
        "{}, {}, {} ({} confirmed): {counts}",
        plural(s.sources, "source", "sources"),
        plural(s.instances, "instance", "instances"),
        plural(s.edges, "edge", "edges"),
        s.confirmed_edges
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rds_dr_topology::Topology;

    fn failed_report() -> Report {
        Topology::builder()
            .failed_target(
                "cn-north-4/0483b6b16e954cb88930a360d2c4e663"
                    .parse()
                    .unwrap(),
                "HTTP 503",
            )
            .build()
            .report()
    }

    #[test]
    fn report_json_on_two_threads_is_the_plain_encoding() {
        use rds_dr_model::synth::{FleetSpec, generate};
        let fleet = generate(&FleetSpec::new().seed(5).primaries(200).every_defect(3));
        let mut builder = Topology::builder();
        for capture in &fleet.captures {
            builder.capture(capture);
        }
        let topology = builder.build();
        let findings = topology.findings();
        assert!(findings.len() > 20, "{} findings", findings.len());
        let plain = report_json(topology.summary(), findings, usize::MAX).expect("encodes");
        assert_eq!(
            plain,
            serde_json::to_string_pretty(&topology.report()).expect("encodes")
        );
        // Split anywhere (2 to all findings), it is the same text.
        for parallel in [2, 3, findings.len() / 2, findings.len()] {
            let split = report_json(topology.summary(), findings, parallel).expect("encodes");
            assert_eq!(split, plain, "from {parallel} findings on");
        }
        // No findings, or one: encoded plainly.
        let clean = Topology::builder().build();
        assert_eq!(
            report_json(clean.summary(), clean.findings(), 0).expect("encodes"),
            serde_json::to_string_pretty(&clean.report()).expect("encodes")
        );
    }

    #[test]
    fn fail_on_thresholds() {
        let report = failed_report();
        assert_eq!(outcome(&report.findings, FailOn::Error), Outcome::Findings);
        assert_eq!(outcome(&report.findings, FailOn::Info), Outcome::Findings);
        assert_eq!(outcome(&report.findings, FailOn::Never), Outcome::Success);
        let clean = Topology::builder().build().report();
        assert_eq!(outcome(&clean.findings, FailOn::Info), Outcome::Success);
    }

    #[test]
    fn text_report_lists_findings_and_counts() {
        let text = text_report(&failed_report());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("error    query-failed  "), "{text}");
        assert_eq!(
            lines.last().copied(),
            Some("0 sources, 0 instances, 0 edges (0 confirmed): 1 error, 0 warnings, 0 infos")
        );
        let clean = text_report(&Topology::builder().build().report());
        assert!(clean.ends_with("no findings\n"), "{clean}");
    }
}
