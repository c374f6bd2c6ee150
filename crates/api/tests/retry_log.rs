//! The retry layer's debug log, alone in its test binary: a thread-local
//! tracing subscriber (`with_default`) can miss events while other test
//! threads of the same binary hit the same callsites without one, which made
//! this test flaky when it shared `tests/retry.rs`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{options, target};
use futures::executor::block_on;
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{RetryPolicy, Retrying};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{ApiError, DrRelationsApi, ListDrRelationsResponse};

fn unavailable(request_id: &str) -> ApiError {
    ApiError::from_status(503, "Service Unavailable")
        .with_code("DBS.200001")
        .with_request_id(request_id)
}

fn throttled(retry_after: Duration) -> ApiError {
    ApiError::from_status(429, "The throttling threshold has been reached")
        .with_code("APIGW.0308")
        .with_request_id("req-429")
        .with_retry_after(retry_after)
}

/// A `Write` into a shared buffer, for capturing log output.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn each_retry_is_logged_at_debug_with_kind_attempt_and_delay() {
    let t = target(8);
    let api = InMemoryApi::new()
        .with_response(t.clone(), ListDrRelationsResponse::default())
        .with_failures(
            t.clone(),
            [unavailable("req-x"), throttled(Duration::from_secs(3))],
        );
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let retrying = Retrying::new(&api, RetryPolicy::default(), ManualClock::new())
            .with_random(|| u64::MAX);
        assert!(block_on(retrying.list_dr_relations(&t, &options())).is_ok());
    });
    let log = String::from_utf8(buffer.0.lock().expect("not poisoned").clone()).expect("utf-8");
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
