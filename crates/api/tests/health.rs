//! ListDrInfos: paging through a target's list, retried pages, and fleet
//! scans that fetch both operations.

mod common;

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use common::{Gauge, Jumble, capture, options, target};
use futures::executor::block_on;
use rds_dr_api::fleet::{FleetConfig, scan};
use rds_dr_api::infos::list_all;
use rds_dr_api::memory::InMemoryApi;
use rds_dr_api::retry::{Clock, RetryPolicy, Retrying};
use rds_dr_api::testing::ManualClock;
use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};
use rds_dr_model::{InstanceDrInfo, Lenient, Operation};

fn record(id: &str) -> InstanceDrInfo {
    InstanceDrInfo {
        id: Some(id.to_owned()),
        status: Some("normal".into()),
        master_instance_id: Some(format!("{id}-p")),
        slave_instance_id: Some(format!("{id}-d")),
        replica_state: Some("0".into()),
        ..Default::default()
    }
}

fn records(n: usize) -> Vec<InstanceDrInfo> {
    (0..n).map(|i| record(&format!("r{i:04}"))).collect()
}

fn ids(response: &ListDrInfosResponse) -> Vec<String> {
    response
        .instance_dr_infos
        .iter()
        .map(|r| r.valid().and_then(|r| r.id.clone()).unwrap_or_default())
        .collect()
}

fn all(api: &impl DrRelationsApi, t: &Target) -> Result<ListDrInfosResponse, ApiError> {
    block_on(list_all(api, t, &QueryDrInfoRequest::default(), &options()))
}

#[test]
fn an_exact_multiple_of_a_hundred_stops_at_total_count() {
    let t = target(1);
    let api = InMemoryApi::new().with_infos(t.clone(), records(200));
    let got = all(&api, &t).unwrap();
    assert_eq!(got.total_count, Some(200));
    assert_eq!(
        ids(&got),
        ids(&ListDrInfosResponse {
            total_count: None,
            instance_dr_infos: records(200).into_iter().map(Lenient::Valid).collect(),
        })
    );
    assert_eq!(
        api.infos_calls(&t),
        2,
        "offsets 0 and 100; 200 >= total_count"
    );
}

#[test]
fn a_short_last_page_and_an_empty_list() {
    let t = target(2);
    let api = InMemoryApi::new()
        .with_infos(t.clone(), records(201))
        .with_capture(capture(&target(3), "x"));
    let got = all(&api, &t).unwrap();
    assert_eq!(
        (got.total_count, got.instance_dr_infos.len()),
        (Some(201), 201)
    );
    assert_eq!(api.infos_calls(&t), 3);
    // A project with relations but no records: one call, an empty list.
    let empty = all(&api, &target(3)).unwrap();
    assert_eq!(
        (empty.total_count, empty.instance_dr_infos.len()),
        (Some(0), 0)
    );
    assert_eq!(api.infos_calls(&target(3)), 1);
    // An unknown project is the API's error.
    assert_eq!(all(&api, &target(4)).unwrap_err().status(), Some(404));
}

/// Answers pages from a fixed list of pages (by offset / 100), with a
/// `total_count` of its own choosing, and records the offsets asked for.
struct Pages {
    pages: Vec<Vec<InstanceDrInfo>>,
    total: Option<i64>,
    asked: std::sync::Mutex<Vec<(i64, i64)>>,
}

impl Pages {
    fn new(pages: Vec<Vec<InstanceDrInfo>>, total: Option<i64>) -> Self {
        Pages {
            pages,
            total,
            asked: Default::default(),
        }
    }

    fn asked(&self) -> Vec<(i64, i64)> {
        let mut asked = self.asked.lock().unwrap().clone();
        asked.sort();
        asked
    }
}

impl DrRelationsApi for Pages {
    fn list_dr_relations<'a>(
        &'a self,
        _: &'a Target,
        _: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async { Ok(Default::default()) })
    }

    fn list_dr_infos<'a>(
        &'a self,
        _: &'a Target,
        query: &'a QueryDrInfoRequest,
        _: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            let offset = query.offset.unwrap_or(0);
            let limit = query.limit.unwrap_or(10);
            self.asked.lock().unwrap().push((offset, limit));
            assert_eq!(
                (query.order.as_deref(), query.sort_field.as_deref()),
                (Some("ASC"), Some("time"))
            );
            let page = self
                .pages
                .get(usize::try_from(offset / 100).unwrap())
                .cloned()
                .unwrap_or_default();
            Ok(ListDrInfosResponse {
                total_count: self.total,
                instance_dr_infos: page.into_iter().map(Lenient::Valid).collect(),
            })
        })
    }
}

