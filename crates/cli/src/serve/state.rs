//! What serve knows: the last good answer of every (target, operation)
//! ([`Ledger`]), and the result of the last scan ([`Snapshot`]), published
//! by swapping one `Arc` ([`Shared`]) so that readers never wait on a scan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use rds_dr_api::fleet::FleetReport;
use rds_dr_model::{Capture, InfosCapture, Target};
use rds_dr_topology::{Protection as Protected, Role, Thresholds, Topology};

use super::exposition::Format;

/// An API operation that serve calls for every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// ListDrRelations: the relations as each side reports them.
    ListDrRelations,
    /// ListDrInfos: replication health (not called under `--no-health`).
    ListDrInfos,
}

impl Operation {
    /// The `operation` label value: `list_dr_relations`, `list_dr_infos`.
    pub fn label(self) -> &'static str {
        match self {
            Operation::ListDrRelations => "list_dr_relations",
            Operation::ListDrInfos => "list_dr_infos",
        }
    }

    /// The operation of the API crate's name for it (`None`: one that serve
    /// does not call).
    fn of(operation: rds_dr_model::Operation) -> Option<Operation> {
        match operation {
            rds_dr_model::Operation::ListDrRelations => Some(Operation::ListDrRelations),
            rds_dr_model::Operation::ListDrInfos => Some(Operation::ListDrInfos),
            _ => None,
        }
    }
}

/// One (target, operation) as the last scans left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetStatus {
    /// The target.
    pub target: Target,
    /// The operation.
    pub operation: Operation,
    /// Whether the last call succeeded.
    pub up: bool,
    /// When a call last succeeded (`None`: never).
    pub last_success: Option<SystemTime>,
    /// The last call's error, when it failed (never holds a credential).
    pub last_error: Option<String>,
}

impl TargetStatus {
    /// Down, with an older answer still in use.
    pub fn stale(&self) -> bool {
        !self.up && self.last_success.is_some()
    }
}

/// A target that went down or came back between two scans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The target.
    pub target: Target,
    /// The operation.
    pub operation: Operation,
    /// Up now (it was down), or down now (it was up).
    pub up: bool,
    /// The error, when down.
    pub error: Option<String>,
}

/// The last good answer of one (target, operation).
enum Answer {
    /// A ListDrRelations capture.
    Relations(Capture),
    /// A whole ListDrInfos list.
    Infos(InfosCapture),
}

struct Entry {
    status: TargetStatus,
    /// The last good answer.
    answer: Option<Answer>,
    /// Whether any scan has reported on it yet.
    seen: bool,
}

/// The last good answer of every (target, operation): a target that fails
/// keeps the answer it gave before, so one bad scan never removes an
/// instance or an edge.
pub struct Ledger {
    entries: BTreeMap<(Target, Operation), Entry>,
    thresholds: Thresholds,
}

impl Ledger {
    /// A ledger for these targets and operations, with nothing known yet.
    pub fn new(targets: &[Target], operations: &[Operation]) -> Ledger {
        let mut entries = BTreeMap::new();
        for target in targets {
            for &operation in operations {
                entries.insert(
                    (target.clone(), operation),
                    Entry {
                        status: TargetStatus {
                            target: target.clone(),
                            operation,
                            up: false,
                            last_success: None,
                            last_error: None,
                        },
                        answer: None,
                        seen: false,
                    },
                );
            }
        }
        Ledger {
            entries,
            thresholds: Thresholds::default(),
        }
    }

