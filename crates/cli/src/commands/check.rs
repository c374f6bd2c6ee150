//! `rds-dr check INPUTS|TARGETS [--format text|json] [--fail-on ...]`.

use rds_dr_topology::{Finding, Report, Severity, Summary, Topology};
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
        CheckFormat::Json => json_document(topology)?,
        CheckFormat::Text => text_report(&topology.report()),
    };
    crate::output::stdout(&text)?;
    let outcome = outcome(topology.findings(), args.fail_on);
    gathered.end();
    Ok(outcome)
}

/// `check --format json`, as printed (with the final newline); `serve`'s
/// `/api/v1/findings` sends the same bytes.
pub fn json_document(topology: &Topology) -> Result<String, CliError> {
    // `Report`'s JSON, without copying every finding first.
    #[derive(Serialize)]
    struct ReportRef<'a> {
        summary: Summary,
        findings: &'a [Finding],
    }
    let report = ReportRef {
        summary: topology.summary(),
        findings: topology.findings(),
    };
    let mut text = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Other(format!("cannot encode the report: {e}")))?;
    text.push('\n');
    Ok(text)
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
