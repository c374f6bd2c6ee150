//! `rds-dr diff OLD NEW [--format text|json]`: what changed between two
//! snapshots. Exit 0 when they are the same, 1 when they differ, 2 on error.

use rds_dr_topology::diff;

use crate::Outcome;
use crate::cli::{DiffArgs, DiffFormat, GlobalArgs, SourceArgs};
use crate::error::CliError;

/// Merges OLD and NEW (each as `check` reads its inputs), prints what
/// changed, and exits 1 when anything did.
pub fn run(args: &DiffArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let side = |input: &crate::inputs::InputSpec| SourceArgs {
        inputs: vec![input.clone()],
        thresholds: args.thresholds,
        ..SourceArgs::default()
    };
    // Both sides at once: one side's merge overlaps the other's reading.
    let (old, new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| crate::gather::gather(&side(&args.old), global));
        let new = crate::gather::gather(&side(&args.new), global);
        let old = old
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (old, new)
    });
    let (old, new) = (old?, new?);
    let changes = diff::diff(&old.topology, &new.topology);
    let text = match args.format {
        DiffFormat::Text => changes.to_string(),
        DiffFormat::Json => {
            let mut text = serde_json::to_string_pretty(&changes)
                .map_err(|e| CliError::Other(format!("cannot encode the diff: {e}")))?;
            text.push('\n');
            text
        }
    };
    crate::output::stdout(&text)?;
    let outcome = if changes.is_empty() {
        Outcome::Success
    } else {
        Outcome::Findings
    };
    old.end();
    new.end();
    Ok(outcome)
}