    /// Takes in a scan finished at `now` (both operations, or only
    /// ListDrRelations under `--no-health`); returns the (target, operation)
    /// pairs that went down or came back (none on a pair's first scan).
    /// A pair the ledger was not made for is ignored.
    pub fn record(&mut self, report: FleetReport, now: SystemTime) -> Vec<Transition> {
        let mut transitions = Vec::new();
        let answers = (report.captures.into_iter())
            .map(|c| (c.source.clone(), Answer::Relations(c)))
            .chain((report.infos.into_iter()).map(|c| (c.source.clone(), Answer::Infos(c))));
        for (target, answer) in answers {
            let operation = match answer {
                Answer::Relations(_) => Operation::ListDrRelations,
                Answer::Infos(_) => Operation::ListDrInfos,
            };
            let Some(entry) = self.entries.get_mut(&(target, operation)) else {
                continue;
            };
            if entry.seen && !entry.status.up {
                transitions.push(Transition {
                    target: entry.status.target.clone(),
                    operation,
                    up: true,
                    error: None,
                });
            }
            entry.seen = true;
            entry.status.up = true;
            entry.status.last_success = Some(now);
            entry.status.last_error = None;
            entry.answer = Some(answer);
        }
        for failure in report.failures {
            let Some(operation) = Operation::of(failure.operation) else {
                continue;
            };
            let Some(entry) = self.entries.get_mut(&(failure.target, operation)) else {
                continue;
            };
            let error = failure.error.to_string();
            if entry.seen && entry.status.up {
                transitions.push(Transition {
                    target: entry.status.target.clone(),
                    operation,
                    up: false,
                    error: Some(error.clone()),
                });
            }
            entry.seen = true;
            entry.status.up = false;
            entry.status.last_error = Some(error);
        }
        transitions
    }

    /// The thresholds over which an edge is `lagging` (`--max-lag-mb`,
    /// `--max-delay-ms`).
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Ledger {
        self.thresholds = thresholds;
        self
    }

    /// Merges every last good answer of both operations: the relations
    /// make the graph, the ListDrInfos lists put health on its edges. A
    /// (target, operation) that never answered is a `query-failed` finding
    /// (naming the operation for ListDrInfos); one that answered before and
    /// fails now is merged with its last answer (it is stale, which its
    /// status says).
    pub fn merge(&self) -> Topology {
        let mut builder = Topology::builder();
        builder
            .max_lag_mb(self.thresholds.max_lag_mb)
            .max_delay_ms(self.thresholds.max_delay_ms);
        for entry in self.entries.values() {
            match &entry.answer {
                Some(Answer::Relations(capture)) => {
                    builder.capture(capture);
                }
                Some(Answer::Infos(capture)) => {
                    builder.infos_capture(capture);
                }
                None if entry.seen => {
                    let message = entry
                        .status
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "no answer yet".to_owned());
                    let target = entry.status.target.clone();
                    match entry.status.operation {
                        Operation::ListDrRelations => builder.failed_target(target, message),
                        Operation::ListDrInfos => builder.failed_infos_target(target, message),
                    };
                }
                None => {}
            }
        }
        builder.build()
    }

    /// The last good ListDrInfos list of every target that has one (stale
    /// ones included: their status says so), sorted by target: what goes
    /// to the topology with the relations.
    pub fn infos(&self) -> Vec<&InfosCapture> {
        (self.entries.values())
            .filter_map(|e| match &e.answer {
                Some(Answer::Infos(capture)) => Some(capture),
                _ => None,
            })
            .collect()
    }

    /// Every (target, operation), sorted.
    pub fn statuses(&self) -> Vec<TargetStatus> {
        self.entries.values().map(|e| e.status.clone()).collect()
    }
}

/// Upper bounds of the scan duration histogram, in seconds.
pub const SCAN_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Finished scans and how long they took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanStats {
    /// Scans finished.
    pub count: u64,
    /// Sum of their durations, in seconds.
    pub sum_seconds: f64,
    /// Scans at or under each bound of [`SCAN_BUCKETS`].
    pub buckets: [u64; SCAN_BUCKETS.len()],
}

impl ScanStats {
    /// Counts one scan that took `took`.
    pub fn observe(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        self.count += 1;
        self.sum_seconds += seconds;
        for (bound, bucket) in SCAN_BUCKETS.iter().zip(&mut self.buckets) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }
}

/// A primary and whether a DR outside its region protects it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryProtection {
    /// The primary's id.
    pub primary: String,
    /// Its region.
    pub region: String,
    /// Whether it keeps a DR if its region alone fails (as `impact` says).
    pub protected: bool,
}

/// What the failure of each region alone would do, as `impact` computes
/// it for every region that has a primary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionFailures {
    /// Every primary with a known region, sorted by id.
    pub primaries: Vec<PrimaryProtection>,
    /// Every region with a primary, sorted, and how many of its primaries
    /// would be left without a DR.
    pub unprotected: Vec<(String, usize)>,
}

