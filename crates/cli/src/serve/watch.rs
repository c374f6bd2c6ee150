//! The scan loop ([`watch`]): at start, then every `--interval` (each wait
//! up to 10% shorter, at random, so that many servers do not call the
//! service in step), one scan after another, never two at once. A scan is
//! a list of steps: fetch every target, record the answers in the ledger and
//! merge them into a topology, analyse it into a snapshot (with `/metrics`
//! in the formats scraped so far, and the events since the last one),
//! publish it, free what it replaced. Merging and analysing run on the
//! blocking threads, so requests are served meanwhile.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rds_dr_api::fleet::FleetReport;
use rds_dr_api::retry::{RandomSource, StdRandom};
use rds_dr_model::Target;
use rds_dr_topology::{Thresholds, Topology};
use tokio::sync::watch;

use super::events::{self, Events};
use super::ledger::{Ledger, Operation, Retired, TargetStatus, Transition};
use super::metrics;
use super::state::{ScanStats, Shared, Snapshot};
use crate::live::{Live, is_fatal};

/// What the scan loop is given.
pub struct Watch {
    /// Time between two scans' starts (before jitter).
    pub interval: Duration,
    /// Where `--events` go.
    pub events: Option<Events>,
    /// Whether each scan calls ListDrInfos too.
    pub health: bool,
    /// When an edge counts as lagging.
    pub thresholds: Thresholds,
}

