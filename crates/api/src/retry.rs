//! Classified, budgeted retries for any [`DrRelationsApi`].
//!
//! Retrying is split the way smithy-rs splits it:
//!
//! 1. **Classification** ([`RetryClass::of`]): what kind of failure is this?
//!    Throttling (429), transient (timeout, broken connection, body cut
//!    short), server (5xx other than 501 and 505), or not retryable
//!    (everything else: 4xx, credentials, configuration, TLS, 501, 505).
//! 2. **Decision** ([`RetryPolicy::decide`]): given the class, the attempts
//!    made so far and the time spent, retry after some delay or give up.
//!    The delay is exponential backoff with *full jitter*: a uniformly random
//!    duration in `[0, min(max_backoff, initial_backoff * multiplier^n)]`
//!    for the `n`-th retry (`n` from 0). A `Retry-After` from the service
//!    raises the delay to at least that long.
//! 3. **Execution** ([`Retrying`]): a layer that is itself a
//!    [`DrRelationsApi`], so it composes with anything else generic over the
//!    trait (e.g. [`crate::fleet::scan`]). Every attempt calls the inner API
//!    anew, so the HTTP layer signs each attempt freshly.
//!
//! Time and randomness are injected: a [`Clock`] (`now` and `sleep`) and a
//! [`RandomSource`]. This crate ships no runtime-based clock (the runtime
//! belongs to the HTTP and CLI layers); [`crate::testing::ManualClock`] is a
//! virtual clock for tests, so retry tests never really sleep.
//!
//! # The budget
//!
//! [`RetryPolicy::budget`] bounds the whole call, counted from the start of
//! the first attempt. It is checked between attempts: a retry is made only if
//! its delay ends within the budget; otherwise the call gives up at once with
//! the last error. An attempt already running is not cut off; per-attempt
//! timeouts belong to the transport.
//!
//! # `Retry-After`
//!
//! A `Retry-After` ([`ApiError::retry_after`]) is honoured in full: the delay
//! is `max(jittered backoff, Retry-After)`, even when that exceeds
//! `max_backoff` (waiting less than the service asked would most likely earn
//! another 429). If it exceeds the remaining budget, the call gives up now
//! with the throttling error, rather than waiting for a retry it could not
//! afford.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use futures::executor::block_on;
//! use rds_dr_api::{ApiError, DrRelationsApi, RequestOptions, Target};
//! use rds_dr_api::memory::InMemoryApi;
//! use rds_dr_api::retry::{RetryPolicy, Retrying};
//! use rds_dr_api::testing::ManualClock;
//!
//! let target: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
//! // Two 503s, then the (empty) answer.
//! let api = InMemoryApi::new()
//!     .with_response(target.clone(), Default::default())
//!     .with_failures(target.clone(), [
//!         ApiError::from_status(503, "busy"),
//!         ApiError::from_status(503, "busy"),
//!     ]);
//! let policy = RetryPolicy::builder()
//!     .max_retries(3) // what `--retries 3` means: 4 attempts in all
//!     .initial_backoff(Duration::from_millis(200))
//!     .build()?;
//! let clock = ManualClock::new();
//! let retrying = Retrying::new(&api, policy, clock.clone());
//!
//! let response = block_on(retrying.list_dr_relations(&target, &RequestOptions::default()));
//! assert!(response.is_ok());
//! assert_eq!(api.calls(&target), 3);
//! // Two virtual sleeps, each within its full-jitter bound.
//! let sleeps = clock.sleeps();
//! assert_eq!(sleeps.len(), 2);
//! assert!(sleeps[0] <= Duration::from_millis(200));
//! assert!(sleeps[1] <= Duration::from_millis(400));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rds_dr_model::random;

use crate::{
    ApiError, BoxFuture, DrRelationsApi, ErrorKind, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};

mod builder;

pub use builder::{InvalidRetryPolicy, RetryPolicyBuilder};

