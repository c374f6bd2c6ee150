//! Scanning many targets with bounded concurrency: [`scan`] and
//! [`scan_each`].
//!
//! A target is fetched with both operations: ListDrRelations and every page
//! of ListDrInfos ([`crate::infos`]), side by side; each fails on its own.
//! The concurrency limit counts calls in flight (each page is a call), not
//! targets, and a call waiting to retry gives its slot back (see
//! [`crate::Slot`]).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use rds_dr_model::{Capture, InfosCapture, Operation};

use crate::slots::Slots;
use crate::{ApiError, DrRelationsApi, QueryDrInfoRequest, RequestOptions, Target};

type Timestamp = Arc<dyn Fn() -> String + Send + Sync>;

/// How [`scan`] runs. Build with [`FleetConfig::new`] and the setters.
///
/// | setting | default |
/// |---|---|
/// | [`concurrency`](FleetConfig::concurrency): calls in flight at most | 8 |
/// | [`fetched_at`](FleetConfig::fetched_at): time source for [`Capture::fetched_at`] | none: `fetched_at` is `None` |
/// | [`health`](FleetConfig::health): also fetch ListDrInfos | `true` |
#[derive(Clone)]
pub struct FleetConfig {
    concurrency: usize,
    fetched_at: Option<Timestamp>,
    health: bool,
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
            .field("health", &self.health)
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
            health: true,
        }
    }

    /// Whether to fetch each target's ListDrInfos list beside its
    /// ListDrRelations answer (default `true`; `false` is the CLI's
    /// `--no-health`).
    pub fn health(mut self, health: bool) -> Self {
        self.health = health;
        self
    }

    /// At most `concurrency` calls in flight; 0 counts as 1. Each ListDrInfos
    /// page is a call; a call waiting to retry does not count.
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
/// its calls finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress<'a> {
    /// Targets finished so far, this one included.
    pub done: usize,
    /// Distinct targets in the scan.
    pub total: usize,
    /// Targets with a failed operation so far, this one included.
    pub failed: usize,
    /// The target just finished.
    pub last: &'a Target,
    /// Whether every operation of it succeeded.
    pub ok: bool,
}

/// A target whose call failed (after any retries the API does itself).
#[derive(Debug)]
pub struct TargetFailure {
    /// The target.
    pub target: Target,
    /// The (last) error.
    pub error: ApiError,
    /// Which operation failed.
    pub operation: Operation,
}

/// What one target answered, as [`scan_each`] hands it over.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetResult {
    /// The target.
    pub target: Target,
    /// Its ListDrRelations capture, or why there is none.
    pub relations: Result<Capture, ApiError>,
    /// Its whole ListDrInfos list, or why there is none; `None` when the
    /// scan does not fetch health ([`FleetConfig::health`]).
    pub infos: Option<Result<InfosCapture, ApiError>>,
}

impl TargetResult {
    /// Whether every operation fetched succeeded.
    pub fn is_ok(&self) -> bool {
        self.relations.is_ok() && !matches!(self.infos, Some(Err(_)))
    }
}

/// What [`scan`] found, each list sorted by target: a capture per target
/// whose ListDrRelations answered, an infos capture per target whose
/// ListDrInfos list was fetched whole, and a failure per failed operation of
/// a target (a target may have one of each).
#[derive(Debug, Default)]
pub struct FleetReport {
    /// ListDrRelations captures, sorted by `source`.
    pub captures: Vec<Capture>,
    /// ListDrInfos captures, sorted by `source`.
    pub infos: Vec<InfosCapture>,
    /// The failed operations, sorted by `target`, then ListDrRelations
    /// before ListDrInfos.
    pub failures: Vec<TargetFailure>,
}

impl FleetReport {
    /// Adds one target's result: each operation's capture, or its failure.
    /// [`FleetReport::sort`] puts the lists in their documented order after
    /// the last one.
    pub fn record(&mut self, result: TargetResult) {
        let target = result.target;
        match result.relations {
            Ok(capture) => self.captures.push(capture),
            Err(error) => self.failures.push(TargetFailure {
                target: target.clone(),
                error,
                operation: Operation::ListDrRelations,
            }),
        }
        match result.infos {
            Some(Ok(capture)) => self.infos.push(capture),
            Some(Err(error)) => self.failures.push(TargetFailure {
                target,
                error,
                operation: Operation::ListDrInfos,
            }),
            None => {}
        }
    }

    /// Sorts the captures by source and the failures by (target,
    /// operation), so the report does not depend on which target finished
    /// first.
    pub fn sort(&mut self) {
        self.captures.sort_by(|a, b| a.source.cmp(&b.source));
        self.infos.sort_by(|a, b| a.source.cmp(&b.source));
        self.failures
            .sort_by(|a, b| (&a.target, a.operation).cmp(&(&b.target, b.operation)));
    }

    /// Distinct targets scanned.
    pub fn total(&self) -> usize {
        let targets: BTreeSet<&Target> = self
            .captures
            .iter()
            .map(|c| &c.source)
            .chain(self.failures.iter().map(|f| &f.target))
            .collect();
        targets.len()
    }

    /// Whether every operation of every target succeeded.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }

