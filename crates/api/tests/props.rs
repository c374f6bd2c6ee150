//! Properties of the retry layer over random failure scripts and policies.

mod common;

use std::time::Duration;

use common::{Slow, options, target};
use futures::executor::block_on;
use proptest::prelude::*;
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{RetryClass, RetryPolicy, Retrying, StdRandom};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{ApiError, DrRelationsApi, ErrorKind, ListDrRelationsResponse};

/// One scripted failure: an error shape plus an optional `Retry-After` (ms).
#[derive(Clone, Debug)]
struct Failure {
    shape: u8,
    retry_after_ms: Option<u64>,
}

impl Failure {
    fn error(&self, n: usize) -> ApiError {
        let error = match self.shape {
            0 => ApiError::from_status(429, "throttled").with_code("APIGW.0308"),
            1 => ApiError::from_status(500, "internal"),
            2 => ApiError::from_status(503, "unavailable"),
            3 => ApiError::new(ErrorKind::Timeout, "read timed out"),
            4 => ApiError::new(ErrorKind::Connect, "reset"),
            5 => ApiError::new(ErrorKind::Connect, "body truncated")
                .with_status(200)
                .with_maybe_sent(true),
            6 => ApiError::from_status(400, "bad request"),
            7 => ApiError::from_status(501, "not implemented"),
            _ => ApiError::new(ErrorKind::Credentials, "none"),
        };
        let error = error.with_request_id(format!("req-{n}"));
        match self.retry_after_ms {
            Some(ms) => error.with_retry_after(Duration::from_millis(ms)),
            None => error,
        }
    }
}

fn failure() -> impl Strategy<Value = Failure> {
    (0u8..9, prop::option::of(0u64..90_000)).prop_map(|(shape, retry_after_ms)| Failure {
        shape,
        retry_after_ms,
    })
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        1u32..8,
        0u64..3_000,
        0u64..30_000,
        1.0f64..4.0,
        0u64..120_000,
    )
        .prop_map(|(attempts, initial, extra, multiplier, budget)| {
            RetryPolicy::builder()
                .max_attempts(attempts)
                .initial_backoff(Duration::from_millis(initial))
                .max_backoff(Duration::from_millis(initial + extra))
                .multiplier(multiplier)
                .budget(Duration::from_millis(budget))
                .build()
                .expect("the strategy only makes valid policies")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn retry_stays_within_attempts_and_budget(
        script in prop::collection::vec(failure(), 0..10),
        succeeds_at_end in any::<bool>(),
        policy in policy(),
        seed in any::<u64>(),
        attempt_ms in 0u64..20_000,
    ) {
        let t = target(1);
        let errors: Vec<ApiError> = script.iter().enumerate().map(|(n, f)| f.error(n + 1)).collect();
        let mut api = InMemoryApi::new().with_failures(t.clone(), errors);
        if succeeds_at_end {
            api = api.with_response(t.clone(), ListDrRelationsResponse::default());
        } else {
            let n = script.len() + 1;
            api = api.with_failure(t.clone(), move || {
                ApiError::from_status(503, "forever").with_request_id(format!("req-{n}"))
            });
        }
        let clock = ManualClock::new();
        let slow = Slow { inner: api, clock: clock.clone(), per_call: Duration::from_millis(attempt_ms) };
        let retrying = Retrying::new(&slow, policy.clone(), clock.clone()).with_random(StdRandom::seeded(seed));

        let result = block_on(retrying.list_dr_relations(&t, &options()));
        let calls = slow.inner.calls(&t);

        // Never more than max attempts, never asleep longer than the budget.
        prop_assert!(calls >= 1);
        prop_assert!(calls <= policy.max_attempts() as usize);
        prop_assert!(clock.total_slept() <= policy.budget());
        prop_assert_eq!(clock.sleeps().len(), calls - 1);
        // Every sleep started and ended within the budget, counting the
        // time the attempts took.
        let mut elapsed = Duration::ZERO;
        for sleep in clock.sleeps() {
            elapsed += Duration::from_millis(attempt_ms);
            prop_assert!(elapsed + sleep <= policy.budget());
            elapsed += sleep;
        }

        // The outcome follows the script: each call consumed one step.
        let step = |n: usize| script.get(n - 1).map(|f| f.error(n));
        match &result {
            Ok(_) => {
                prop_assert!(succeeds_at_end);
                prop_assert_eq!(calls, script.len() + 1);
            }
            Err(error) => {
                // The last call's error, request id intact (the permanent
                // failure after the script always has the same id).
                let expected_id = format!("req-{}", calls.min(script.len() + 1));
                prop_assert_eq!(error.request_id(), Some(expected_id.as_str()));
                if let Some(last) = step(calls) {
                    prop_assert_eq!(error.kind(), last.kind());
                    prop_assert_eq!(error.status(), last.status());
                }
            }
        }
        // Retrying stopped at the first non-retryable error, and never
        // retried past one.
        for n in 1..calls {
            if let Some(error) = step(n) {
                prop_assert!(RetryClass::of(&error).is_retryable(), "call {} retried after {}", n + 1, error);
            }
        }
        // Any `Retry-After` was honoured.
        for (n, sleep) in clock.sleeps().iter().enumerate() {
            if let Some(after) = step(n + 1).and_then(|e| e.retry_after()) {
                prop_assert!(*sleep >= after);
            }
        }
    }

    #[test]
    fn jitter_stays_within_its_bound(policy in policy(), retry in 0u32..64, random in any::<u64>()) {
        let delay = policy.jittered_backoff(retry, random);
        prop_assert!(delay <= policy.backoff_bound(retry));
        prop_assert!(policy.backoff_bound(retry) <= policy.max_backoff());
    }
}
