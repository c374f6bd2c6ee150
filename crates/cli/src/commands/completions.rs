//! `rds-dr completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use crate::Outcome;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::CliError;

/// Prints the completion script for `args.shell`.
pub fn run(args: &CompletionsArgs) -> Result<Outcome, CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rds-dr", &mut script);
    crate::output::stdout(&String::from_utf8_lossy(&script))?;
    Ok(Outcome::Success)
}