/// What kind of failure an [`ApiError`] is, for retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// The service throttled the call (HTTP 429, `APIGW.0308`).
    Throttling,
    /// A transient transport failure: a timeout, a refused or broken
    /// connection, or a body cut short.
    Transient,
    /// The service failed (5xx other than 501 Not Implemented and 505 HTTP
    /// Version Not Supported, which no retry will fix).
    Server,
    /// Trying again will not help: 4xx, credentials, configuration, TLS,
    /// an unreadable body that was not a success answer, 501, 505.
    NotRetryable,
}

impl RetryClass {
    /// Classifies an error.
    ///
    /// ```
    /// use rds_dr_api::{ApiError, ErrorKind};
    /// use rds_dr_api::retry::RetryClass;
    ///
    /// assert_eq!(RetryClass::of(&ApiError::from_status(429, "slow down")), RetryClass::Throttling);
    /// assert_eq!(RetryClass::of(&ApiError::from_status(503, "busy")), RetryClass::Server);
    /// assert_eq!(RetryClass::of(&ApiError::from_status(501, "no")), RetryClass::NotRetryable);
    /// assert_eq!(RetryClass::of(&ApiError::from_status(400, "bad")), RetryClass::NotRetryable);
    /// assert_eq!(RetryClass::of(&ApiError::new(ErrorKind::Timeout, "read")), RetryClass::Transient);
    /// ```
    pub fn of(error: &ApiError) -> RetryClass {
        match error.kind() {
            ErrorKind::Throttled => RetryClass::Throttling,
            ErrorKind::Server => match error.status() {
                Some(501 | 505) => RetryClass::NotRetryable,
                _ => RetryClass::Server,
            },
            ErrorKind::Timeout | ErrorKind::Connect => RetryClass::Transient,
            // A body that arrived whole but cannot be read (not JSON, the wrong
            // shape, over the size cap) is the service's answer: asking again
            // will not change it. A body cut short by a broken connection is
            // `Connect`, above.
            ErrorKind::Decode
            | ErrorKind::Service
            | ErrorKind::Tls
            | ErrorKind::Credentials
            | ErrorKind::Configuration => RetryClass::NotRetryable,
        }
    }

    /// Whether errors of this class may be retried.
    pub fn is_retryable(self) -> bool {
        self != RetryClass::NotRetryable
    }
}

impl fmt::Display for RetryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryClass::Throttling => "throttling",
            RetryClass::Transient => "transient",
            RetryClass::Server => "server",
            RetryClass::NotRetryable => "not retryable",
        })
    }
}

/// When and how often to retry. Build one with [`RetryPolicy::builder`].
///
/// | setting | default |
/// |---|---|
/// | [`max_attempts`](RetryPolicyBuilder::max_attempts) (first attempt included) | 3 (= 2 retries) |
/// | [`initial_backoff`](RetryPolicyBuilder::initial_backoff) | 200 ms |
/// | [`max_backoff`](RetryPolicyBuilder::max_backoff) | 20 s |
/// | [`multiplier`](RetryPolicyBuilder::multiplier) | 2 |
/// | [`budget`](RetryPolicyBuilder::budget) (whole call, from the first attempt) | 60 s |
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f64,
    budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: RetryPolicy::DEFAULT_MAX_ATTEMPTS,
            initial_backoff: RetryPolicy::DEFAULT_INITIAL_BACKOFF,
            max_backoff: RetryPolicy::DEFAULT_MAX_BACKOFF,
            multiplier: RetryPolicy::DEFAULT_MULTIPLIER,
            budget: RetryPolicy::DEFAULT_BUDGET,
        }
    }
}

impl RetryPolicy {
    /// Default attempts in all, the first one included.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
    /// Default upper bound of the first retry's delay.
    pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(200);
    /// Default upper bound of any computed delay.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(20);
    /// Default growth of the delay bound per retry.
    pub const DEFAULT_MULTIPLIER: f64 = 2.0;
    /// Default time budget of a whole call.
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

