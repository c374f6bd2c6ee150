//! Fleet scans over the in-memory API, ListDrRelations only (`health(false)`;
//! both operations are in `health.rs`).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Gauge, Jumble, capture, options, target};
use futures::executor::block_on;
use rds_dr_api::fleet::{FleetConfig, FleetReport, Progress, scan};
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{RetryPolicy, Retrying};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{ApiError, DrRelationsApi, ErrorKind, Target};

fn is_bad(i: usize) -> bool {
    i % 7 == 3
}

/// 100 targets; every 7th (from 3) fails for good with a 403.
fn fleet() -> (InMemoryApi, Vec<Target>) {
    let mut api = InMemoryApi::new().with_pending_polls(3);
    let mut targets = Vec::new();
    for i in 0..100 {
        let t = target(i);
        api = if is_bad(i) {
            let id = format!("req-{i}");
            api.with_failure(t.clone(), move || {
                ApiError::from_status(403, "forbidden")
                    .with_code("APIGW.0302")
                    .with_request_id(id.clone())
            })
        } else {
            api.with_capture(capture(&t, &format!("i-{i}")))
        };
        targets.push(t);
    }
    // Shuffle deterministically so input order differs from the sorted order.
    targets.sort_by_key(|t| {
        let n = u64::from_str_radix(&t.project_id, 16).unwrap_or(0);
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    });
    (api, targets)
}

#[derive(Debug, PartialEq, Eq)]
struct Seen {
    done: usize,
    total: usize,
    failed: usize,
    last: Target,
    ok: bool,
}