impl RegionFailures {
    /// Runs `impact` for each region that has a primary.
    pub fn of(topology: &Topology) -> RegionFailures {
        let regions: BTreeSet<&str> = topology
            .nodes()
            .filter(|n| n.role == Role::Primary)
            .filter_map(|n| n.location.region)
            .collect();
        let mut failures = RegionFailures::default();
        for region in regions {
            let impact = topology.impact(&[region]);
            failures
                .unprotected
                .push((region.to_owned(), impact.summary.unprotected));
            for entry in &impact.regions {
                for p in &entry.primaries {
                    failures.primaries.push(PrimaryProtection {
                        primary: p.id.clone(),
                        region: region.to_owned(),
                        protected: p.status == Protected::Protected,
                    });
                }
            }
        }
        failures.primaries.sort_by(|a, b| a.primary.cmp(&b.primary));
        failures
    }
}

/// The result of one scan, as every endpoint shows it. Immutable once
/// published; the documents are encoded on first request and kept.
pub struct Snapshot {
    /// Everything merged.
    pub topology: Topology,
    /// Every (target, operation).
    pub targets: Vec<TargetStatus>,
    /// Scans so far, this one included.
    pub scans: ScanStats,
    /// Each region's failure.
    pub failures: RegionFailures,
    /// When this scan finished.
    pub finished_at: SystemTime,
    topology_json: OnceLock<Result<Bytes, String>>,
    findings_json: OnceLock<Result<Bytes, String>>,
    targets_json: OnceLock<Result<Bytes, String>>,
    metrics_text: OnceLock<Bytes>,
    metrics_openmetrics: OnceLock<Bytes>,
    page: OnceLock<Result<Dashboard, String>>,
}

/// The dashboard of one scan, as `/` serves it.
#[derive(Clone, Debug)]
pub struct Dashboard {
    /// The HTML page (the one `rds-dr report` writes).
    pub html: Bytes,
    /// Its `Content-Security-Policy` header value.
    pub content_security_policy: String,
}

impl Snapshot {
    /// A snapshot of a merged topology (computes the region failures).
    pub fn new(
        topology: Topology,
        targets: Vec<TargetStatus>,
        scans: ScanStats,
        finished_at: SystemTime,
    ) -> Snapshot {
        let failures = RegionFailures::of(&topology);
        Snapshot {
            topology,
            targets,
            scans,
            failures,
            finished_at,
            topology_json: OnceLock::new(),
            findings_json: OnceLock::new(),
            targets_json: OnceLock::new(),
            metrics_text: OnceLock::new(),
            metrics_openmetrics: OnceLock::new(),
            page: OnceLock::new(),
        }
    }