    /// A builder starting from the defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder::new()
    }

    /// A policy that makes one attempt and never retries.
    pub fn no_retries() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Retries after the first attempt: `max_attempts - 1`.
    pub fn max_retries(&self) -> u32 {
        self.max_attempts - 1
    }

    /// Upper bound of the first retry's delay.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Upper bound of any computed delay (a `Retry-After` may exceed it).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Growth of the delay bound per retry.
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// Time budget of a whole call, counted from the start of the first attempt.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The full-jitter bound of the `retry`-th retry (0 for the first):
    /// `min(max_backoff, initial_backoff * multiplier^retry)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rds_dr_api::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::default();
    /// assert_eq!(policy.backoff_bound(0), Duration::from_millis(200));
    /// assert_eq!(policy.backoff_bound(1), Duration::from_millis(400));
    /// assert_eq!(policy.backoff_bound(50), Duration::from_secs(20));
    /// ```
    pub fn backoff_bound(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let secs = self.initial_backoff.as_secs_f64() * self.multiplier.powi(exponent);
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The jittered delay before the `retry`-th retry (0 for the first):
    /// uniformly in `[0, backoff_bound(retry)]`, picked by `random` (the full
    /// `u64` range maps onto the interval, both ends included).
    pub fn jittered_backoff(&self, retry: u32, random: u64) -> Duration {
        scale(self.backoff_bound(retry), random)
    }

    /// Decides what to do after attempt number `attempts_made` (1 for the
    /// first) failed with `error`, `elapsed` after the first attempt began.
    /// `random` is asked for one number only when a backoff is computed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rds_dr_api::ApiError;
    /// use rds_dr_api::retry::{GiveUpReason, RetryDecision, RetryPolicy};
    ///
    /// let policy = RetryPolicy::default();
    /// let throttled = ApiError::from_status(429, "slow down").with_retry_after(Duration::from_secs(7));
    /// let decision = policy.decide(&throttled, 1, Duration::ZERO, &|| u64::MAX);
    /// assert!(matches!(decision, RetryDecision::Retry { delay, .. } if delay == Duration::from_secs(7)));
    ///
    /// let bad_request = ApiError::from_status(400, "bad");
    /// let decision = policy.decide(&bad_request, 1, Duration::ZERO, &|| 0);
    /// assert_eq!(decision, RetryDecision::GiveUp(GiveUpReason::NotRetryable));
    /// ```
    pub fn decide(
        &self,
        error: &ApiError,
        attempts_made: u32,
        elapsed: Duration,
        random: &dyn RandomSource,
    ) -> RetryDecision {
        let class = RetryClass::of(error);
        if !class.is_retryable() {
            return RetryDecision::GiveUp(GiveUpReason::NotRetryable);
        }
        if attempts_made >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted {
                max_attempts: self.max_attempts,
            });
        }
        let remaining = self.budget.saturating_sub(elapsed);
        if remaining.is_zero() {
            return RetryDecision::GiveUp(GiveUpReason::BudgetExhausted {
                budget: self.budget,
                delay: Duration::ZERO,
            });
        }
        if let Some(retry_after) = error.retry_after()
            && retry_after > remaining
        {
            return RetryDecision::GiveUp(GiveUpReason::RetryAfterBeyondBudget {
                retry_after,
                remaining,
            });
        }
        let jittered = self.jittered_backoff(attempts_made.saturating_sub(1), random.next_u64());
        let delay = error
            .retry_after()
            .map_or(jittered, |after| after.max(jittered));
        if delay > remaining {
            return RetryDecision::GiveUp(GiveUpReason::BudgetExhausted {
                budget: self.budget,
                delay,
            });
        }
        RetryDecision::Retry { delay, class }
    }
}

/// Scales `bound` by `random / u64::MAX`: a value in `[0, bound]`.
fn scale(bound: Duration, random: u64) -> Duration {
    let Some(product) = bound.as_nanos().checked_mul(u128::from(random)) else {
        // Only for bounds over ~584 years; float precision is plenty there.
        let fraction = random as f64 / u64::MAX as f64;
        return Duration::try_from_secs_f64(bound.as_secs_f64() * fraction)
            .unwrap_or(bound)
            .min(bound);
    };
    let nanos = product / u128::from(u64::MAX);
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9, so it fits.
    let subsec = (nanos % 1_000_000_000) as u32;
    Duration::new(secs, subsec).min(bound)
}

