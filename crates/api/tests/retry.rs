//! The retry layer, driven by the in-memory API and a virtual clock.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Slow, capture, options, target, throttled, unavailable};
use futures::executor::block_on;
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{
    GiveUpReason, RetryClass, RetryDecision, RetryPolicy, Retrying, StdRandom,
};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{ApiError, DrRelationsApi, ErrorKind, ListDrRelationsResponse, Target};

const MS: fn(u64) -> Duration = Duration::from_millis;
const SECS: fn(u64) -> Duration = Duration::from_secs;

/// Runs one call through `Retrying` over `api`; returns the result and the clock.
fn run(
    api: &InMemoryApi,
    policy: RetryPolicy,
    random: u64,
    target: &Target,
) -> (Result<ListDrRelationsResponse, ApiError>, ManualClock) {
    let clock = ManualClock::new();
    let retrying = Retrying::new(api, policy, clock.clone()).with_random(move || random);
    (
        block_on(retrying.list_dr_relations(target, &options())),
        clock,
    )
}

#[test]
fn two_503s_then_success_takes_three_attempts_with_full_jitter_sleeps() {
    let t = target(1);
    let expected = capture(&t, "i-1");
    for seed in 0..200 {
        let api = InMemoryApi::new()
            .with_capture(expected.clone())
            .with_failures(t.clone(), [unavailable("r1"), unavailable("r2")]);
        let clock = ManualClock::new();
        let retrying = Retrying::new(&api, RetryPolicy::default(), clock.clone())
            .with_random(StdRandom::seeded(seed));
        let response =
            block_on(retrying.list_dr_relations(&t, &options())).expect("third attempt succeeds");
        assert_eq!(response, expected.response);
        assert_eq!(api.calls(&t), 3);
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 2, "seed {seed}");
        // Full jitter: [0, 200 ms] then [0, 400 ms].
        assert!(sleeps[0] <= MS(200), "seed {seed}: {sleeps:?}");
        assert!(sleeps[1] <= MS(400), "seed {seed}: {sleeps:?}");
    }
}

#[test]
fn jitter_spans_the_whole_interval() {
    let t = target(1);
    // The extremes of the random source reach both ends of the interval.
    for (random, first, second) in [(0, MS(0), MS(0)), (u64::MAX, MS(200), MS(400))] {
        let api = InMemoryApi::new()
            .with_response(t.clone(), ListDrRelationsResponse::default())
            .fail_first(t.clone(), 2, || unavailable("r"));
        let (result, clock) = run(&api, RetryPolicy::default(), random, &t);
        assert!(result.is_ok());
        assert_eq!(clock.sleeps(), [first, second]);
    }
    // And a real source spreads: not every first sleep is the same.
    let mut firsts = Vec::new();
    for seed in 0..50 {
        let api = InMemoryApi::new()
            .with_response(t.clone(), ListDrRelationsResponse::default())
            .fail_first(t.clone(), 1, || unavailable("r"));
        let clock = ManualClock::new();
        let retrying = Retrying::new(&api, RetryPolicy::default(), clock.clone())
            .with_random(StdRandom::seeded(seed));
        assert!(block_on(retrying.list_dr_relations(&t, &options())).is_ok());
        firsts.push(clock.sleeps()[0]);
    }
    firsts.sort();
    firsts.dedup();
    assert!(firsts.len() > 40, "only {} distinct delays", firsts.len());
    assert!(firsts.iter().any(|d| *d < MS(100)) && firsts.iter().any(|d| *d > MS(100)));
}

#[test]
fn retry_after_is_a_lower_bound_on_the_delay() {
    let t = target(2);
    for random in [0, u64::MAX / 3, u64::MAX] {
        let api = InMemoryApi::new()
            .with_response(t.clone(), ListDrRelationsResponse::default())
            .with_failures(t.clone(), [throttled(SECS(7))]);
        let (result, clock) = run(&api, RetryPolicy::default(), random, &t);
        assert!(result.is_ok());
        assert_eq!(api.calls(&t), 2);
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 1);
        assert!(sleeps[0] >= SECS(7), "{sleeps:?}");
        // The jitter bound (200 ms) is below 7 s, so exactly 7 s.
        assert_eq!(sleeps[0], SECS(7));
    }
}

#[test]
fn jitter_above_retry_after_wins() {
    let t = target(2);
    let policy = RetryPolicy::builder()
        .initial_backoff(SECS(4))
        .build()
        .expect("valid policy");
    let api = InMemoryApi::new()
        .with_response(t.clone(), ListDrRelationsResponse::default())
        .with_failures(t.clone(), [throttled(SECS(1))]);
    let (result, clock) = run(&api, policy, u64::MAX, &t);
    assert!(result.is_ok());
    assert_eq!(clock.sleeps(), [SECS(4)]);
}

