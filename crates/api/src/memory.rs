//! [`InMemoryApi`]: ListDrRelations and ListDrInfos served from captures in
//! memory, with scripted failures, for tests and offline use.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use rds_dr_model::{Capture, InfosCapture, InstanceDrInfo, Lenient};

use crate::{
    ApiError, BoxFuture, DrRelationsApi, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};

/// The error code [`InMemoryApi`] gives an unknown target (with HTTP 404).
///
/// This is the fake's own choice of a plausible RDS-style code, not a
/// documented Huawei code: match on the status (404) and kind
/// ([`crate::ErrorKind::Service`]) rather than on this value.
pub const NOT_FOUND_CODE: &str = "DBS.280238";

/// The error code [`InMemoryApi`] gives a ListDrInfos page with a `limit`
/// outside 1-100 or a negative `offset` (with HTTP 400); like
/// [`NOT_FOUND_CODE`], the fake's own choice.
pub const BAD_PAGE_CODE: &str = "DBS.280001";

type ErrorFactory = Arc<dyn Fn() -> ApiError + Send + Sync>;

/// Scripted ListDrInfos failures are keyed by target and offset (`None`:
/// any page).
type PageKey = (Target, Option<i64>);

/// A [`DrRelationsApi`] that answers from memory.
///
/// What a call for a target returns, first match wins:
/// 1. the next error scripted with [`with_failures`](InMemoryApi::with_failures)
///    (each is returned once, in order);
/// 2. a fresh error from the factory set with
///    [`with_failure`](InMemoryApi::with_failure) (every call);
/// 3. the response set with [`with_capture`](InMemoryApi::with_capture) or
///    [`with_response`](InMemoryApi::with_response) (several captures of one
///    target are merged: their records are concatenated in the order given);
/// 4. otherwise a 404 service error with code [`NOT_FOUND_CODE`] and a
///    request id `in-memory-N` (N counts such errors from 1).
///
/// Every call is counted per target ([`calls`](InMemoryApi::calls)), once the
/// returned future is first polled. Options (language) are accepted and
/// ignored.
///
/// ListDrInfos pages come from the records set with
/// [`with_infos`](InMemoryApi::with_infos) or
/// [`with_infos_capture`](InMemoryApi::with_infos_capture), paged by
/// `offset` and `limit` (default 10; outside 1-100, or a negative offset, is
/// a 400 with code [`BAD_PAGE_CODE`]), `total_count` all of them; the
/// filters and order are ignored. A target with relations but no records
/// answers an empty list; one with neither is a 404 as above. Infos calls
/// are counted apart ([`infos_calls`](InMemoryApi::infos_calls)) and fail as
/// scripted with [`with_infos_failures`](InMemoryApi::with_infos_failures)
/// (any page) or [`with_infos_failures_at`](InMemoryApi::with_infos_failures_at)
/// (one offset), then [`with_infos_failure`](InMemoryApi::with_infos_failure).
///
/// ```
/// use futures::executor::block_on;
/// use rds_dr_api::{ApiError, DrRelationsApi, RequestOptions, Target};
/// use rds_dr_api::memory::InMemoryApi;
/// use rds_dr_model::Capture;
///
/// let body = r#"{"instance_dr_relations": [{"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03"}]}"#;
/// let good: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// let flaky: Target = "cn-east-3/1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1".parse()?;
/// let unknown: Target = "ap-southeast-1/ffffffffffffffffffffffffffffffff".parse()?;
/// let api = InMemoryApi::new()
///     .with_capture(Capture { source: good.clone(), fetched_at: None, response: serde_json::from_str(body)? })
///     .with_response(flaky.clone(), Default::default())
///     .with_failures(flaky.clone(), [ApiError::from_status(503, "busy")]);
/// let options = RequestOptions::default();
///
/// let response = block_on(api.list_dr_relations(&good, &options))?;
/// assert_eq!(response.instance_dr_relations.len(), 1);
///
/// assert_eq!(block_on(api.list_dr_relations(&flaky, &options)).unwrap_err().status(), Some(503));
/// assert!(block_on(api.list_dr_relations(&flaky, &options)).is_ok());
/// assert_eq!(api.calls(&flaky), 2);
///
/// let missing = block_on(api.list_dr_relations(&unknown, &options)).unwrap_err();
/// assert_eq!(missing.status(), Some(404));
/// assert_eq!(missing.code(), Some(rds_dr_api::memory::NOT_FOUND_CODE));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct InMemoryApi {
    responses: HashMap<Target, ListDrRelationsResponse>,
    permanent: HashMap<Target, ErrorFactory>,
    scripted: Mutex<HashMap<Target, VecDeque<ApiError>>>,
    calls: Mutex<HashMap<Target, usize>>,
    not_found: AtomicU64,
    pending_polls: usize,
    infos: HashMap<Target, Vec<Lenient<InstanceDrInfo>>>,
    infos_permanent: HashMap<Target, ErrorFactory>,
    infos_scripted: Mutex<HashMap<PageKey, VecDeque<ApiError>>>,
    infos_calls: Mutex<HashMap<Target, usize>>,
}