/// What [`RetryPolicy::decide`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait `delay`, then try again.
    Retry {
        /// How long to wait before the next attempt.
        delay: Duration,
        /// The class of the error that is retried.
        class: RetryClass,
    },
    /// Stop and return the last error.
    GiveUp(GiveUpReason),
}

/// Why a call gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUpReason {
    /// The error is not retryable.
    NotRetryable,
    /// The attempt limit was reached.
    AttemptsExhausted {
        /// The limit: attempts in all, the first one included.
        max_attempts: u32,
    },
    /// The next delay would end after the budget (or the budget is spent).
    BudgetExhausted {
        /// The budget of the whole call.
        budget: Duration,
        /// The delay that did not fit (zero when the budget was already spent).
        delay: Duration,
    },
    /// The service's `Retry-After` exceeds what is left of the budget.
    RetryAfterBeyondBudget {
        /// What the service asked for.
        retry_after: Duration,
        /// What was left of the budget.
        remaining: Duration,
    },
}

impl fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GiveUpReason::NotRetryable => f.write_str("the error is not retryable"),
            GiveUpReason::AttemptsExhausted { max_attempts } => {
                write!(f, "the limit of {max_attempts} attempts was reached")
            }
            GiveUpReason::BudgetExhausted { budget, delay } if delay.is_zero() => {
                write!(f, "the retry budget of {} is spent", Secs(*budget))
            }
            GiveUpReason::BudgetExhausted { budget, delay } => write!(
                f,
                "a further wait of {} would exceed the retry budget of {}",
                Secs(*delay),
                Secs(*budget)
            ),
            GiveUpReason::RetryAfterBeyondBudget {
                retry_after,
                remaining,
            } => write!(
                f,
                "the service asked to retry after {}, beyond the {} left of the retry budget",
                Secs(*retry_after),
                Secs(*remaining)
            ),
        }
    }
}

/// Formats a duration as seconds with up to three decimals (`1.5s`, `60s`).
struct Secs(Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis.is_multiple_of(1000) {
            write!(f, "{}s", millis / 1000)
        } else {
            let text = format!("{}.{:03}", millis / 1000, millis % 1000);
            write!(f, "{}s", text.trim_end_matches('0'))
        }
    }
}

/// Time as the retry layer sees it: a monotonic `now` and an async `sleep`.
///
/// Implement it over your runtime, e.g. with tokio (which this crate does
/// not depend on):
///
/// ```
/// use std::time::{Duration, Instant};
/// use rds_dr_api::BoxFuture;
/// use rds_dr_api::retry::Clock;
///
/// struct TokioClock;
///
/// impl Clock for TokioClock {
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///     fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
///         // `async move` defers tokio's timer to the first poll, which
///         // happens inside the runtime.
///         Box::pin(async move { tokio::time::sleep(duration).await })
///     }
/// }
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
/// let clock = TokioClock;
/// let start = clock.now();
/// runtime.block_on(clock.sleep(Duration::from_millis(5)));
/// assert!(clock.now() - start >= Duration::from_millis(5));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Tests use [`crate::testing::ManualClock`].
pub trait Clock: Send + Sync {
    /// The current instant (monotonic).
    fn now(&self) -> Instant;

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

/// Where jitter comes from: uniformly distributed `u64`s.
///
/// Any `Fn() -> u64 + Send + Sync` is one; [`StdRandom`] is the default.
pub trait RandomSource: Send + Sync {
    /// The next random number.
    fn next_u64(&self) -> u64;
}

impl<F: Fn() -> u64 + Send + Sync> RandomSource for F {
    fn next_u64(&self) -> u64 {
        self()
    }
}

/// A small non-cryptographic generator (the workspace's SplitMix64,
/// [`rds_dr_model::random`]), good enough for jitter: seeded from std's per-process random hasher keys by
/// [`StdRandom::new`], or from a fixed seed by [`StdRandom::seeded`] for
/// reproducible tests. Thread-safe without locks.
#[derive(Debug)]
pub struct StdRandom {
    state: AtomicU64,
}

impl Default for StdRandom {
    fn default() -> Self {
        StdRandom::new()
    }
}

impl StdRandom {
    /// A generator seeded from std's [`RandomState`] (random per process).
    pub fn new() -> Self {
        StdRandom::seeded(RandomState::new().hash_one(0x5eed_u64))
    }