#[test]
fn retry_after_beyond_max_backoff_is_honoured_in_full() {
    let t = target(2);
    let api = InMemoryApi::new()
        .with_response(t.clone(), ListDrRelationsResponse::default())
        .with_failures(t.clone(), [throttled(SECS(30))]);
    let (result, clock) = run(&api, RetryPolicy::default(), 0, &t);
    assert!(result.is_ok());
    assert_eq!(clock.sleeps(), [SECS(30)]);
}

#[test]
fn retry_after_beyond_the_budget_gives_up_at_once_with_the_throttling_error() {
    let t = target(2);
    let api = InMemoryApi::new()
        .with_response(t.clone(), ListDrRelationsResponse::default())
        .with_failures(t.clone(), [throttled(SECS(120))]);
    let (result, clock) = run(&api, RetryPolicy::default(), 0, &t);
    let error = result.expect_err("gives up");
    assert_eq!(api.calls(&t), 1);
    assert!(clock.sleeps().is_empty());
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some("APIGW.0308"));
    assert_eq!(error.request_id(), Some("req-429"));
    assert_eq!(error.retry_after(), Some(SECS(120)));
    assert!(
        error
            .message()
            .starts_with("The throttling threshold has been reached"),
        "{error}"
    );
    assert!(error.message().contains("after 1 attempt in"), "{error}");
    assert!(error.message().contains("retry after 120s"), "{error}");
}

#[test]
fn client_errors_are_not_retried_and_keep_their_message() {
    let t = target(3);
    let errors: Vec<fn() -> ApiError> = vec![
        || ApiError::from_status(400, "bad request").with_code("DBS.280001"),
        || ApiError::from_status(401, "bad signature").with_code("APIGW.0301"),
        || ApiError::from_status(403, "forbidden").with_encoded_authorization_message("xyz"),
        || ApiError::from_status(404, "not found"),
        || ApiError::from_status(501, "not implemented"),
        || ApiError::from_status(505, "http version"),
        || ApiError::new(ErrorKind::Credentials, "no credentials"),
        || ApiError::new(ErrorKind::Configuration, "bad endpoint"),
        || ApiError::new(ErrorKind::Tls, "bad certificate").with_maybe_sent(true),
        || {
            ApiError::new(ErrorKind::Decode, "not JSON")
                .with_status(400)
                .with_maybe_sent(true)
        },
        || ApiError::new(ErrorKind::Decode, "not JSON"),
        // A whole 200 body that is not what was expected, or over the cap:
        // the same answer comes back next time.
        || {
            ApiError::new(ErrorKind::Decode, "body is not JSON")
                .with_status(200)
                .with_maybe_sent(true)
        },
    ];
    for make in errors {
        let api = InMemoryApi::new()
            .with_response(t.clone(), ListDrRelationsResponse::default())
            .with_failures(t.clone(), [make()]);
        let (result, clock) = run(&api, RetryPolicy::default(), u64::MAX, &t);
        let error = result.expect_err("not retried");
        let original = make();
        assert_eq!(api.calls(&t), 1, "{original}");
        assert!(clock.sleeps().is_empty(), "{original}");
        assert!(!error.is_retryable(), "{original}");
        assert_eq!(
            error.message(),
            original.message(),
            "the message is untouched"
        );
        assert_eq!(error.status(), original.status());
    }
}

#[test]
fn transient_and_server_errors_are_retried() {
    let t = target(3);
    let errors: Vec<fn() -> ApiError> = vec![
        || ApiError::from_status(500, "internal"),
        || ApiError::from_status(502, "bad gateway"),
        || ApiError::from_status(503, "unavailable"),
        || ApiError::from_status(504, "gateway timeout"),
        || ApiError::from_status(429, "throttled"),
        || ApiError::new(ErrorKind::Timeout, "read timed out").with_maybe_sent(true),
        || ApiError::new(ErrorKind::Connect, "connection refused"),
        || ApiError::new(ErrorKind::Connect, "connection reset").with_maybe_sent(true),
        || {
            ApiError::new(
                ErrorKind::Connect,
                "body truncated at byte 10: connection broke",
            )
            .with_status(200)
            .with_maybe_sent(true)
        },
    ];
    for make in errors {
        let api = InMemoryApi::new()
            .with_response(t.clone(), ListDrRelationsResponse::default())
            .with_failures(t.clone(), [make()]);
        let (result, clock) = run(&api, RetryPolicy::default(), u64::MAX, &t);
        assert!(result.is_ok(), "{}", make());
        assert_eq!(api.calls(&t), 2, "{}", make());
        assert_eq!(clock.sleeps().len(), 1);
        assert!(make().is_retryable());
    }
}

