//! `rds-dr serve TARGETS [--listen ADDR] [--interval 60s] [--events FILE|-] [--web-config FILE]`.

use crate::Outcome;
use crate::cli::{GlobalArgs, ServeArgs};
use crate::error::CliError;
use crate::live::Live;
use crate::serve::{Events, Settings, WebConfig};

/// Checks the options (web config, listen address, credentials, targets),
/// then serves until SIGTERM or SIGINT, and exits 0.
pub fn run(args: &ServeArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    if args.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to watch: give targets (--target REGION/PROJECT_ID, --targets-file FILE, \
             --region REGION)"
                .into(),
        ));
    }
    let web = args
        .web_config
        .as_deref()
        .map(WebConfig::load)
        .transpose()
        .map_err(|e| CliError::Usage(format!("--web-config {e}")))?;
    crate::serve::check_listen(args.listen, web.as_ref(), args.insecure_listen)?;
    // A progress bar every scan would only scroll the logs.
    let mut global = global.clone();
    global.no_progress = true;
    let live = Live::new(&global)?;
    let events = args.events.as_deref().map(Events::open).transpose()?;
    let settings = Settings {
        listen: args.listen,
        interval: args.interval,
        web,
        events,
        health: !global.no_health,
        thresholds: args.thresholds.thresholds(),
    };
    // Before the runtime's threads start: see alloc::one_heap.
    crate::alloc::one_heap();
    crate::runtime::build()?.block_on(async move {
        live.check_credentials().await?;
        let mut targets = live.targets(&args.targets).await?;
        targets.sort();
        targets.dedup();
        crate::serve::run(live, targets, settings).await
    })?;
    Ok(Outcome::Success)
}