    /// A generator that yields the same sequence for the same seed.
    pub fn seeded(seed: u64) -> Self {
        StdRandom {
            state: AtomicU64::new(seed),
        }
    }
}

impl RandomSource for StdRandom {
    fn next_u64(&self) -> u64 {
        // One generator step, taken atomically: the output of the state
        // this thread claimed.
        random::mix(self.state.fetch_add(random::GAMMA, Ordering::Relaxed))
    }
}

/// A [`DrRelationsApi`] layer that retries the inner API's failures
/// according to a [`RetryPolicy`].
///
/// Each attempt calls the inner API anew. Each retry is logged with
/// `tracing` at debug level (target, error kind, status, code, request id,
/// attempt, delay; never a credential). On giving up, the error is the last
/// one, unchanged except that, when more than one attempt was made or the
/// budget stopped the call, its message ends with how many attempts were
/// made and why retrying stopped; its kind, status, code and request id are
/// kept.
///
/// ```
/// use std::sync::Arc;
/// use futures::executor::block_on;
/// use rds_dr_api::{ApiError, DrRelationsApi, RequestOptions, Target};
/// use rds_dr_api::memory::InMemoryApi;
/// use rds_dr_api::retry::{RetryPolicy, Retrying};
/// use rds_dr_api::testing::ManualClock;
///
/// let target: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// let api = InMemoryApi::new()
///     .with_failure(target.clone(), || ApiError::from_status(503, "busy").with_request_id("req-1"));
/// // A layer is itself an API: it can go behind `Arc<dyn DrRelationsApi>`.
/// let api: Arc<dyn DrRelationsApi> =
///     Arc::new(Retrying::new(api, RetryPolicy::default(), ManualClock::new()));
///
/// let error = block_on(api.list_dr_relations(&target, &RequestOptions::default())).unwrap_err();
/// assert_eq!(error.status(), Some(503));
/// assert_eq!(error.request_id(), Some("req-1"));
/// assert!(error.message().contains("after 3 attempts"), "{error}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Retrying<A> {
    inner: A,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
}

impl<A> Retrying<A> {
    /// Wraps `inner`; jitter comes from a fresh [`StdRandom`].
    pub fn new(inner: A, policy: RetryPolicy, clock: impl Clock + 'static) -> Self {
        Retrying {
            inner,
            policy,
            clock: Arc::new(clock),
            random: Arc::new(StdRandom::new()),
        }
    }

    /// Replaces the source of jitter (e.g. a fixed value in tests).
    pub fn with_random(mut self, random: impl RandomSource + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The wrapped API.
    pub fn inner(&self) -> &A {
        &self.inner
    }

    /// Unwraps the inner API.
    pub fn into_inner(self) -> A {
        self.inner
    }
}

impl<A: fmt::Debug> fmt::Debug for Retrying<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrying")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<A: DrRelationsApi> DrRelationsApi for Retrying<A> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(self.run("ListDrRelations", target, options, move || {
            self.inner.list_dr_relations(target, options)
        }))
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(self.run("ListDrInfos", target, options, move || {
            self.inner.list_dr_infos(target, query, options)
        }))
    }
}