    /// The failures of one operation.
    pub fn failures_of(&self, operation: Operation) -> impl Iterator<Item = &TargetFailure> {
        self.failures
            .iter()
            .filter(move |f| f.operation == operation)
    }
}

/// Fetches every distinct target with both operations, at most
/// `config.concurrency` calls at a time, and collects the answers.
///
/// Duplicate targets are fetched once. One target's failure never affects
/// another's result, and one operation's failure never affects the other's:
/// a target whose ListDrInfos fails still has its relations capture, and a
/// failure naming [`Operation::ListDrInfos`]. The lists are sorted by
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
/// use rds_dr_model::Operation;
///
/// let a: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// let b: Target = "cn-east-3/1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1".parse()?;
/// let api = InMemoryApi::new()
///     .with_response(a.clone(), Default::default())
///     .with_failure(b.clone(), || ApiError::from_status(403, "denied"))
///     .with_response(b.clone(), Default::default())
///     .with_infos_failure(a.clone(), || ApiError::from_status(500, "oops"));
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
/// // `a`: relations, but its ListDrInfos failed; `b`: health, no relations.
/// assert_eq!(report.captures.len(), 1);
/// assert_eq!(report.captures[0].source, a);
/// assert_eq!(report.captures[0].fetched_at.as_deref(), Some("2026-11-28T10:00:00Z"));
/// assert_eq!(report.infos.len(), 1);
/// assert_eq!(report.infos[0].source, b);
/// let failed: Vec<_> = report.failures.iter().map(|f| (&f.target, f.operation)).collect();
/// assert_eq!(failed, [(&b, Operation::ListDrRelations), (&a, Operation::ListDrInfos)]);
/// assert_eq!(api.calls(&a), 1);
/// assert_eq!(seen.last(), Some(&(2, 2, 2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn scan<A: DrRelationsApi>(
    api: A,
    targets: Vec<Target>,
    options: RequestOptions,
    config: FleetConfig,
    mut progress: impl FnMut(Progress<'_>),
) -> FleetReport {
    let mut report = FleetReport::default();
    scan_each(api, targets, options, config, |p, result| {
        progress(p);
        report.record(result);
    })
    .await;
    report.sort();
    report
}

/// [`scan`] without collecting: hands each target's result to `each` as it
/// finishes (in completion order), with the progress so far, so that a
/// caller can write it out and drop it (what `rds-dr fetch` does).
///
/// Each target's operations run side by side; the target's pages after the
/// first run side by side too. Every call into `api` holds one of
/// `config.concurrency` slots (passed in [`RequestOptions::slot`], which a
/// [`crate::retry::Retrying`] layer gives back while it waits).
pub async fn scan_each<A: DrRelationsApi>(
    api: A,
    targets: Vec<Target>,
    options: RequestOptions,
    config: FleetConfig,
    mut each: impl FnMut(Progress<'_>, TargetResult),
) {
    let targets: BTreeSet<Target> = targets.into_iter().collect();
    let total = targets.len();
    let api = &api;
    let options = &options;
    let fetched_at = config.fetched_at.as_deref();
    let slots = &Slots::new(config.concurrency);
    let health = config.health;
    let base = &QueryDrInfoRequest::default();
    // Each target's calls wait for a slot themselves: the targets in
    // flight only need to be enough to keep every slot busy.
    let targets_in_flight = config.concurrency.saturating_mul(4).max(1);

    let stamp = move || fetched_at.map(|now| now());
    let mut results = futures::stream::iter(targets)
        .map(|target| async move {
            let target = &target;
            let relations = async {
                let slot = slots.acquire().await;
                let options = RequestOptions {
                    slot: Some(slot),
                    ..options.clone()
                };
                let result = api.list_dr_relations(target, &options).await;
                result.map(|response| Capture {
                    source: target.clone(),
                    fetched_at: stamp(),
                    response,
                })
            };
            let infos = async {
                if !health {
                    return None;
                }
                let list = crate::infos::list_all_with(target, base, |query| async move {
                    let slot = slots.acquire().await;
                    let options = RequestOptions {
                        slot: Some(slot),
                        ..options.clone()
                    };
                    api.list_dr_infos(target, &query, &options).await
                })
                .await;
                Some(list.map(|response| InfosCapture {
                    fetched_at: stamp(),
                    ..InfosCapture::new(target.clone(), response)
                }))
            };
            let (relations, infos) = futures::join!(relations, infos);
            TargetResult {
                target: target.clone(),
                relations,
                infos,
            }
        })
        .buffer_unordered(targets_in_flight);

    let mut done = 0;
    let mut failed = 0;
    while let Some(result) = results.next().await {
        done += 1;
        let ok = result.is_ok();
        if !ok {
            failed += 1;
        }
        for (operation, error) in [
            (Operation::ListDrRelations, result.relations.as_ref().err()),
            (
                Operation::ListDrInfos,
                result.infos.as_ref().and_then(|r| r.as_ref().err()),
            ),
        ] {
            if let Some(error) = error {
                tracing::debug!(target = %result.target, %operation, kind = %error.kind(),
                    status = error.status(), code = error.code(),
                    request_id = error.request_id(), "target failed");
            }
        }
        let target = result.target.clone();
        each(
            Progress {
                done,
                total,
                failed,
                last: &target,
                ok,
            },
            result,
        );
    }
}
