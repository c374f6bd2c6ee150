//! The result of one scan as every endpoint shows it ([`Snapshot`]: the
//! merged topology, each target's state, each region's failure, and the
//! documents written from them once), published by swapping one `Arc`
//! ([`Shared`]) so that readers never wait on a scan.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use rds_dr_topology::{Protection, Topology};

use super::exposition::{Coding, Format};
use super::ledger::TargetStatus;

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
    /// What `impact` says of each primary for the failure of its own
    /// region, and the count per region of those left unprotected.
    pub fn of(topology: &Topology) -> RegionFailures {
        let mut unprotected: BTreeMap<&str, usize> = BTreeMap::new();
        let primaries = (topology.own_region_failures().into_iter())
            .map(|failure| {
                let left = unprotected.entry(failure.region).or_default();
                let protected = failure.status == Protection::Protected;
                *left += usize::from(!protected);
                PrimaryProtection {
                    primary: failure.primary,
                    region: failure.region.to_owned(),
                    protected,
                }
            })
            .collect();
        RegionFailures {
            primaries,
            unprotected: (unprotected.into_iter())
                .map(|(region, count)| (region.to_owned(), count))
                .collect(),
        }
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
    /// `/metrics` by format (text, OpenMetrics) and coding (identity,
    /// gzip).
    metrics: [[OnceLock<Bytes>; 2]; 2],
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
            metrics: Default::default(),
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

    /// Where `/metrics` of this scan in `format` and `coding` is kept once
    /// written ([`super::metrics::body`] and [`super::metrics::gzipped`]
    /// write it).
    pub fn kept_metrics(&self, format: Format, coding: Coding) -> &OnceLock<Bytes> {
        let format = match format {
            Format::Text => 0,
            Format::OpenMetrics(_) => 1,
        };
        let coding = match coding {
            Coding::Identity => 0,
            Coding::Gzip => 1,
        };
        &self.metrics[format][coding]
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
    use crate::serve::ledger::tests::{fleet, report};
    use crate::serve::ledger::{Ledger, Operation};
    use rds_dr_model::Target;

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