fn record(seen: &mut Vec<Seen>) -> impl FnMut(Progress<'_>) + '_ {
    |p| {
        seen.push(Seen {
            done: p.done,
            total: p.total,
            failed: p.failed,
            last: p.last.clone(),
            ok: p.ok,
        })
    }
}

fn check_report(report: &FleetReport, targets: &[Target]) {
    let good: Vec<Target> = targets
        .iter()
        .filter(|t| !is_bad(usize::from_str_radix(&t.project_id, 16).unwrap_or(0)))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let bad: Vec<Target> = targets
        .iter()
        .filter(|t| is_bad(usize::from_str_radix(&t.project_id, 16).unwrap_or(0)))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let got_good: Vec<Target> = report.captures.iter().map(|c| c.source.clone()).collect();
    let got_bad: Vec<Target> = report.failures.iter().map(|f| f.target.clone()).collect();
    assert_eq!(
        got_good, good,
        "captures sorted by source, one per good target"
    );
    assert_eq!(
        got_bad, bad,
        "failures sorted by target, one per bad target"
    );
    for c in &report.captures {
        let i = usize::from_str_radix(&c.source.project_id, 16).expect("hex");
        assert_eq!(c.response, capture(&c.source, &format!("i-{i}")).response);
    }
    for f in &report.failures {
        let i = usize::from_str_radix(&f.target.project_id, 16).expect("hex");
        assert_eq!(f.error.status(), Some(403));
        assert_eq!(f.error.request_id(), Some(format!("req-{i}").as_str()));
    }
}

#[test]
fn hundred_targets_with_concurrency_eight() {
    let (api, targets) = fleet();
    let gauge = Gauge::new(Jumble(&api));
    let mut seen = Vec::new();
    let report = block_on(scan(
        &gauge,
        targets.clone(),
        options(),
        FleetConfig::new().health(false).concurrency(8),
        record(&mut seen),
    ));

    check_report(&report, &targets);
    assert_eq!(report.captures.len(), 86);
    assert_eq!(report.failures.len(), 14);
    assert_eq!(report.total(), 100);
    assert!(!report.is_complete());

    // Bounded, and actually concurrent.
    assert!(
        gauge.max_in_flight() <= 8,
        "{} in flight",
        gauge.max_in_flight()
    );
    assert_eq!(gauge.max_in_flight(), 8);
    assert_eq!(gauge.in_flight(), 0);

    // Progress: once per target, counting up to total.
    assert_eq!(seen.len(), 100);
    for (k, s) in seen.iter().enumerate() {
        assert_eq!(s.done, k + 1);
        assert_eq!(s.total, 100);
    }
    assert_eq!(
        seen.last().map(|s| (s.done, s.total, s.failed)),
        Some((100, 100, 14))
    );
    let reported: BTreeSet<&Target> = seen.iter().map(|s| &s.last).collect();
    assert_eq!(reported.len(), 100);
    // Completion order was scrambled, so the sorted report proves sorting.
    let completion: Vec<&Target> = seen.iter().map(|s| &s.last).collect();
    assert!(
        completion.windows(2).any(|w| w[0] > w[1]),
        "completion order was not scrambled"
    );
    for s in &seen {
        let i = usize::from_str_radix(&s.last.project_id, 16).expect("hex");
        assert_eq!(s.ok, !is_bad(i));
    }
    // `failed` never decreases and grows exactly on failures.
    for pair in seen.windows(2) {
        assert_eq!(pair[1].failed, pair[0].failed + usize::from(!pair[1].ok));
    }
    // One call per target: no retries here.
    assert_eq!(api.total_calls(), 100);
}

#[test]
fn every_concurrency_limit_is_respected() {
    for limit in [1, 2, 3, 16, 200] {
        let (api, targets) = fleet();
        let gauge = Gauge::new(&api);
        let report = block_on(scan(
            &gauge,
            targets.clone(),
            options(),
            FleetConfig::new().health(false).concurrency(limit),
            |_| {},
        ));
        check_report(&report, &targets);
        assert!(
            gauge.max_in_flight() <= limit,
            "limit {limit}: {}",
            gauge.max_in_flight()
        );
        assert_eq!(gauge.max_in_flight(), limit.min(100), "limit {limit}");
    }
}

#[test]
fn zero_concurrency_means_one() {
    let (api, targets) = fleet();
    let gauge = Gauge::new(&api);
    let config = FleetConfig::new().health(false).concurrency(0);
    assert_eq!(config.concurrency_limit(), 1);
    let report = block_on(scan(&gauge, targets.clone(), options(), config, |_| {}));
    check_report(&report, &targets);
    assert_eq!(gauge.max_in_flight(), 1);
}

#[test]
fn the_report_does_not_depend_on_input_order_or_duplicates() {
    let (api, mut targets) = fleet();
    let first = block_on(scan(
        &Jumble(&api),
        targets.clone(),
        options(),
        FleetConfig::new().health(false),
        |_| {},
    ));
    targets.reverse();
    let mut doubled = targets.clone();
    doubled.extend(targets.iter().take(30).cloned());
    let mut seen = Vec::new();
    let second = block_on(scan(
        Jumble(&api),
        doubled,
        options(),
        FleetConfig::new().health(false).concurrency(3),
        record(&mut seen),
    ));
    assert_eq!(first.captures, second.captures);
    let ids = |r: &FleetReport| -> Vec<(Target, Option<String>)> {
        r.failures
            .iter()
            .map(|f| (f.target.clone(), f.error.request_id().map(str::to_owned)))
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
    // Duplicates are fetched once and counted once.
    assert_eq!(seen.len(), 100);
    assert_eq!(seen.last().map(|s| s.total), Some(100));
    assert_eq!(api.calls(&targets[0]), 2, "once per scan");
    assert_eq!(api.total_calls(), 200);
}

#[test]
fn an_empty_scan_reports_nothing() {
    let api = InMemoryApi::new();
    let mut calls = 0;
    let report = block_on(scan(
        &api,
        Vec::new(),
        options(),
        FleetConfig::new().health(false),
        |_| calls += 1,
    ));
    assert!(report.captures.is_empty() && report.failures.is_empty());
    assert!(report.is_complete());
    assert_eq!(calls, 0);
}

#[test]
fn fetched_at_comes_from_the_injected_time_source_or_stays_none() {
    let (api, targets) = fleet();
    let plain = block_on(scan(
        &api,
        targets.clone(),
        options(),
        FleetConfig::new().health(false),
        |_| {},
    ));
    assert!(plain.captures.iter().all(|c| c.fetched_at.is_none()));

    let stamps = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&stamps);
    let config = FleetConfig::new().health(false).fetched_at(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        format!("2026-11-28T10:00:{:02}Z", n % 60)
    });
    let stamped = block_on(scan(&api, targets, options(), config, |_| {}));
    assert!(stamped.captures.iter().all(|c| c.fetched_at.is_some()));
    // Asked once per success, never for failures.
    assert_eq!(stamps.load(Ordering::SeqCst), stamped.captures.len());
}

