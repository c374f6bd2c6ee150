//! Test doubles for time: a virtual [`Clock`] that never really sleeps.
//!
//! Public (not test-only) so that other crates' tests can drive
//! [`crate::retry::Retrying`] deterministically too. Randomness needs no
//! double: any `Fn() -> u64` is a [`crate::retry::RandomSource`], and
//! [`crate::retry::StdRandom::seeded`] is reproducible.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::BoxFuture;
use crate::retry::Clock;

/// A virtual clock: `sleep(d)` completes at once and advances virtual time
/// by `d`, and every requested sleep is recorded.
///
/// Clones share the same time and record, so keep a clone to inspect what
/// the code under test did. Sleeps are applied in the order they are first
/// polled, one after another, as if they ran back to back: with several
/// concurrent sleepers virtual time runs ahead of real time.
///
/// ```
/// use std::time::Duration;
/// use futures::executor::block_on;
/// use rds_dr_api::retry::Clock;
/// use rds_dr_api::testing::ManualClock;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// block_on(clock.sleep(Duration::from_secs(7)));
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(clock.now() - start, Duration::from_secs(8));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(7)]);
/// assert_eq!(clock.total_slept(), Duration::from_secs(7));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    origin: Instant,
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock at virtual time zero (its `now()` starts at the real instant
    /// of creation and moves only when told).
    pub fn new() -> Self {
        ManualClock {
            state: Arc::new(Mutex::new(State {
                origin: Instant::now(),
                elapsed: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves virtual time forward without recording a sleep (e.g. to
    /// simulate a slow attempt).
    pub fn advance(&self, duration: Duration) {
        let mut state = self.lock();
        state.elapsed = state.elapsed.saturating_add(duration);
    }

    /// Virtual time passed since creation.
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// The sum of all sleeps requested so far.
    pub fn total_slept(&self) -> Duration {
        self.lock()
            .sleeps
            .iter()
            .fold(Duration::ZERO, |sum, d| sum.saturating_add(*d))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let state = self.lock();
        // Far beyond any test; saturate rather than panic.
        state
            .origin
            .checked_add(state.elapsed)
            .unwrap_or(state.origin)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let clock = self.clone();
        Box::pin(async move {
            let mut state = clock.lock();
            state.elapsed = state.elapsed.saturating_add(duration);
            state.sleeps.push(duration);
        })
    }
}
