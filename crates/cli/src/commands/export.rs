//! `rds-dr export INPUTS|TARGETS --format ... [-o FILE]`.

use rds_dr_topology::export::{self, Format};

use crate::Outcome;
use crate::cli::{ExportArgs, ExportFormat, GlobalArgs};
use crate::error::CliError;

/// Writes the export to stdout or `-o FILE`.
pub fn run(args: &ExportArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let gathered = crate::gather::gather(&args.source, global)?;
    let text = export::export(&gathered.topology.view(), format(args.format));
    match &args.output {
        Some(path) => crate::output::write_file(path, text.as_bytes())?,
        None => crate::output::stdout_line(&text)?,
    }
    Ok(gathered.finish(global))
}

/// The topology crate's format for the command-line name.
pub fn format(format: ExportFormat) -> Format {
    match format {
        ExportFormat::Dot => Format::Dot,
        ExportFormat::Mermaid => Format::Mermaid,
        ExportFormat::GraphMl => Format::GraphMl,
        ExportFormat::NodeLink => Format::NodeLink,
        ExportFormat::Cytoscape => Format::Cytoscape,
        ExportFormat::Svg => Format::Svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_agree_with_the_topology_crate() {
        for value in ExportFormat::value_variants() {
            assert_eq!(format(*value).as_str(), value.name());
            let parsed: Format = value
                .name()
                .parse()
                .expect("the topology crate knows the name");
            assert_eq!(parsed, format(*value));
        }
    }
}
