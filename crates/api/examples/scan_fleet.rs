//! Scans a fleet of (region, project) targets with retries, over the
//! in-memory API: what `rds-dr fetch` does over HTTPS, without a network.
//!
//! ```text
//! cargo run -p rds-dr-api --example scan_fleet
//! ```
//!
//! Twelve targets answer from [`InMemoryApi`]; four of them fail their first
//! two calls with a 503 and one is throttled once (429 with `Retry-After`),
//! which [`Retrying`] retries; one more is refused for good (403, not
//! retried). [`fleet::scan`] runs at most four calls at a time, and
//! [`ManualClock`] makes the backoff virtual, so the example never sleeps.
//! Swap `InMemoryApi` for `rds_dr_http::HttpClient` (and the clock for its
//! `TokioClock`) and the same code scans the real service.

use std::time::Duration;

use futures::executor::block_on;
use rds_dr_api::fleet::{self, FleetConfig, FleetReport};
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{RetryPolicy, Retrying, StdRandom};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{ApiError, ListDrRelationsResponse, RequestOptions, Target};

/// The `i`-th target: three regions, a distinct project id each.
fn target(i: usize) -> Target {
    let region = ["cn-north-4", "cn-east-3", "ap-southeast-1"][i % 3];
    Target::new(
        region,
        format!("{:032x}", 0x0483_b6b1_6e95_4cb8_u64 + i as u64),
    )
}

/// A body naming one instance (`..in03`).
fn body(i: usize) -> ListDrRelationsResponse {
    let json = format!(r#"{{"instance_dr_relations": [{{"instance_id": "{i:032x}in03"}}]}}"#);
    serde_json::from_str(&json).expect("a valid body")
}

/// What the scan did: the report and the virtual time spent waiting.
pub struct Outcome {
    /// One capture per target that answered, one failure per target that did not.
    pub report: FleetReport,
    /// Calls made, retries included.
    pub calls: usize,
    /// Backoff slept, in virtual time.
    pub slept: Duration,
}

/// Runs the scan of `targets` targets (the first is refused, the next four
/// fail twice, the sixth is throttled once).
pub fn scan(targets: usize) -> Outcome {
    let mut api = InMemoryApi::new();
    let all: Vec<Target> = (0..targets).map(target).collect();
    for (i, t) in all.iter().enumerate() {
        api = api.with_response(t.clone(), body(i));
        match i {
            0 => {
                api = api.with_failure(t.clone(), || {
                    ApiError::from_status(403, "Forbidden").with_code("DBS.280239")
                });
            }
            1..=4 => {
                api = api.fail_first(t.clone(), 2, || {
                    ApiError::from_status(503, "Service Unavailable").with_code("DBS.200001")
                });
            }
            5 => {
                api = api.fail_first(t.clone(), 1, || {
                    ApiError::from_status(429, "throttled")
                        .with_code("APIGW.0308")
                        .with_retry_after(Duration::from_secs(2))
                });
            }
            _ => {}
        }
    }
    let clock = ManualClock::new();
    let policy = RetryPolicy::builder()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(200))
        .build()
        .expect("a valid policy");
    let retrying = Retrying::new(&api, policy, clock.clone()).with_random(StdRandom::seeded(7));
    let report = block_on(fleet::scan(
        &retrying,
        all,
        RequestOptions::default(),
        FleetConfig::new().concurrency(4),
        |progress| {
            if !progress.ok {
                eprintln!(
                    "{} failed ({}/{})",
                    progress.last, progress.done, progress.total
                );
            }
        },
    ));
    Outcome {
        report,
        calls: api.total_calls(),
        slept: clock.total_slept(),
    }
}

fn main() {
    let outcome = scan(12);
    let report = &outcome.report;
    println!(
        "{} targets: {} answered, {} failed; {} calls, {:?} of backoff (virtual)",
        report.total(),
        report.captures.len(),
        report.failures.len(),
        outcome.calls,
        outcome.slept
    );
    for failure in &report.failures {
        println!("  {}: {}", failure.target, failure.error);
    }
}