#[test]
fn max_attempts_is_respected_and_the_last_error_is_returned() {
    let t = target(4);
    for retries in [0u32, 1, 2, 5] {
        let counter = Arc::new(Mutex::new(0));
        let c = Arc::clone(&counter);
        let api = InMemoryApi::new().with_failure(t.clone(), move || {
            let mut n = c.lock().expect("not poisoned");
            *n += 1;
            unavailable(&format!("req-{n}"))
        });
        let policy = RetryPolicy::builder()
            .max_retries(retries)
            .build()
            .expect("valid policy");
        let (result, clock) = run(&api, policy, u64::MAX, &t);
        let error = result.expect_err("never succeeds");
        let attempts = retries as usize + 1;
        assert_eq!(api.calls(&t), attempts);
        assert_eq!(clock.sleeps().len(), attempts - 1);
        // The last error, with its request id, code and status intact.
        assert_eq!(error.request_id(), Some(format!("req-{attempts}").as_str()));
        assert_eq!(error.code(), Some("DBS.200001"));
        assert_eq!(error.status(), Some(503));
        assert_eq!(error.kind(), ErrorKind::Server);
        assert!(
            error.message().starts_with("Service Unavailable"),
            "{error}"
        );
        if attempts > 1 {
            assert!(
                error
                    .message()
                    .contains(&format!("gave up after {attempts} attempts")),
                "{error}"
            );
            assert!(
                error
                    .message()
                    .contains(&format!("limit of {attempts} attempts")),
                "{error}"
            );
        } else {
            assert_eq!(error.message(), "Service Unavailable");
        }
        // Display still carries everything the CLI prints.
        let shown = error.to_string();
        assert!(
            shown.contains("HTTP 503") && shown.contains(&format!("request id req-{attempts}")),
            "{shown}"
        );
    }
}

#[test]
fn a_different_last_error_is_the_one_returned() {
    let t = target(4);
    let api = InMemoryApi::new().with_failures(
        t.clone(),
        [
            unavailable("req-a"),
            ApiError::from_status(403, "forbidden").with_request_id("req-b"),
        ],
    );
    let (result, _) = run(&api, RetryPolicy::default(), 0, &t);
    let error = result.expect_err("403 ends it");
    assert_eq!(api.calls(&t), 2);
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.request_id(), Some("req-b"));
    assert!(
        error.message().contains("gave up after 2 attempts"),
        "{error}"
    );
    assert!(error.message().contains("not retryable"), "{error}");
}

#[test]
fn budget_exhaustion_stops_before_max_attempts() {
    let t = target(5);
    // Delays of exactly 400 ms, 800 ms, 1.6 s (random = MAX): the third does
    // not fit into a 2 s budget (0.4 + 0.8 + 1.6 > 2).
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .initial_backoff(MS(400))
        .budget(SECS(2))
        .build()
        .expect("valid policy");
    let api = InMemoryApi::new().with_failure(t.clone(), || unavailable("r"));
    let (result, clock) = run(&api, policy, u64::MAX, &t);
    let error = result.expect_err("budget runs out");
    assert_eq!(clock.sleeps(), [MS(400), MS(800)]);
    assert_eq!(api.calls(&t), 3);
    assert!(clock.total_slept() <= SECS(2));
    assert!(
        error
            .message()
            .contains("would exceed the retry budget of 2s"),
        "{error}"
    );
    assert_eq!(error.request_id(), Some("r"));
}

#[test]
fn slow_attempts_count_against_the_budget() {
    let t = target(5);
    let clock = ManualClock::new();
    let api = Slow {
        inner: InMemoryApi::new().with_failure(t.clone(), || {
            ApiError::new(ErrorKind::Timeout, "read timed out")
        }),
        clock: clock.clone(),
        per_call: SECS(30),
    };
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .build()
        .expect("valid policy");
    let retrying = Retrying::new(&api, policy, clock.clone()).with_random(|| u64::MAX);
    let error = block_on(retrying.list_dr_relations(&t, &options())).expect_err("budget runs out");
    // 30 s, sleep 0.2 s, 30 s: 60.2 s > 60 s, the budget is spent.
    assert_eq!(api.inner.calls(&t), 2);
    assert_eq!(clock.sleeps(), [MS(200)]);
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error.message().contains("budget of 60s is spent"),
        "{error}"
    );
}