impl<A> Retrying<A> {
    /// The retry loop around one operation's attempts. While it waits
    /// between attempts it gives back the caller's concurrency slot, if the
    /// options carry one, and waits for it again before the next attempt.
    async fn run<'a, T>(
        &'a self,
        operation: &'static str,
        target: &'a Target,
        options: &'a RequestOptions,
        attempt_once: impl Fn() -> BoxFuture<'a, Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let start = self.clock.now();
        let mut attempt: u32 = 1;
        loop {
            let error = match attempt_once().await {
                Ok(response) => {
                    if attempt > 1 {
                        tracing::debug!(%target, attempt, "{operation} succeeded after retrying");
                    }
                    return Ok(response);
                }
                Err(error) => error,
            };
            let elapsed = self.clock.now().saturating_duration_since(start);
            match self.policy.decide(&error, attempt, elapsed, &*self.random) {
                RetryDecision::Retry { delay, class } => {
                    tracing::debug!(
                        %target,
                        kind = %error.kind(),
                        %class,
                        status = error.status(),
                        code = error.code(),
                        request_id = error.request_id(),
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "retrying {operation}"
                    );
                    if let Some(slot) = &options.slot {
                        slot.release();
                    }
                    self.clock.sleep(delay).await;
                    if let Some(slot) = &options.slot {
                        slot.reacquire().await;
                    }
                    attempt += 1;
                }
                RetryDecision::GiveUp(reason) => {
                    let noted = attempt > 1
                        || matches!(
                            reason,
                            GiveUpReason::BudgetExhausted { .. }
                                | GiveUpReason::RetryAfterBeyondBudget { .. }
                        );
                    if !noted {
                        return Err(error);
                    }
                    tracing::debug!(
                        %target,
                        kind = %error.kind(),
                        status = error.status(),
                        code = error.code(),
                        request_id = error.request_id(),
                        attempts = attempt,
                        %reason,
                        "giving up on {operation}"
                    );
                    let plural = if attempt == 1 { "" } else { "s" };
                    let message = format!(
                        "{} (gave up after {attempt} attempt{plural} in {}: {reason})",
                        error.message(),
                        Secs(elapsed)
                    );
                    return Err(error.with_message(message));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_covers_both_ends() {
        let bound = Duration::from_millis(400);
        assert_eq!(scale(bound, 0), Duration::ZERO);
        assert_eq!(scale(bound, u64::MAX), bound);
        let mid = scale(bound, u64::MAX / 2);
        assert!(
            mid > Duration::from_millis(199) && mid < Duration::from_millis(201),
            "{mid:?}"
        );
        assert_eq!(scale(Duration::MAX, u64::MAX), Duration::MAX);
    }

    #[test]
    fn backoff_bound_grows_and_saturates() {
        let policy = RetryPolicy::builder()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1))
            .multiplier(3.0)
            .build()
            .expect("valid");
        let bounds: Vec<u128> = (0..5)
            .map(|n| policy.backoff_bound(n).as_millis())
            .collect();
        assert_eq!(bounds, [100, 300, 900, 1000, 1000]);
        assert_eq!(policy.backoff_bound(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn builder_rejects_nonsense() {
        assert!(RetryPolicy::builder().max_attempts(0).build().is_err());
        assert!(RetryPolicy::builder().multiplier(0.5).build().is_err());
        assert!(RetryPolicy::builder().multiplier(f64::NAN).build().is_err());
        assert!(
            RetryPolicy::builder()
                .initial_backoff(Duration::from_secs(5))
                .max_backoff(Duration::from_secs(1))
                .build()
                .is_err()
        );
        let policy = RetryPolicy::builder()
            .max_retries(4)
            .build()
            .expect("valid");
        assert_eq!((policy.max_attempts(), policy.max_retries()), (5, 4));
        assert_eq!(
            RetryPolicy::builder()
                .max_retries(u32::MAX)
                .build()
                .map(|p| p.max_attempts()),
            Ok(u32::MAX)
        );
    }

    #[test]
    fn secs_formatting() {
        assert_eq!(Secs(Duration::from_secs(60)).to_string(), "60s");
        assert_eq!(Secs(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(Secs(Duration::from_millis(205)).to_string(), "0.205s");
    }

    #[test]
    fn seeded_random_is_reproducible_and_spread() {
        let a = StdRandom::seeded(7);
        let b = StdRandom::seeded(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let high = xs.iter().filter(|x| **x > u64::MAX / 2).count();
        assert!((25..=75).contains(&high), "{high} of 100 in the upper half");
    }
}