#[test]
fn a_total_count_larger_than_the_pages_stops_at_the_first_empty_page() {
    let all_records = records(150);
    let pages = Pages::new(
        vec![all_records[..100].to_vec(), all_records[100..].to_vec()],
        Some(450),
    );
    let got = all(&pages, &target(0)).unwrap();
    assert_eq!(got.instance_dr_infos.len(), 150);
    assert_eq!(
        got.total_count,
        Some(150),
        "the records kept, not the claim"
    );
    // Offsets 100-400 were asked at once after the first page.
    assert_eq!(
        pages.asked(),
        [(0, 100), (100, 100), (200, 100), (300, 100), (400, 100)]
    );
}

#[test]
fn a_total_count_smaller_than_the_pages_is_believed() {
    let all_records = records(200);
    let pages = Pages::new(
        vec![all_records[..100].to_vec(), all_records[100..].to_vec()],
        Some(60),
    );
    let got = all(&pages, &target(0)).unwrap();
    assert_eq!(got.instance_dr_infos.len(), 100);
    assert_eq!(pages.asked(), [(0, 100)]);
}

#[test]
fn without_total_count_pages_are_read_until_a_short_one() {
    let all_records = records(230);
    let pages = Pages::new(
        vec![
            all_records[..100].to_vec(),
            all_records[100..200].to_vec(),
            all_records[200..].to_vec(),
        ],
        None,
    );
    let got = all(&pages, &target(0)).unwrap();
    assert_eq!(got.instance_dr_infos.len(), 230);
    assert_eq!(pages.asked(), [(0, 100), (100, 100), (200, 100)]);
}

#[test]
fn duplicate_records_across_pages_are_kept_once_and_id_less_ones_all() {
    let mut first = records(100);
    let mut second = records(100)[60..].to_vec(); // 40 repeats of page one
    second.push(record("new"));
    first[5].id = None;
    let mut no_id = record("x");
    no_id.id = None;
    second.push(no_id);
    let pages = Pages::new(vec![first, second], Some(142));
    let got = all(&pages, &target(0)).unwrap();
    assert_eq!(got.instance_dr_infos.len(), 100 + 2);
    assert_eq!(got.total_count, Some(102));
    let got_ids = ids(&got);
    assert_eq!(got_ids.iter().filter(|id| *id == "r0060").count(), 1);
    assert_eq!(got_ids.iter().filter(|id| id.is_empty()).count(), 2);
    assert_eq!(got_ids[100], "new");
}

#[test]
fn a_page_that_fails_is_retried_alone() {
    let t = target(5);
    let api = InMemoryApi::new()
        .with_infos(t.clone(), records(300))
        .with_infos_failures_at(t.clone(), 200, [ApiError::from_status(503, "busy")]);
    let clock = ManualClock::new();
    let retrying = Retrying::new(&api, RetryPolicy::default(), clock.clone());
    let got = all(&retrying, &t).unwrap();
    assert_eq!(got.instance_dr_infos.len(), 300);
    assert_eq!(api.infos_calls(&t), 4, "three pages and one retry");
    assert_eq!(clock.sleeps().len(), 1);
    // Without retries the failed page fails the list.
    let api = InMemoryApi::new()
        .with_infos(t.clone(), records(300))
        .with_infos_failures_at(t.clone(), 200, [ApiError::from_status(503, "busy")]);
    assert_eq!(all(&api, &t).unwrap_err().status(), Some(503));
}

#[test]
fn a_target_whose_infos_fail_keeps_its_relations_and_the_reverse() {
    let (a, b, c) = (target(0), target(1), target(2));
    let api = InMemoryApi::new()
        .with_capture(capture(&a, "i-a"))
        .with_infos_failure(a.clone(), || ApiError::from_status(500, "infos down"))
        .with_capture(capture(&b, "i-b"))
        .with_failure(b.clone(), || ApiError::from_status(403, "relations denied"))
        .with_infos(b.clone(), records(3))
        .with_capture(capture(&c, "i-c"))
        .with_infos(c.clone(), records(120));
    let report = block_on(scan(
        &api,
        vec![c.clone(), b.clone(), a.clone()],
        options(),
        FleetConfig::new(),
        |_| {},
    ));
    let sources: Vec<&Target> = report.captures.iter().map(|x| &x.source).collect();
    assert_eq!(sources, [&a, &c]);
    let infos: Vec<(&Target, usize)> = report
        .infos
        .iter()
        .map(|x| (&x.source, x.response.instance_dr_infos.len()))
        .collect();
    assert_eq!(infos, [(&b, 3), (&c, 120)]);
    assert!(
        report
            .infos
            .iter()
            .all(|x| x.operation == Operation::ListDrInfos)
    );
    let failed: Vec<(&Target, Operation, Option<u16>)> = report
        .failures
        .iter()
        .map(|f| (&f.target, f.operation, f.error.status()))
        .collect();
    assert_eq!(
        failed,
        [
            (&a, Operation::ListDrInfos, Some(500)),
            (&b, Operation::ListDrRelations, Some(403)),
        ]
    );
    assert_eq!(report.total(), 3);

    // `health(false)`: ListDrInfos is never called.
    let report = block_on(scan(
        &api,
        vec![a.clone(), c.clone()],
        options(),
        FleetConfig::new().health(false),
        |_| {},
    ));
    assert!(report.infos.is_empty() && report.failures.is_empty());
    assert_eq!(api.infos_calls(&c), 2, "only the first scan's two pages");
}

