//! `rds-dr impact INPUTS|TARGETS --fail-region R... [--format text|json]`.

use rds_dr_topology::Impact;

use crate::Outcome;
use crate::cli::{GlobalArgs, ImpactArgs, ImpactFormat};
use crate::error::CliError;

/// Prints what losing the given regions at once does.
pub fn run(args: &ImpactArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let gathered = crate::gather::gather(&args.source, global)?;
    let impact = gathered.topology.impact(&args.fail_regions);
    let text = match args.format {
        ImpactFormat::Text => impact.to_string(),
        ImpactFormat::Json => json_document(&impact)?,
    };
    crate::output::stdout_line(&text)?;
    if !global.quiet {
        for region in impact.regions.iter().filter(|r| r.instances == 0) {
            eprintln!(
                "warning: no instance of the input is in region {}: is the name right?",
                region.region
            );
        }
    }
    Ok(gathered.finish(global))
}

/// `impact --format json`, as printed (with the final newline); `serve`'s
/// `/api/v1/impact` sends the same bytes.
pub fn json_document(impact: &Impact) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(impact)
        .map_err(|e| CliError::Other(format!("cannot encode the impact: {e}")))?;
    text.push('\n');
    Ok(text)
}
