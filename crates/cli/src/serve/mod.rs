//! `rds-dr serve`: the fleet watched continuously, as Prometheus metrics and
//! JSON documents over HTTP.
//!
//! One task scans ([`watch::watch`]): at start, then every `--interval`
//! (each wait up to 10% shorter, at random, so that many servers do not
//! call the service in step); a scan starts only when the one before has
//! been published, so scans never overlap. Each scan's answers go into the
//! [`ledger::Ledger`] (the last good answer of every target and operation),
//! which is merged into a new topology off the async threads; the result is
//! published by swapping one `Arc` ([`state::Shared`]), so a request never
//! waits on a scan and never sees half of one. The HTTP side ([`http`])
//! reads whatever is published.

mod events;
mod exposition;
mod http;
mod ledger;
mod metrics;
mod state;
mod watch;
mod web_config;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rds_dr_model::Target;
use rds_dr_topology::Thresholds;
use tokio::net::TcpListener;

use crate::error::CliError;
use crate::live::Live;
use state::Shared;

pub use events::Events;
pub use web_config::WebConfig;

/// How serve runs.
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Time between two scans' starts (before jitter).
    pub interval: Duration,
    /// TLS and basic auth.
    pub web: Option<WebConfig>,
    /// Where `--events` go.
    pub events: Option<Events>,
    /// Whether each scan calls ListDrInfos too (not under `--no-health`).
    pub health: bool,
    /// When an edge counts as lagging (`--max-lag-mb`, `--max-delay-ms`).
    pub thresholds: Thresholds,
}

/// Refuses a listen address other than loopback unless TLS or basic auth
/// protects it, or `insecure` (`--insecure-listen`) says to go ahead.
pub fn check_listen(
    listen: SocketAddr,
    web: Option<&WebConfig>,
    insecure: bool,
) -> Result<(), CliError> {
    if listen.ip().is_loopback() || insecure || web.is_some_and(WebConfig::is_protected) {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "--listen {listen} is not a loopback address: anyone who reaches it could read the whole \
         DR topology. Give --web-config FILE with TLS (tls_server_config) or basic auth \
         (basic_auth_users), or --insecure-listen to serve it unprotected anyway"
    )))
}

/// Listens, prints `listening on http://HOST:PORT` (flushed) as the first
/// line on stdout, scans `targets` every interval and serves the results
/// until SIGTERM or SIGINT; then finishes the responses in flight and
/// returns.
pub async fn run(live: Live, targets: Vec<Target>, settings: Settings) -> Result<(), CliError> {
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| CliError::Other(format!("cannot listen on {}: {e}", settings.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(format!("cannot listen on {}: {e}", settings.listen)))?;
    let (tls, users) = match settings.web {
        Some(web) => (web.tls, web.users),
        None => (None, Arc::new(web_config::Users::none())),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    crate::output::stdout(&format!("listening on {scheme}://{addr}\n"))?;
    tracing::info!(%addr, tls = tls.is_some(), basic_auth = !users.is_empty(),
        targets = targets.len(), interval_ms = settings.interval.as_millis() as u64, "serving");

    let shared = Arc::new(Shared::default());
    let (stop_scans, stopped) = tokio::sync::watch::channel(false);
    let scans = tokio::spawn(watch::watch(
        Arc::new(live),
        targets,
        shared.clone(),
        watch::Watch {
            interval: settings.interval,
            events: settings.events,
            health: settings.health,
            thresholds: settings.thresholds,
        },
        stopped,
    ));
    http::serve(
        listener,
        tls,
        http::router(shared, users, settings.interval),
        stop_signal(),
    )
    .await;
    tracing::info!("stopping");
    let _ = stop_scans.send(true);
    let _ = scans.await;
    Ok(())
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
async fn stop_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_refusals() {
        let any: SocketAddr = "0.0.0.0:9871".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:9871".parse().unwrap();
        let v6: SocketAddr = "[::1]:9871".parse().unwrap();
        assert!(check_listen(local, None, false).is_ok());
        assert!(check_listen(v6, None, false).is_ok());
        let err = check_listen(any, None, false).expect_err("refused");
        assert!(err.to_string().contains("--insecure-listen"), "{err}");
        assert!(check_listen(any, None, true).is_ok());
        let open = WebConfig::parse("", ".".as_ref()).unwrap();
        assert!(check_listen(any, Some(&open), false).is_err());
        let hash = bcrypt::hash("pw", 4).unwrap();
        let auth =
            WebConfig::parse(&format!("basic_auth_users: {{u: '{hash}'}}"), ".".as_ref()).unwrap();
        assert!(check_listen(any, Some(&auth), false).is_ok());
    }
}
