//! Scanning many targets with bounded concurrency: [`scan`].

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use rds_dr_model::Capture;

use crate::{ApiError, DrRelationsApi, RequestOptions, Target};

type Timestamp = Arc<dyn Fn() -> String + Send + Sync>;

/// How [`scan`] runs. Build with [`FleetConfig::new`] and the setters.
///
/// | setting | default |
/// |---|---|
/// | [`concurrency`](FleetConfig::concurrency): calls in flight at most | 8 |
/// | [`fetched_at`](FleetConfig::fetched_at): time source for [`Capture::fetched_at`] | none: `fetched_at` is `None` |
#[derive(Clone)]
pub struct FleetConfig {
    concurrency: usize,
    fetched_at: Option<Timestamp>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig::new()
    }
}

impl fmt::Debug for FleetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetConfig")
            .field("concurrency", &self.concurrency)
            .field("fetched_at", &self.fetched_at.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl FleetConfig {
    /// Default number of calls in flight.
    pub const DEFAULT_CONCURRENCY: usize = 8;

    /// The defaults.
    pub fn new() -> Self {
        FleetConfig {
            concurrency: FleetConfig::DEFAULT_CONCURRENCY,
            fetched_at: None,
        }
    }

    /// At most `concurrency` calls in flight; 0 counts as 1.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets each capture's `fetched_at` to what `now` returns when its answer
    /// arrives (the caller formats it, e.g. RFC 3339 UTC; this crate reads
    /// no clock of its own). Without it, `fetched_at` is `None`.
    pub fn fetched_at(mut self, now: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.fetched_at = Some(Arc::new(now));
        self
    }

    /// The concurrency limit (at least 1).
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency
    }
}

/// Where a scan stands, passed to the progress callback once per target as
/// its call finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress<'a> {
    /// Targets finished so far, this one included.
    pub done: usize,
    /// Distinct targets in the scan.
    pub total: usize,
    /// Targets failed so far, this one included.
    pub failed: usize,
    /// The target just finished.
    pub last: &'a Target,
    /// Whether it succeeded.
    pub ok: bool,
}

/// A target whose call failed (after any retries the API does itself).
#[derive(Debug)]
pub struct TargetFailure {
    /// The target.
    pub target: Target,
    /// The (last) error.
    pub error: ApiError,
}

/// What [`scan`] found: a capture per target that answered and a failure per
/// target that did not, each list sorted by target.
#[derive(Debug, Default)]
pub struct FleetReport {
    /// Captures of the targets that answered, sorted by `source`.
    pub captures: Vec<Capture>,
    /// The targets that failed, sorted by `target`.
    pub failures: Vec<TargetFailure>,
}

impl FleetReport {
    /// Distinct targets scanned.
    pub fn total(&self) -> usize {
        self.captures.len() + self.failures.len()
    }

    /// Whether every target answered.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Calls ListDrRelations for every distinct target, at most
/// `config.concurrency` at a time, and collects the answers.
///
/// Duplicate targets are fetched once. One target's failure never affects
/// another's result: every distinct target ends up in exactly one of
/// [`FleetReport::captures`] or [`FleetReport::failures`], both sorted by
/// target, so the report does not depend on completion order. `progress` is
/// called once per distinct target as it finishes (so the last call has
/// `done == total`), from the task awaiting `scan`.
///
/// Runtime-agnostic (no task is spawned: the calls are polled concurrently
/// within this future). Retries are not done here: pass a
/// [`crate::retry::Retrying`] API for that.
///
/// ```
/// use futures::executor::block_on;
/// use rds_dr_api::{ApiError, RequestOptions, Target};
/// use rds_dr_api::fleet::{FleetConfig, scan};
/// use rds_dr_api::memory::InMemoryApi;
///
/// let a: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// let b: Target = "cn-east-3/1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1".parse()?;
/// let api = InMemoryApi::new()
///     .with_response(a.clone(), Default::default())
///     .with_failure(b.clone(), || ApiError::from_status(403, "denied"));
///
/// let mut seen = Vec::new();
/// let report = block_on(scan(
///     &api,
///     vec![a.clone(), b.clone(), a.clone()], // `a` twice: fetched once
///     RequestOptions::default(),
///     FleetConfig::new().concurrency(4).fetched_at(|| "2026-11-28T10:00:00Z".to_owned()),
///     |p| seen.push((p.done, p.total, p.failed)),
/// ));
///
/// assert_eq!(report.captures.len(), 1);
/// assert_eq!(report.captures[0].source, a);
/// assert_eq!(report.captures[0].fetched_at.as_deref(), Some("2026-11-28T10:00:00Z"));
/// assert_eq!(report.failures[0].target, b);
/// assert_eq!(report.failures[0].error.status(), Some(403));
/// assert_eq!(api.calls(&a), 1);
/// assert_eq!(seen.last().map(|s| (s.0, s.1)), Some((2, 2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn scan<A: DrRelationsApi>(
    api: A,
    targets: Vec<Target>,
    options: RequestOptions,
    config: FleetConfig,
    mut progress: impl FnMut(Progress<'_>),
) -> FleetReport {
    let targets: BTreeSet<Target> = targets.into_iter().collect();
    let total = targets.len();
    let api = &api;
    let options = &options;
    let fetched_at = config.fetched_at.as_deref();

    let mut results = futures::stream::iter(targets)
        .map(|target| async move {
            let result = api.list_dr_relations(&target, options).await;
            let stamp = result
                .is_ok()
                .then(|| fetched_at.map(|now| now()))
                .flatten();
            (target, result, stamp)
        })
        .buffer_unordered(config.concurrency.max(1));

    let mut report = FleetReport::default();
    let mut done = 0;
    while let Some((target, result, stamp)) = results.next().await {
        done += 1;
        let ok = result.is_ok();
        match result {
            Ok(response) => report.captures.push(Capture {
                source: target,
                fetched_at: stamp,
                response,
            }),
            Err(error) => {
                tracing::debug!(%target, kind = %error.kind(), status = error.status(),
                    code = error.code(), request_id = error.request_id(), "target failed");
                report.failures.push(TargetFailure { target, error });
            }
        }
        let last = if ok {
            report.captures.last().map(|c| &c.source)
        } else {
            report.failures.last().map(|f| &f.target)
        };
        if let Some(last) = last {
            progress(Progress {
                done,
                total,
                failed: report.failures.len(),
                last,
                ok,
            });
        }
    }
    report.captures.sort_by(|a, b| a.source.cmp(&b.source));
    report.failures.sort_by(|a, b| a.target.cmp(&b.target));
    report
}