#[test]
fn scan_over_retrying_recovers_transient_failures_only() {
    let mut api = InMemoryApi::new();
    let mut targets = Vec::new();
    for i in 0..20 {
        let t = target(i);
        api = api.with_capture(capture(&t, &format!("i-{i}")));
        if i % 2 == 0 {
            api = api.fail_first(t.clone(), 2, || ApiError::from_status(503, "busy"));
        }
        if i % 5 == 0 {
            api = api.with_failure(t.clone(), || {
                ApiError::new(ErrorKind::Timeout, "read timed out")
            });
        }
        targets.push(t);
    }
    let clock = ManualClock::new();
    let retrying = Retrying::new(&api, RetryPolicy::default(), clock.clone());
    let report = block_on(scan(
        &retrying,
        targets.clone(),
        options(),
        FleetConfig::new().health(false),
        |_| {},
    ));
    // i % 5 == 0 fail for good (3 attempts each); the rest succeed.
    let failed: Vec<usize> = report
        .failures
        .iter()
        .map(|f| usize::from_str_radix(&f.target.project_id, 16).expect("hex"))
        .collect();
    assert_eq!(
        failed.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([0, 5, 10, 15])
    );
    assert_eq!(report.captures.len(), 16);
    for f in &report.failures {
        // 0 and 10: 503, 503, then the timeout; 5 and 15: three timeouts.
        assert_eq!(
            f.error.kind(),
            ErrorKind::Timeout,
            "the last error of 3 attempts"
        );
        assert!(
            f.error.message().contains("gave up after 3 attempts"),
            "{}",
            f.error
        );
        assert_eq!(api.calls(&f.target), 3);
    }
    // Recovered targets: 3 calls when 2 failures were scripted, else 1.
    for c in &report.captures {
        let i = usize::from_str_radix(&c.source.project_id, 16).expect("hex");
        assert_eq!(
            api.calls(&c.source),
            if i % 2 == 0 { 3 } else { 1 },
            "target {i}"
        );
    }
    assert_eq!(
        clock.sleeps().len(),
        10 * 2 + 2 * 2,
        "two sleeps per retried target"
    );
}

#[test]
fn works_behind_arc_dyn_and_through_generic_functions() {
    async fn fetch_one<A: DrRelationsApi>(api: A, t: &Target) -> usize {
        api.list_dr_relations(t, &options())
            .await
            .map(|r| r.instance_dr_relations.len())
            .unwrap_or(0)
    }

    let (api, targets) = fleet();
    let api: Arc<dyn DrRelationsApi> = Arc::new(api);
    let good = target(0);
    assert_eq!(block_on(fetch_one(&api, &good)), 1);
    assert_eq!(block_on(fetch_one(Arc::clone(&api), &good)), 1);
    assert_eq!(block_on(fetch_one(&*api, &good)), 1);
    let boxed: Box<dyn DrRelationsApi> =
        Box::new(InMemoryApi::new().with_capture(capture(&good, "x")));
    assert_eq!(block_on(fetch_one(boxed, &good)), 1);

    let report = block_on(scan(
        Arc::clone(&api),
        targets.clone(),
        options(),
        FleetConfig::new().health(false),
        |_| {},
    ));
    check_report(&report, &targets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_is_send_and_runs_on_a_multi_threaded_runtime() {
    let (api, targets) = fleet();
    let api = Arc::new(Gauge::new(api));
    let shared = Arc::clone(&api);
    let expected = targets.clone();
    let task = tokio::spawn(async move {
        let mut done = 0;
        let report = scan(
            shared,
            targets,
            options(),
            FleetConfig::new().health(false).concurrency(5),
            |p| done = p.done,
        )
        .await;
        (report, done)
    });
    let (report, done) = task.await.expect("scan task does not panic");
    check_report(&report, &expected);
    assert_eq!(done, 100);
    assert!(api.max_in_flight() <= 5);
}
