//! `rds-dr serve`: the fleet watched continuously, as Prometheus metrics and
//! JSON documents over HTTP.
//!
//! One task scans ([`watch`]): at start, then every `--interval` (each wait
//! up to 10% shorter, at random, so that many servers do not call the
//! service in step); a scan starts only when the one before has been
//! published, so scans never overlap. Each scan's answers go into the
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
mod web_config;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rds_dr_api::retry::{RandomSource, StdRandom};
use rds_dr_model::Target;
use rds_dr_topology::Thresholds;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::CliError;
use crate::live::{Live, is_fatal};
use ledger::{Ledger, Operation};
use state::{ScanStats, Shared, Snapshot};

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
    let (stop_scans, stopped) = watch::channel(false);
    let scans = tokio::spawn(watch(
        Arc::new(live),
        targets,
        shared.clone(),
        (
            settings.interval,
            settings.events,
            settings.health,
            settings.thresholds,
        ),
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

/// The wait before the next scan: `interval` less up to 10%, at random.
fn jittered(interval: Duration, random: &impl RandomSource) -> Duration {
    let share = (random.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    interval.mul_f64(1.0 - 0.1 * share)
}

/// The scan loop: scans, merges off the async threads, publishes, writes
/// the events, waits; until `stop` turns true (a scan in progress is
/// dropped then; the events of published scans are already flushed).
async fn watch(
    live: Arc<Live>,
    targets: Vec<Target>,
    shared: Arc<Shared>,
    (interval, mut events, health, thresholds): (Duration, Option<Events>, bool, Thresholds),
    mut stop: watch::Receiver<bool>,
) {
    let random = StdRandom::new();
    let operations: &[Operation] = if health {
        &[Operation::ListDrRelations, Operation::ListDrInfos]
    } else {
        &[Operation::ListDrRelations]
    };
    let ledger = Arc::new(Mutex::new(
        Ledger::new(&targets, operations).with_thresholds(thresholds),
    ));
    let mut stats = ScanStats::default();
    loop {
        let started = Instant::now();
        let report = tokio::select! {
            (report, _) = live.scan(targets.clone(), false) => report,
            _ = stop.changed() => return,
        };
        for failure in &report.failures {
            if is_fatal(&failure.error) {
                tracing::error!(target = %failure.target, operation = %failure.operation,
                    error = %failure.error,
                    "the service refused who we are: check the credentials and the endpoint");
            } else {
                tracing::debug!(target = %failure.target, operation = %failure.operation,
                    error = %failure.error, "target failed");
            }
        }
        let fetched = started.elapsed();
        let (ok, failed) = (report.captures.len(), report.failures.len());
        let infos = report.infos.len();
        let now = SystemTime::now();
        let ledger = ledger.clone();
        let merged = tokio::task::spawn_blocking(move || {
            // A panic while merging leaves the ledger as it was before it.
            let mut ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
            let recording = Instant::now();
            let transitions = ledger.record(report, now);
            let record_time = recording.elapsed();
            tracing::debug!(
                infos_kept = ledger.infos().len(),
                "ListDrInfos answers merged onto the edges"
            );
            let merging = Instant::now();
            let topology = ledger.merge();
            let merge_time = merging.elapsed();
            (
                (transitions, ledger.retire()),
                topology,
                ledger.statuses(),
                (record_time, merge_time),
            )
        })
        .await;
        let ((transitions, retired), topology, statuses, (record_time, merge_time)) = match merged {
            Ok(merged) => merged,
            Err(error) => {
                tracing::error!(%error, "merging this scan failed; the last result stays");
                continue;
            }
        };
        for t in &transitions {
            if t.up {
                tracing::warn!(target = %t.target, operation = t.operation.label(), "target is back up");
            } else {
                tracing::warn!(target = %t.target, operation = t.operation.label(),
                    error = t.error.as_deref().unwrap_or(""), "target is down; its last answer stays (stale)");
            }
        }
        stats.observe(started.elapsed());
        let snapshot = {
            let stats = stats.clone();
            let previous = events.is_some().then(|| shared.current()).flatten();
            let formats = shared.scraped_formats();
            tokio::task::spawn_blocking(move || {
                let analysing = Instant::now();
                let snapshot = Snapshot::new(topology, statuses, stats, now);
                let analyse_time = analysing.elapsed();
                // `/metrics` in the formats scraped so far, encoded before
                // the scan is published: a scrape never pays the encoding,
                // so a scan does not slow it down.
                let encoding = Instant::now();
                for format in formats {
                    metrics::body(&snapshot, format);
                }
                let encode_time = encoding.elapsed();
                let changes =
                    previous.map(|p| rds_dr_topology::diff::diff(&p.topology, &snapshot.topology));
                let lines = events::lines(now, &transitions, changes.as_ref());
                (snapshot, lines, [analyse_time, encode_time])
            })
            .await
        };
        match snapshot {
            Ok((snapshot, lines, [analyse_time, encode_time])) => {
                if let Some(events) = &mut events {
                    events.write(&lines);
                }
                tracing::info!(
                    scan = stats.count,
                    ok,
                    infos,
                    failed,
                    instances = snapshot.topology.node_count(),
                    edges = snapshot.topology.edge_count(),
                    findings = snapshot.topology.findings().len(),
                    fetch_ms = fetched.as_millis() as u64,
                    record_ms = record_time.as_millis() as u64,
                    merge_ms = merge_time.as_millis() as u64,
                    analyse_ms = analyse_time.as_millis() as u64,
                    encode_ms = encode_time.as_millis() as u64,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "scan published"
                );
                shared.publish(snapshot);
                // The scan before is freed now (unless a response still
                // reads it), with the answers this scan replaced: hand the
                // memory back, so that a long-running serve stays at the
                // size of one or two scans.
                let _ = tokio::task::spawn_blocking(move || {
                    drop(retired);
                    crate::alloc::release_free_memory();
                })
                .await;
            }
            Err(error) => {
                tracing::error!(%error, "analysing this scan failed; the last result stays")
            }
        }
        let wait = jittered(interval, &random).saturating_sub(started.elapsed());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_at_most_ten_percent_shorter() {
        let random = StdRandom::seeded(1);
        let interval = Duration::from_secs(60);
        let waits: Vec<Duration> = (0..1000).map(|_| jittered(interval, &random)).collect();
        assert!(
            waits
                .iter()
                .all(|w| *w <= interval && *w >= interval.mul_f64(0.9))
        );
        let min = waits.iter().min().unwrap();
        let max = waits.iter().max().unwrap();
        assert!(*max - *min > Duration::from_secs(5), "{min:?}..{max:?}");
    }

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
