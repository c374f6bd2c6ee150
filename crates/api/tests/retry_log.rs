//! The retry layer's debug log, alone in its test binary: a thread-local
//! tracing subscriber (`with_default`) can miss events while other test
//! threads of the same binary hit the same callsites without one, which made
//! this test flaky when it shared `tests/retry.rs`.

mod common;

use std::time::Duration;

use common::log_capture::LogCapture;
use common::{options, target, throttled, unavailable};
use futures::executor::block_on;
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{RetryPolicy, Retrying};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{DrRelationsApi, ListDrRelationsResponse};

#[test]
fn each_retry_is_logged_at_debug_with_kind_attempt_and_delay() {
    let t = target(8);
    let api = InMemoryApi::new()
        .with_response(t.clone(), ListDrRelationsResponse::default())
        .with_failures(
            t.clone(),
            [unavailable("req-x"), throttled(Duration::from_secs(3))],
        );
    let logs = LogCapture::default();
    tracing::subscriber::with_default(logs.subscriber(tracing::Level::DEBUG), || {
        let retrying = Retrying::new(&api, RetryPolicy::default(), ManualClock::new())
            .with_random(|| u64::MAX);
        assert!(block_on(retrying.list_dr_relations(&t, &options())).is_ok());
    });
    let log = logs.text();
    let retries: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("retrying ListDrRelations"))
        .collect();
    assert_eq!(retries.len(), 2, "{log}");
    assert!(retries.iter().all(|l| l.contains("DEBUG")), "{log}");
    assert!(
        retries[0].contains("attempt=1") && retries[0].contains("delay_ms=200"),
        "{log}"
    );
    assert!(
        retries[0].contains("kind=server error") && retries[0].contains("request_id=\"req-x\""),
        "{log}"
    );
    assert!(
        retries[1].contains("attempt=2") && retries[1].contains("delay_ms=3000"),
        "{log}"
    );
    assert!(retries[1].contains("class=throttling"), "{log}");
    assert!(retries[0].contains(&t.to_string()), "{log}");
}