#[test]
fn the_concurrency_limit_counts_pages_as_calls() {
    let mut api = InMemoryApi::new().with_pending_polls(3);
    let mut targets = Vec::new();
    for i in 0..30 {
        let t = target(i);
        api = api
            .with_capture(capture(&t, &format!("i-{i}")))
            .with_infos(t.clone(), records(100 * (i % 3) + 50));
        targets.push(t);
    }
    let gauge = Gauge::new(Jumble(&api));
    let report = block_on(scan(
        &gauge,
        targets.clone(),
        options(),
        FleetConfig::new().concurrency(5),
        |_| {},
    ));
    assert!(report.is_complete());
    assert_eq!(report.infos.len(), 30);
    for (i, capture) in report.infos.iter().enumerate() {
        let n = usize::from_str_radix(&capture.source.project_id, 16).unwrap();
        assert_eq!(
            capture.response.instance_dr_infos.len(),
            100 * (n % 3) + 50,
            "{i}"
        );
    }
    assert_eq!(gauge.max_in_flight(), 5);
    assert_eq!(gauge.in_flight(), 0);
}

/// A clock whose sleeps end only once `open` is set (by another target's
/// call), counting time as a [`ManualClock`] does.
#[derive(Clone)]
struct GateClock {
    open: Arc<AtomicBool>,
    inner: ManualClock,
}

impl Clock for GateClock {
    fn now(&self) -> Instant {
        self.inner.now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let open = Arc::clone(&self.open);
        let sleep = self.inner.sleep(duration);
        Box::pin(async move {
            futures::future::poll_fn(|cx| {
                if open.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            sleep.await;
        })
    }
}

/// Opens the gate when it is called for `opener`.
struct Opener<'a> {
    inner: &'a InMemoryApi,
    opener: Target,
    open: Arc<AtomicBool>,
}

impl DrRelationsApi for Opener<'_> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        if *target == self.opener {
            self.open.store(true, Ordering::SeqCst);
        }
        self.inner.list_dr_relations(target, options)
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        self.inner.list_dr_infos(target, query, options)
    }
}

#[test]
fn a_target_waiting_out_retry_after_does_not_hold_a_slot() {
    // One slot. `a` is throttled with Retry-After, and its wait only ends
    // once `b` has been called: if `a` kept its slot while waiting, `b`
    // could never run and the scan would never finish.
    let (a, b) = (target(0), target(1));
    let open = Arc::new(AtomicBool::new(false));
    let api = InMemoryApi::new()
        .with_capture(capture(&a, "i-a"))
        .with_capture(capture(&b, "i-b"))
        .with_failures(
            a.clone(),
            [ApiError::from_status(429, "slow down")
                .with_code("APIGW.0308")
                .with_retry_after(Duration::from_secs(2))],
        );
    let opener = Opener {
        inner: &api,
        opener: b.clone(),
        open: Arc::clone(&open),
    };
    let clock = GateClock {
        open,
        inner: ManualClock::new(),
    };
    let retrying = Retrying::new(&opener, RetryPolicy::default(), clock.clone());
    let mut fut = pin!(scan(
        &retrying,
        vec![a.clone(), b.clone()],
        options(),
        FleetConfig::new().concurrency(1).health(false),
        |_| {},
    ));
    let mut cx = Context::from_waker(Waker::noop());
    let report = (0..100_000)
        .find_map(|_| match fut.as_mut().poll(&mut cx) {
            Poll::Ready(report) => Some(report),
            Poll::Pending => None,
        })
        .expect("the scan finishes: the waiting target gave its slot back");
    assert!(report.is_complete());
    assert_eq!(report.captures.len(), 2);
    assert_eq!(api.calls(&a), 2);
    assert_eq!(clock.inner.sleeps(), [Duration::from_secs(2)]);
}