/// Scans `targets` until `stop` turns true (a scan in progress is dropped
/// then; the events of published scans are already written).
pub async fn watch(
    live: Arc<Live>,
    targets: Vec<Target>,
    shared: Arc<Shared>,
    mut settings: Watch,
    mut stop: watch::Receiver<bool>,
) {
    let random = StdRandom::new();
    let operations: &[Operation] = if settings.health {
        &[Operation::ListDrRelations, Operation::ListDrInfos]
    } else {
        &[Operation::ListDrRelations]
    };
    let ledger = Arc::new(Mutex::new(
        Ledger::new(&targets, operations).with_thresholds(settings.thresholds),
    ));
    let mut stats = ScanStats::default();
    loop {
        let started = Instant::now();
        let report = tokio::select! {
            (report, _) = live.scan(targets.clone(), false) => report,
            _ = stop.changed() => return,
        };
        publish_scan(
            report,
            started,
            &ledger,
            &shared,
            &mut settings.events,
            &mut stats,
        )
        .await;
        let wait = jittered(settings.interval, &random).saturating_sub(started.elapsed());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One scan once its calls are done (`report`, started at `started`): the
/// answers merged, the snapshot analysed, the events written, the snapshot
/// published. A step that fails (panics) leaves the last published scan in
/// place.
async fn publish_scan(
    report: FleetReport,
    started: Instant,
    ledger: &Arc<Mutex<Ledger>>,
    shared: &Shared,
    events: &mut Option<Events>,
    stats: &mut ScanStats,
) {
    log_failures(&report);
    let mut phases = Phases::fetched(started.elapsed(), &report);
    let now = SystemTime::now();
    let merged = match merge(ledger, report, now, &mut phases).await {
        Ok(merged) => merged,
        Err(error) => {
            tracing::error!(%error, "merging this scan failed; the last result stays");
            return;
        }
    };
    log_transitions(&merged.transitions);
    stats.observe(started.elapsed());
    let previous = events.is_some().then(|| shared.current()).flatten();
    let formats = shared.scraped_formats();
    let context = (stats.clone(), now);
    let (snapshot, lines, retired) =
        match analyse(merged, context, previous, formats, &mut phases).await {
            Ok(analysed) => analysed,
            Err(error) => {
                tracing::error!(%error, "analysing this scan failed; the last result stays");
                return;
            }
        };
    if let Some(events) = events {
        events.write(&lines);
    }
    phases.log(&snapshot, stats.count, started.elapsed());
    publish(shared, snapshot, retired).await;
}

/// A scan's answers recorded and merged.
struct Merged {
    /// The (target, operation) pairs that went down or came back.
    transitions: Vec<Transition>,
    /// The answers this scan replaced, to free once it is published.
    retired: Retired,
    /// Every last good answer merged.
    topology: Topology,
    /// Every (target, operation).
    statuses: Vec<TargetStatus>,
}

/// Records `report` in the ledger and merges every last good answer, on
/// the blocking threads. A panic while merging leaves the ledger as it was
/// before it.
async fn merge(
    ledger: &Arc<Mutex<Ledger>>,
    report: FleetReport,
    now: SystemTime,
    phases: &mut Phases,
) -> Result<Merged, tokio::task::JoinError> {
    let ledger = ledger.clone();
    let (merged, record, merge) = tokio::task::spawn_blocking(move || {
        let mut ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
        let recording = Instant::now();
        let transitions = ledger.record(report, now);
        let record = recording.elapsed();
        tracing::debug!(
            infos_kept = ledger.infos().len(),
            "ListDrInfos answers merged onto the edges"
        );
        let merging = Instant::now();
        let topology = ledger.merge();
        let merge = merging.elapsed();
        let merged = Merged {
            transitions,
            retired: ledger.retire(),
            topology,
            statuses: ledger.statuses(),
        };
        (merged, record, merge)
    })
    .await?;
    phases.record = record;
    phases.merge = merge;
    Ok(merged)
}

/// Makes the snapshot of a merged scan (each region's failure), encodes
/// `/metrics` in `formats` (the ones scraped so far: a scrape then never
/// pays the encoding, so a scan does not slow it down), and writes the
/// event lines since `previous`; on the blocking threads. The snapshot
/// has `stats` (this scan counted) and was finished `now`.
async fn analyse(
    merged: Merged,
    (stats, now): (ScanStats, SystemTime),
    previous: Option<Arc<Snapshot>>,
    formats: Vec<super::exposition::Format>,
    phases: &mut Phases,
) -> Result<(Snapshot, String, Retired), tokio::task::JoinError> {
    let (analysed, analyse, encode) = tokio::task::spawn_blocking(move || {
        let Merged {
            transitions,
            retired,
            topology,
            statuses,
        } = merged;
        let analysing = Instant::now();
        let snapshot = Snapshot::new(topology, statuses, stats, now);
        let analyse = analysing.elapsed();
        let encoding = Instant::now();
        for format in formats {
            metrics::body(&snapshot, format);
        }
        let encode = encoding.elapsed();
        let changes =
            previous.map(|p| rds_dr_topology::diff::diff(&p.topology, &snapshot.topology));
        let lines = events::lines(now, &transitions, changes.as_ref());
        ((snapshot, lines, retired), analyse, encode)
    })
    .await?;
    phases.analyse = analyse;
    phases.encode = encode;
    Ok(analysed)
}

/// Publishes `snapshot`. The scan before is freed then (unless a response
/// still reads it), with the answers this scan replaced; the free memory
/// goes back to the OS, so that a long-running serve stays at the size of
/// one or two scans.
async fn publish(shared: &Shared, snapshot: Snapshot, retired: Retired) {
    shared.publish(snapshot);
    let _ = tokio::task::spawn_blocking(move || {
        drop(retired);
        crate::alloc::release_free_memory();
    })
    .await;
}

/// Each failed call: an error when the service refused who we are (every
/// target will fail alike), else a debug line.
fn log_failures(report: &FleetReport) {
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
}

/// Each (target, operation) that went down or came back.
fn log_transitions(transitions: &[Transition]) {
    for t in transitions {
        if t.up {
            tracing::warn!(target = %t.target, operation = t.operation.label(), "target is back up");
        } else {
            tracing::warn!(target = %t.target, operation = t.operation.label(),
                error = t.error.as_deref().unwrap_or(""), "target is down; its last answer stays (stale)");
        }
    }
}

/// Where one scan's time went, and what it fetched: its log line.
#[derive(Default)]
struct Phases {
    answers: usize,
    infos: usize,
    failed: usize,
    fetch: Duration,
    record: Duration,
    merge: Duration,
    analyse: Duration,
    encode: Duration,
}

impl Phases {
    fn fetched(fetch: Duration, report: &FleetReport) -> Phases {
        Phases {
            answers: report.captures.len(),
            infos: report.infos.len(),
            failed: report.failures.len(),
            fetch,
            ..Phases::default()
        }
    }

    /// The `scan published` line (`-v`).
    fn log(&self, snapshot: &Snapshot, scan: u64, elapsed: Duration) {
        let ms = |d: Duration| d.as_millis() as u64;
        tracing::info!(
            scan,
            ok = self.answers,
            infos = self.infos,
            failed = self.failed,
            instances = snapshot.topology.node_count(),
            edges = snapshot.topology.edge_count(),
            findings = snapshot.topology.findings().len(),
            fetch_ms = ms(self.fetch),
            record_ms = ms(self.record),
            merge_ms = ms(self.merge),
            analyse_ms = ms(self.analyse),
            encode_ms = ms(self.encode),
            elapsed_ms = ms(elapsed),
            "scan published"
        );
    }
}

/// The wait before the next scan: `interval` less up to 10%, at random.
fn jittered(interval: Duration, random: &impl RandomSource) -> Duration {
    let share = (random.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    interval.mul_f64(1.0 - 0.1 * share)
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
}
