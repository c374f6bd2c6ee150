//! What serve knows: the last good answer of every (target, operation)
//! ([`Ledger`]), and the result of the last scan ([`Snapshot`]), published
//! by swapping one `Arc` ([`Shared`]) so that readers never wait on a scan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use rds_dr_api::fleet::FleetReport;
use rds_dr_model::{Capture, Target};
use rds_dr_topology::{Protection as Protected, Role, Topology};

use super::exposition::Format;

/// An API operation that serve calls for every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// ListDrRelations: the relations as each side reports them.
    ListDrRelations,
    /// ListDrInfos: replication health (not called yet: it comes with the
    /// health work; the metrics and ledger are ready for it).
    #[allow(dead_code)]
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

struct Entry {
    status: TargetStatus,
    /// The last good answer.
    capture: Option<Capture>,
    /// Whether any scan has reported on it yet.
    seen: bool,
}

/// The last good answer of every (target, operation): a target that fails
/// keeps the answer it gave before, so one bad scan never removes an
/// instance or an edge.
pub struct Ledger {
    entries: BTreeMap<(Target, Operation), Entry>,
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
                        capture: None,
                        seen: false,
                    },
                );
            }
        }
        Ledger { entries }
    }

    /// Takes in a ListDrRelations scan finished at `now`; returns the
    /// targets that went down or came back (none on a target's first scan).
    pub fn record_relations(&mut self, report: FleetReport, now: SystemTime) -> Vec<Transition> {
        let mut transitions = Vec::new();
        let operation = Operation::ListDrRelations;
        for capture in report.captures {
            let Some(entry) = self.entries.get_mut(&(capture.source.clone(), operation)) else {
                continue;
            };
            if entry.seen && !entry.status.up {
                transitions.push(Transition {
                    target: capture.source.clone(),
                    operation,
                    up: true,
                    error: None,
                });
            }
            entry.seen = true;
            entry.status.up = true;
            entry.status.last_success = Some(now);
            entry.status.last_error = None;
            entry.capture = Some(capture);
        }
        for failure in report.failures {
            let Some(entry) = self.entries.get_mut(&(failure.target.clone(), operation)) else {
                continue;
            };
            let error = failure.error.to_string();
            if entry.seen && entry.status.up {
                transitions.push(Transition {
                    target: failure.target.clone(),
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

    /// Merges every last good answer. A target that never answered is a
    /// `query-failed` finding; one that answered before and fails now is
    /// merged with its last answer (it is stale, which its status says).
    pub fn merge(&self) -> Topology {
        let mut builder = Topology::builder();
        for entry in self.entries.values() {
            match (&entry.capture, entry.status.operation) {
                (Some(capture), Operation::ListDrRelations) => {
                    builder.capture(capture);
                }
                (None, _) if entry.seen => {
                    let message = entry
                        .status
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "no answer yet".to_owned());
                    builder.failed_target(entry.status.target.clone(), message);
                }
                _ => {}
            }
        }
        builder.build()
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
    metrics_text: OnceLock<Bytes>,
    metrics_openmetrics: OnceLock<Bytes>,
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
            metrics_text: OnceLock::new(),
            metrics_openmetrics: OnceLock::new(),
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

/// The published snapshot, shared by the scan loop and every request.
#[derive(Default)]
pub struct Shared {
    current: ArcSwapOption<Snapshot>,
}

impl Shared {
    /// The last published scan, if any has finished.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// Replaces the published scan.
    pub fn publish(&self, snapshot: Snapshot) {
        self.current.store(Some(Arc::new(snapshot)));
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
        assert!(
            ledger
                .record_relations(report(&captures, &[]), t0)
                .is_empty()
        );
        let full = ledger.merge();
        assert!(full.edge_count() > 0);

        let down = &targets[0];
        let t1 = t0 + Duration::from_secs(60);
        let transitions = ledger.record_relations(report(&captures, &[down]), t1);
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

        let back = ledger.record_relations(report(&captures, &[]), t1 + Duration::from_secs(60));
        assert_eq!(back.len(), 1);
        assert!(back[0].up);
    }

    #[test]
    fn a_target_that_never_answered_is_query_failed() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let transitions =
            ledger.record_relations(report(&captures, &[&targets[1]]), SystemTime::now());
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
