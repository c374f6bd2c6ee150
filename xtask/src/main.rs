//! `cargo xtask TASK`: see the library documentation.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use xtask::codegen::{self, Outcome};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen [--check]   generate crates/model/src/generated.rs from docs/openapi.json;
                      with --check, only fail (exit 1) if the committed file is stale";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen_task(false),
        ["codegen", "--check"] => codegen_task(true),
        ["help" | "-h" | "--help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn codegen_task(check: bool) -> ExitCode {
    match codegen::run(&codegen::project_root(), check) {
        Ok(Outcome::UpToDate) => {
            println!("{} is up to date", codegen::OUTPUT_PATH);
            ExitCode::SUCCESS
        }
        Ok(Outcome::Updated) => {
            println!(
                "updated {} from {}",
                codegen::OUTPUT_PATH,
                codegen::SPEC_PATH
            );
            ExitCode::SUCCESS
        }
        Ok(Outcome::Stale { first_difference }) => {
            eprintln!("{}", codegen::stale_message(&first_difference));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