#[test]
fn no_retries_policy_makes_one_attempt() {
    let t = target(6);
    let api = InMemoryApi::new().with_failure(t.clone(), || unavailable("r"));
    let (result, clock) = run(&api, RetryPolicy::no_retries(), 0, &t);
    assert_eq!(result.expect_err("fails").message(), "Service Unavailable");
    assert_eq!(api.calls(&t), 1);
    assert!(clock.sleeps().is_empty());
}

#[test]
fn decide_is_a_pure_function_of_its_inputs() {
    let policy = RetryPolicy::default();
    let e503 = unavailable("r");
    let max = || u64::MAX;
    assert_eq!(
        policy.decide(&e503, 1, Duration::ZERO, &max),
        RetryDecision::Retry {
            delay: MS(200),
            class: RetryClass::Server
        }
    );
    assert_eq!(
        policy.decide(&e503, 2, Duration::ZERO, &max),
        RetryDecision::Retry {
            delay: MS(400),
            class: RetryClass::Server
        }
    );
    assert_eq!(
        policy.decide(&e503, 3, Duration::ZERO, &max),
        RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted { max_attempts: 3 })
    );
    assert_eq!(
        policy.decide(&e503, 1, SECS(60), &max),
        RetryDecision::GiveUp(GiveUpReason::BudgetExhausted {
            budget: SECS(60),
            delay: Duration::ZERO
        })
    );
    assert_eq!(
        policy.decide(&throttled(SECS(10)), 1, SECS(55), &max),
        RetryDecision::GiveUp(GiveUpReason::RetryAfterBeyondBudget {
            retry_after: SECS(10),
            remaining: SECS(5)
        })
    );
    // No random number is drawn for a decision that needs none.
    let never = || -> u64 { panic!("no jitter needed") };
    assert_eq!(
        policy.decide(
            &ApiError::from_status(400, "bad"),
            1,
            Duration::ZERO,
            &never
        ),
        RetryDecision::GiveUp(GiveUpReason::NotRetryable)
    );
}

#[test]
fn classification_table() {
    let cases = [
        (ApiError::from_status(429, "x"), RetryClass::Throttling),
        (ApiError::from_status(500, "x"), RetryClass::Server),
        (ApiError::from_status(599, "x"), RetryClass::Server),
        (
            ApiError::new(ErrorKind::Server, "no status"),
            RetryClass::Server,
        ),
        (ApiError::from_status(501, "x"), RetryClass::NotRetryable),
        (ApiError::from_status(505, "x"), RetryClass::NotRetryable),
        (ApiError::from_status(404, "x"), RetryClass::NotRetryable),
        (
            ApiError::new(ErrorKind::Timeout, "x"),
            RetryClass::Transient,
        ),
        (
            ApiError::new(ErrorKind::Connect, "x"),
            RetryClass::Transient,
        ),
        (
            ApiError::new(ErrorKind::Decode, "x")
                .with_status(200)
                .with_maybe_sent(true),
            RetryClass::NotRetryable,
        ),
        (
            ApiError::new(ErrorKind::Decode, "x")
                .with_status(500)
                .with_maybe_sent(true),
            RetryClass::NotRetryable,
        ),
        (ApiError::new(ErrorKind::Tls, "x"), RetryClass::NotRetryable),
        (
            ApiError::new(ErrorKind::Credentials, "x"),
            RetryClass::NotRetryable,
        ),
        (
            ApiError::new(ErrorKind::Configuration, "x"),
            RetryClass::NotRetryable,
        ),
    ];
    for (error, class) in cases {
        assert_eq!(RetryClass::of(&error), class, "{error}");
        assert_eq!(error.is_retryable(), class.is_retryable(), "{error}");
    }
}

#[test]
fn every_attempt_calls_the_inner_api_anew_and_composes_with_arc_dyn() {
    let t = target(7);
    let api = Arc::new(
        InMemoryApi::new()
            .with_capture(capture(&t, "i-7"))
            .fail_first(t.clone(), 2, || {
                ApiError::new(ErrorKind::Connect, "refused")
            }),
    );
    let inner: Arc<dyn DrRelationsApi> = api.clone();
    let retrying: Arc<dyn DrRelationsApi> = Arc::new(Retrying::new(
        inner,
        RetryPolicy::default(),
        ManualClock::new(),
    ));
    assert!(block_on(retrying.list_dr_relations(&t, &options())).is_ok());
    assert_eq!(api.calls(&t), 3);
    assert_eq!(api.pending_failures(&t), 0);
}
