//! `rds-dr fake-server`: the fake RDS + IAM endpoint on loopback, until Ctrl-C.

use std::time::Duration;

use rds_dr_fake::{Credentials, FakeCloud, Fault};
use rds_dr_model::synth::{FleetSpec, generate};

use crate::Outcome;
use crate::cli::{FakeServerArgs, GlobalArgs};
use crate::error::CliError;

/// Starts the fake, prints `listening on http://127.0.0.1:PORT` first on
/// stdout (flushed), and serves until Ctrl-C.
pub fn run(args: &FakeServerArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let mut builder = FakeCloud::builder()
        .listen(args.listen)
        .latency(Duration::from_millis(args.latency_ms))
        .fault_rate(args.fault_rate)
        .seed(args.seed);
    if let Some(kinds) = &args.faults {
        let faults =
            Fault::parse_list(kinds).map_err(|e| CliError::Usage(format!("--faults: {e}")))?;
        builder = builder.faults(&faults);
    }
    if let Some(dir) = &args.fleet {
        builder = builder.fleet_dir(dir);
    }
    let mut served = None;
    if let Some(primaries) = args.synthetic {
        let fleet = generate(
            &FleetSpec::new()
                .seed(args.seed)
                .primaries(primaries as usize),
        );
        served = Some(fleet.captures.len());
        builder = builder.captures(fleet.captures);
    }
    if let (Some(ak), Some(sk)) = (&args.ak, &args.sk) {
        let mut credentials = Credentials::new(ak.as_str(), sk.as_str());
        if let Some(token) = &args.security_token {
            credentials = credentials.with_security_token(token.as_str());
        }
        builder = builder.credentials(credentials);
    }

    let runtime = crate::runtime::build()?;
    runtime.block_on(async move {
        let fake = builder
            .start()
            .await
            .map_err(|e| CliError::Other(format!("fake server: {e}")))?;
        crate::output::stdout(&format!("{}\n", fake.listening_line()))?;
        if !global.quiet {
            let projects = fake.project_ids().len();
            let signed = if args.ak.is_some() {
                "signature checking on"
            } else {
                "no signature checking"
            };
            let synthetic = served
                .map(|n| format!(" (synthetic, {n} captures)"))
                .unwrap_or_default();
            eprintln!("serving {projects} projects{synthetic}, {signed}; Ctrl-C stops");
        }
        fake.run_until_ctrl_c()
            .await
            .map_err(|e| CliError::Other(format!("fake server: {e}")))?;
        Ok(Outcome::Success)
    })
}