impl InMemoryApi {
    /// An API that knows no target.
    pub fn new() -> Self {
        InMemoryApi::default()
    }

    /// Serves `capture.response` for `capture.source` (merged with any
    /// response already set for it). `fetched_at` is ignored.
    pub fn with_capture(self, capture: Capture) -> Self {
        self.with_response(capture.source, capture.response)
    }

    /// [`with_capture`](InMemoryApi::with_capture) for each capture.
    pub fn with_captures(self, captures: impl IntoIterator<Item = Capture>) -> Self {
        captures.into_iter().fold(self, InMemoryApi::with_capture)
    }

    /// Serves `response` for `target` (its records are appended to any
    /// response already set for it).
    pub fn with_response(mut self, target: Target, response: ListDrRelationsResponse) -> Self {
        self.responses
            .entry(target)
            .or_default()
            .instance_dr_relations
            .extend(response.instance_dr_relations);
        self
    }

    /// Makes every call for `target` fail with a fresh error from `error`
    /// (after any scripted failures). Replaces an earlier factory.
    pub fn with_failure(
        mut self,
        target: Target,
        error: impl Fn() -> ApiError + Send + Sync + 'static,
    ) -> Self {
        self.permanent.insert(target, Arc::new(error));
        self
    }

    /// Makes the next calls for `target` fail with `errors`, one call each,
    /// in order (appended to any already scripted); later calls answer
    /// normally.
    pub fn with_failures(
        mut self,
        target: Target,
        errors: impl IntoIterator<Item = ApiError>,
    ) -> Self {
        self.scripted
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(target)
            .or_default()
            .extend(errors);
        self
    }

    /// Makes the first `n` calls for `target` fail with fresh errors from
    /// `error`; a shorthand for [`with_failures`](InMemoryApi::with_failures).
    pub fn fail_first(self, target: Target, n: usize, error: impl Fn() -> ApiError) -> Self {
        self.with_failures(target, (0..n).map(|_| error()))
    }

    /// Serves `records` as `target`'s ListDrInfos list (appended to any
    /// records already set for it).
    pub fn with_infos(
        mut self,
        target: Target,
        records: impl IntoIterator<Item = impl Into<Lenient<InstanceDrInfo>>>,
    ) -> Self {
        self.infos
            .entry(target)
            .or_default()
            .extend(records.into_iter().map(Into::into));
        self
    }

    /// [`with_infos`](InMemoryApi::with_infos) for a capture's records.
    pub fn with_infos_capture(self, capture: InfosCapture) -> Self {
        self.with_infos(capture.source, capture.response.instance_dr_infos)
    }

    /// Makes every ListDrInfos call for `target` fail with a fresh error
    /// from `error` (after any scripted failures).
    pub fn with_infos_failure(
        mut self,
        target: Target,
        error: impl Fn() -> ApiError + Send + Sync + 'static,
    ) -> Self {
        self.infos_permanent.insert(target, Arc::new(error));
        self
    }

    /// Makes the next ListDrInfos calls for `target` (any page) fail with
    /// `errors`, one call each, in order.
    pub fn with_infos_failures(
        self,
        target: Target,
        errors: impl IntoIterator<Item = ApiError>,
    ) -> Self {
        self.script_infos((target, None), errors)
    }

    /// Makes the next calls for the page at `offset` of `target`'s
    /// ListDrInfos list fail with `errors`, one call each, in order (before
    /// the failures for any page).
    pub fn with_infos_failures_at(
        self,
        target: Target,
        offset: i64,
        errors: impl IntoIterator<Item = ApiError>,
    ) -> Self {
        self.script_infos((target, Some(offset)), errors)
    }

