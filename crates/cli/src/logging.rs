//! Diagnostics on stderr with tracing-subscriber.
//!
//! `-q` shows errors only; `-v` info, `-vv` debug, `-vvv` trace for rds-dr's
//! own crates (one step quieter for the libraries below them). Without `-v`
//! or `-q`, `RUST_LOG` decides when set; otherwise warnings and errors show.

use tracing_subscriber::EnvFilter;

use crate::cli::GlobalArgs;

/// The filter directives for the given options and `RUST_LOG` value.
pub fn directives(global: &GlobalArgs, rust_log: Option<&str>) -> String {
    if global.quiet {
        return "error".to_owned();
    }
    match global.verbose {
        0 => match rust_log {
            Some(value) if !value.trim().is_empty() => value.to_owned(),
            _ => "warn".to_owned(),
        },
        1 => "warn,rds_dr=info".to_owned(),
        2 => "info,rds_dr=debug".to_owned(),
        _ => "debug,rds_dr=trace".to_owned(),
    }
}

/// Installs the stderr subscriber. Call once, first thing.
pub fn init(global: &GlobalArgs) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let wanted = directives(global, rust_log.as_deref());
    let filter = EnvFilter::try_new(&wanted).unwrap_or_else(|e| {
        eprintln!("warning: ignoring RUST_LOG `{wanted}`: {e}");
        EnvFilter::new("warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(global.verbose >= 2)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["rds-dr"];
        argv.extend_from_slice(args);
        argv.push("demo");
        Cli::try_parse_from(argv).expect("parses").global
    }

    #[test]
    fn verbosity_wins_over_rust_log() {
        assert_eq!(directives(&global(&[]), None), "warn");
        assert_eq!(directives(&global(&[]), Some("trace")), "trace");
        assert_eq!(
            directives(&global(&["-v"]), Some("trace")),
            "warn,rds_dr=info"
        );
        assert_eq!(directives(&global(&["-vvv"]), None), "debug,rds_dr=trace");
        assert_eq!(directives(&global(&["-q"]), Some("trace")), "error");
    }
}
