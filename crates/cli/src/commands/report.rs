//! `rds-dr report INPUTS|TARGETS -o FILE.html`: the dashboard page as one
//! self-contained file, with the time it was generated and its sources.
//! Exit 0 when written (a target that could not be fetched shows on the
//! page as a `query-failed` finding), 2 on error.

use std::time::SystemTime;

use crate::Outcome;
use crate::cli::{GlobalArgs, ReportArgs, SourceArgs};
use crate::error::CliError;
use crate::page::{self, PageInput};

/// Merges the inputs and targets, renders the page, and writes it
/// atomically (a temporary file renamed into place).
pub fn run(args: &ReportArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let gathered = crate::gather::gather(&args.source, global)?;
    let input = PageInput::new(&gathered.topology, crate::time::rfc3339(SystemTime::now()))
        .sources(source_lines(&args.source));
    let page = page::render(&input)
        .map_err(|e| CliError::Other(format!("cannot render the page: {e}")))?;
    crate::output::write_file(&args.output, page.html.as_bytes())?;
    if gathered.failed_targets > 0 && !global.quiet {
        eprintln!(
            "warning: {} target(s) could not be fetched: the page shows a partial topology",
            gathered.failed_targets
        );
    }
    gathered.end();
    Ok(Outcome::Success)
}

/// One line per input and per kind of target, as given.
fn source_lines(source: &SourceArgs) -> Vec<String> {
    let mut lines: Vec<String> = source
        .all_inputs()
        .iter()
        .map(|input| format!("input {input}"))
        .collect();
    let targets = &source.targets;
    lines.extend(targets.targets.iter().map(|t| format!("target {t}")));
    lines.extend(
        targets
            .targets_files
            .iter()
            .map(|f| format!("targets file {}", f.display())),
    );
    lines.extend(targets.regions.iter().map(|r| format!("region {r}")));
    lines
}