    fn script_infos(
        mut self,
        key: (Target, Option<i64>),
        errors: impl IntoIterator<Item = ApiError>,
    ) -> Self {
        self.infos_scripted
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .extend(errors);
        self
    }

    /// ListDrInfos calls (pages) made so far for `target`.
    pub fn infos_calls(&self, target: &Target) -> usize {
        lock(&self.infos_calls).get(target).copied().unwrap_or(0)
    }

    /// Makes every call stay pending for `polls` polls (waking itself each
    /// time) before answering, so that concurrent calls really overlap on any
    /// executor. Default 0: answers on the first poll.
    pub fn with_pending_polls(mut self, polls: usize) -> Self {
        self.pending_polls = polls;
        self
    }

    /// Calls made so far for `target`.
    pub fn calls(&self, target: &Target) -> usize {
        lock(&self.calls).get(target).copied().unwrap_or(0)
    }

    /// Calls made so far for all targets.
    pub fn total_calls(&self) -> usize {
        lock(&self.calls).values().sum()
    }

    /// Scripted failures not yet returned for `target`.
    pub fn pending_failures(&self, target: &Target) -> usize {
        lock(&self.scripted).get(target).map_or(0, VecDeque::len)
    }

    fn answer(&self, target: &Target) -> Result<ListDrRelationsResponse, ApiError> {
        if let Some(error) = lock(&self.scripted)
            .get_mut(target)
            .and_then(VecDeque::pop_front)
        {
            return Err(error);
        }
        if let Some(factory) = self.permanent.get(target) {
            return Err(factory());
        }
        if let Some(response) = self.responses.get(target) {
            return Ok(response.clone());
        }
        Err(self.not_found(target))
    }

    fn not_found(&self, target: &Target) -> ApiError {
        let n = self.not_found.fetch_add(1, Ordering::Relaxed) + 1;
        ApiError::from_status(
            404,
            format!(
                "the in-memory API has no DR relations for project {}",
                target.project_id
            ),
        )
        .with_code(NOT_FOUND_CODE)
        .with_request_id(format!("in-memory-{n}"))
    }
}

impl InMemoryApi {
    fn infos_page(
        &self,
        target: &Target,
        query: &QueryDrInfoRequest,
    ) -> Result<ListDrInfosResponse, ApiError> {
        let offset = query.offset.unwrap_or(0);
        {
            let mut scripted = lock(&self.infos_scripted);
            for key in [(target.clone(), Some(offset)), (target.clone(), None)] {
                if let Some(error) = scripted.get_mut(&key).and_then(VecDeque::pop_front) {
                    return Err(error);
                }
            }
        }
        if let Some(factory) = self.infos_permanent.get(target) {
            return Err(factory());
        }
        let limit = query.limit.unwrap_or(10);
        if !(1..=100).contains(&limit) || offset < 0 {
            return Err(ApiError::from_status(
                400,
                format!("invalid page: offset {offset}, limit {limit} (limit 1-100, offset >= 0)"),
            )
            .with_code(BAD_PAGE_CODE));
        }
        let records = match self.infos.get(target) {
            Some(records) => records.as_slice(),
            None if self.responses.contains_key(target) => &[],
            None => return Err(self.not_found(target)),
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(records.len());
        let end = start.saturating_add(limit as usize).min(records.len());
        Ok(ListDrInfosResponse {
            total_count: Some(records.len() as i64),
            instance_dr_infos: records[start..end].to_vec(),
        })
    }

    async fn pending(&self) {
        let mut left = self.pending_polls;
        futures::future::poll_fn(|cx| {
            if left == 0 {
                Poll::Ready(())
            } else {
                left -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for InMemoryApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut targets: Vec<String> = self.responses.keys().map(Target::to_string).collect();
        targets.sort();
        f.debug_struct("InMemoryApi")
            .field("targets", &targets)
            .field("failing", &self.permanent.len())
            .field("total_calls", &self.total_calls())
            .finish_non_exhaustive()
    }
}

impl DrRelationsApi for InMemoryApi {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        _options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            *lock(&self.calls).entry(target.clone()).or_insert(0) += 1;
            self.pending().await;
            self.answer(target)
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        _options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            *lock(&self.infos_calls).entry(target.clone()).or_insert(0) += 1;
            self.pending().await;
            self.infos_page(target, query)
        })
    }
}
