//! `rds-dr`: Huawei Cloud RDS disaster-recovery topology from the command line.
//!
//! Every subcommand of the contract lives in [`commands`]; [`cli`] is the
//! clap definition, [`inputs`] reads capture files, [`live`] queries the
//! service. Exit status: 0 success, 1 findings at or above `--fail-on` (or a
//! target that could not be fetched), 2 usage, input, credential or API error.

mod alloc;
mod cli;
mod commands;
mod error;
mod gather;
mod inputs;
mod live;
mod logging;
mod output;
mod progress;
mod runtime;
mod serve;
mod targets;
mod time;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::CliError;

#[global_allocator]
static ALLOC: alloc::HugeAlloc = alloc::HugeAlloc;

/// How a command that ran to completion ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above `--fail-on`.
    Success,
    /// Findings at or above `--fail-on`, or a target that could not be fetched.
    Findings,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
        }
    }
}

fn main() -> ExitCode {
    alloc::tune();
    let cli = Cli::parse();
    logging::init(&cli.global);
    match run(cli) {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome, CliError> {
    let global = cli.global;
    match cli.command {
        Command::Completions(args) => commands::completions::run(&args),
        Command::FakeServer(args) => commands::fake_server::run(&args, &global),
        Command::Fetch(args) => commands::fetch::run(&args, &global),
        Command::Relations(args) => commands::relations::run(&args, &global),
        Command::Check(args) => commands::check::run(&args, &global),
        Command::Topology(args) => commands::topology::run(&args, &global),
        Command::Export(args) => commands::export::run(&args, &global),
        Command::Impact(args) => commands::impact::run(&args, &global),
        Command::Serve(args) => commands::serve::run(&args, &global),
        Command::Demo => commands::demo::run(&global),
    }
}