    /// `topology --format json` of this scan.
    pub fn topology_json(&self) -> Result<Bytes, String> {
        self.topology_json
            .get_or_init(|| {
                crate::commands::topology::json_document(&self.topology)
                    .map(Bytes::from)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// `check --format json` of this scan.
    pub fn findings_json(&self) -> Result<Bytes, String> {
        self.findings_json
            .get_or_init(|| {
                crate::commands::check::json_document(&self.topology)
                    .map(Bytes::from)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// `/api/v1/targets` of this scan: the scan count, when it finished, and
    /// each (target, operation)'s last call. Written once per scan, like the
    /// other documents, so that a client polling it (every few milliseconds,
    /// say) copies a kept body instead of taking CPU from the scan.
    pub fn targets_json(&self) -> Result<Bytes, String> {
        self.targets_json
            .get_or_init(|| {
                let document = TargetsDocument {
                    last_scan: crate::time::rfc3339(self.finished_at),
                    scans: self.scans.count,
                    targets: self.targets.iter().map(TargetDocument::of).collect(),
                };
                serde_json::to_vec_pretty(&document)
                    .map(|mut text| {
                        text.push(b'\n');
                        Bytes::from(text)
                    })
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The dashboard of this scan (as `rds-dr report` writes it), with each
    /// (target, operation)'s freshness, reloading itself every `refresh`
    /// (the scan interval: the same for every call).
    pub fn page(&self, refresh: Duration) -> Result<Dashboard, String> {
        self.page
            .get_or_init(|| {
                let freshness = (self.targets.iter())
                    .map(|t| crate::page::TargetFreshness {
                        region: t.target.region.clone(),
                        project_id: t.target.project_id.clone(),
                        operation: t.operation.label().to_owned(),
                        last_success: t.last_success.map(crate::time::rfc3339),
                        stale: t.stale(),
                    })
                    .collect();
                let mut sources: Vec<String> = (self.targets.iter())
                    .map(|t| t.target.to_string())
                    .collect();
                sources.dedup();
                let input = crate::page::PageInput::new(
                    &self.topology,
                    crate::time::rfc3339(self.finished_at),
                )
                .title("rds-dr serve: DR topology")
                .sources(sources)
                .freshness(freshness)
                .refresh(refresh);
                crate::page::render(&input)
                    .map(|page| Dashboard {
                        html: Bytes::from(page.html),
                        content_security_policy: page.content_security_policy,
                    })
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// `/metrics` of this scan in `format`.
    pub fn metrics(&self, format: Format) -> Bytes {
        let cell = match format {
            Format::Text => &self.metrics_text,
            Format::OpenMetrics(_) => &self.metrics_openmetrics,
        };
        cell.get_or_init(|| {
            let started = std::time::Instant::now();
            let text = super::metrics::render(Some(self), format);
            tracing::debug!(
                bytes = text.len(),
                edges = self.topology.edge_count(),
                elapsed_us = started.elapsed().as_micros() as u64,
                openmetrics = matches!(format, Format::OpenMetrics(_)),
                "encoded /metrics"
            );
            Bytes::from(text)
        })
        .clone()
    }
}

/// `/api/v1/targets` (members in alphabetical order, as the document has
/// always had them).
#[derive(serde::Serialize)]
struct TargetsDocument<'a> {
    last_scan: String,
    scans: u64,
    targets: Vec<TargetDocument<'a>>,
}

/// One (target, operation) of `/api/v1/targets`.
#[derive(serde::Serialize)]
struct TargetDocument<'a> {
    last_error: Option<&'a str>,
    last_success: Option<String>,
    operation: &'static str,
    project_id: &'a str,
    region: &'a str,
    stale: bool,
    target: String,
    up: bool,
}

impl<'a> TargetDocument<'a> {
    fn of(status: &'a TargetStatus) -> TargetDocument<'a> {
        TargetDocument {
            last_error: status.last_error.as_deref(),
            last_success: status.last_success.map(crate::time::rfc3339),
            operation: status.operation.label(),
            project_id: &status.target.project_id,
            region: &status.target.region,
            stale: status.stale(),
            target: status.target.to_string(),
            up: status.up,
        }
    }
}

/// The published snapshot, shared by the scan loop and every request.
#[derive(Default)]
pub struct Shared {
    current: ArcSwapOption<Snapshot>,
    /// The `/metrics` formats asked for so far: bit 0 the text format, bit
    /// 1 OpenMetrics.
    scraped: AtomicU8,
}

impl Shared {
    /// Notes that a scraper asked for `format`: the scans that follow
    /// encode it before they are published.
    pub fn scraped(&self, format: Format) {
        self.scraped.fetch_or(format_bit(format), Ordering::Relaxed);
    }

    /// The `/metrics` formats asked for so far, text first.
    pub fn scraped_formats(&self) -> Vec<Format> {
        let bits = self.scraped.load(Ordering::Relaxed);
        [Format::Text, Format::OpenMetrics("1.0.0")]
            .into_iter()
            .filter(|f| bits & format_bit(*f) != 0)
            .collect()
    }

    /// The last published scan, if any has finished.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// Replaces the published scan.
    pub fn publish(&self, snapshot: Snapshot) {
        self.current.store(Some(Arc::new(snapshot)));
    }
}

/// A format's bit in [`Shared::scraped`]: OpenMetrics' versions share one
/// body.
fn format_bit(format: Format) -> u8 {
    match format {
        Format::Text => 1,
        Format::OpenMetrics(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rds_dr_api::ApiError;
    use rds_dr_api::fleet::TargetFailure;
    use rds_dr_model::synth::{FleetSpec, generate};

    fn fleet() -> Vec<Capture> {
        generate(&FleetSpec::new().seed(7).primaries(20)).captures
    }

    fn report(captures: &[Capture], failing: &[&Target]) -> FleetReport {
        let mut report = FleetReport::default();
        for capture in captures {
            if failing.contains(&&capture.source) {
                report.failures.push(TargetFailure {
                    target: capture.source.clone(),
                    error: ApiError::from_status(503, "unavailable"),
                    operation: rds_dr_model::Operation::ListDrRelations,
                });
            } else {
                report.captures.push(capture.clone());
            }
        }
        report
    }

    #[test]
    fn a_failing_target_keeps_its_last_answer() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(ledger.record(report(&captures, &[]), t0).is_empty());
        let full = ledger.merge();
        assert!(full.edge_count() > 0);

        let down = &targets[0];
        let t1 = t0 + Duration::from_secs(60);
        let transitions = ledger.record(report(&captures, &[down]), t1);
        assert_eq!(transitions.len(), 1);
        assert_eq!(&transitions[0].target, down);
        assert!(!transitions[0].up);
        let stale = ledger.merge();
        assert_eq!(stale.node_count(), full.node_count());
        assert_eq!(stale.edge_count(), full.edge_count());
        assert_eq!(stale.findings(), full.findings());
        let status = ledger
            .statuses()
            .into_iter()
            .find(|s| &s.target == down)
            .unwrap();
        assert!(!status.up && status.stale());
        assert_eq!(status.last_success, Some(t0));
        assert!(
            status
                .last_error
                .as_deref()
                .unwrap()
                .contains("unavailable")
        );

        let back = ledger.record(report(&captures, &[]), t1 + Duration::from_secs(60));
        assert_eq!(back.len(), 1);
        assert!(back[0].up);
    }

    #[test]
    fn the_targets_document_says_each_calls_state_and_is_written_once() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        ledger.record(report(&captures, &[]), t0);
        let t1 = t0 + Duration::from_secs(60);
        ledger.record(report(&captures, &[&targets[1]]), t1);
        let mut stats = ScanStats::default();
        stats.observe(Duration::from_millis(5));
        stats.observe(Duration::from_millis(7));
        let snapshot = Snapshot::new(ledger.merge(), ledger.statuses(), stats, t1);
        let body = snapshot.targets_json().unwrap();
        assert!(body.ends_with(b"}\n"));
        let document: serde_json::Value = serde_json::from_slice(&body).unwrap();
        // The document as `/api/v1/targets` wrote it before it was kept:
        // built member by member, in alphabetical order.
        let expected = serde_json::json!({
            "scans": 2,
            "last_scan": crate::time::rfc3339(t1),
            "targets": snapshot.targets.iter().map(|t| serde_json::json!({
                "target": t.target.to_string(),
                "region": t.target.region,
                "project_id": t.target.project_id,
                "operation": "list_dr_relations",
                "up": t.up,
                "stale": t.stale(),
                "last_success": t.last_success.map(crate::time::rfc3339),
                "last_error": t.last_error,
            })).collect::<Vec<_>>(),
        });
        assert_eq!(document, expected);
        let mut pretty = serde_json::to_vec_pretty(&expected).unwrap();
        pretty.push(b'\n');
        assert_eq!(
            body, pretty,
            "the same bytes as the document built member by member"
        );
        let down = (document["targets"].as_array().unwrap().iter())
            .find(|t| t["target"] == targets[1].to_string())
            .unwrap();
        assert_eq!(down["stale"], true);
        assert_eq!(down["up"], false);
        assert!(down["last_error"].as_str().unwrap().contains("unavailable"));
        // Kept: a second request gets the same buffer.
        assert_eq!(snapshot.targets_json().unwrap().as_ptr(), body.as_ptr());
    }

    #[test]
    fn a_failing_infos_call_keeps_the_last_infos_answer_stale() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let operations = [Operation::ListDrRelations, Operation::ListDrInfos];
        let mut ledger = Ledger::new(&targets, &operations);
        let infos = |total_count| {
            let mut report = report(&captures, &[]);
            for target in &targets {
                let response = rds_dr_model::ListDrInfosResponse {
                    total_count: Some(total_count),
                    ..Default::default()
                };
                report
                    .infos
                    .push(InfosCapture::new(target.clone(), response));
            }
            report
        };
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(ledger.record(infos(1), t0).is_empty());
        assert_eq!(ledger.infos().len(), targets.len());
        let full = ledger.merge();

        // The second scan: relations answer everywhere, one ListDrInfos fails.
        let down = &targets[2];
        let mut second = infos(2);
        second.infos.retain(|c| &c.source != down);
        second.failures.push(TargetFailure {
            target: down.clone(),
            error: ApiError::from_status(503, "infos unavailable"),
            operation: rds_dr_model::Operation::ListDrInfos,
        });
        let t1 = t0 + Duration::from_secs(60);
        let transitions = ledger.record(second, t1);
        assert_eq!(transitions.len(), 1);
        assert_eq!(
            (
                &transitions[0].target,
                transitions[0].operation,
                transitions[0].up
            ),
            (down, Operation::ListDrInfos, false)
        );
        let kept = ledger.infos();
        assert_eq!(kept.len(), targets.len(), "the failed list stays");
        for capture in kept {
            let expected = if &capture.source == down { 1 } else { 2 };
            let expected = Some(expected);
            assert_eq!(capture.response.total_count, expected, "{}", capture.source);
        }
        let statuses = ledger.statuses();
        let status = |operation| {
            statuses
                .iter()
                .find(|s| &s.target == down && s.operation == operation)
                .unwrap()
        };
        let infos_status = status(Operation::ListDrInfos);
        assert!(infos_status.stale() && infos_status.last_success == Some(t0));
        let relations = status(Operation::ListDrRelations);
        assert!(relations.up && relations.last_success == Some(t1));
        // A ListDrInfos failure is no missing target.
        let merged = ledger.merge();
        assert_eq!(merged.findings(), full.findings());
        assert_eq!(merged.edge_count(), full.edge_count());
    }

    #[test]
    fn a_target_that_never_answered_is_query_failed() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let transitions = ledger.record(report(&captures, &[&targets[1]]), SystemTime::now());
        assert!(transitions.is_empty(), "no transition on the first scan");
        let topology = ledger.merge();
        let failed: Vec<_> = topology
            .findings()
            .iter()
            .filter(|f| f.code == rds_dr_topology::Code::QueryFailed)
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].message.contains(&targets[1].to_string()));
    }

    #[test]
    fn the_formats_scraped_are_remembered() {
        let shared = Shared::default();
        assert!(shared.scraped_formats().is_empty());
        shared.scraped(Format::OpenMetrics("0.0.1"));
        assert_eq!(shared.scraped_formats(), [Format::OpenMetrics("1.0.0")]);
        shared.scraped(Format::Text);
        shared.scraped(Format::OpenMetrics("1.0.0"));
        assert_eq!(
            shared.scraped_formats(),
            [Format::Text, Format::OpenMetrics("1.0.0")]
        );
    }

    #[test]
    fn scan_histogram_is_cumulative() {
        let mut stats = ScanStats::default();
        stats.observe(Duration::from_millis(70));
        stats.observe(Duration::from_secs(400));
        assert_eq!(stats.count, 2);
        assert_eq!(stats.buckets[0], 0);
        assert_eq!(stats.buckets[1], 1);
        assert_eq!(stats.buckets[SCAN_BUCKETS.len() - 1], 1);
        assert!((stats.sum_seconds - 400.07).abs() < 1e-9);
    }

    #[test]
    fn region_failures_follow_impact() {
        let captures = fleet();
        let mut builder = Topology::builder();
        for capture in &captures {
            builder.capture(capture);
        }
        let topology = builder.build();
        let failures = RegionFailures::of(&topology);
        assert!(!failures.unprotected.is_empty());
        for (region, unprotected) in &failures.unprotected {
            let impact = topology.impact(&[region.as_str()]);
            assert_eq!(*unprotected, impact.summary.unprotected, "{region}");
            let here = failures
                .primaries
                .iter()
                .filter(|p| &p.region == region)
                .count();
            assert_eq!(here, impact.summary.primaries);
        }
    }
}
