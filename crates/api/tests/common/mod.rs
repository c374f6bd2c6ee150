//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// The log capture shared with the other crates' tests.
#[path = "../../../../tests/common/log_capture.rs"]
pub mod log_capture;

use std::sync::atomic::{AtomicUsize, Ordering};

use rds_dr_api::testing::ManualClock;
use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};
use rds_dr_model::Capture;

/// The `i`-th synthetic target: four regions, distinct project ids.
pub fn target(i: usize) -> Target {
    Target::new(format!("region-{}", i % 4), format!("{i:032x}"))
}

/// A capture for `target` with one record naming `instance`.
pub fn capture(target: &Target, instance: &str) -> Capture {
    let body = format!(r#"{{"instance_dr_relations": [{{"instance_id": "{instance}"}}]}}"#);
    Capture {
        source: target.clone(),
        fetched_at: None,
        response: serde_json::from_str(&body).expect("valid body"),
    }
}

pub fn options() -> RequestOptions {
    RequestOptions::default()
}

/// A retryable server error (503, `DBS.200001`) with `request_id`.
pub fn unavailable(request_id: &str) -> ApiError {
    ApiError::from_status(503, "Service Unavailable")
        .with_code("DBS.200001")
        .with_request_id(request_id)
}

/// Throttling (429, `APIGW.0308`) asking to wait `retry_after`.
pub fn throttled(retry_after: std::time::Duration) -> ApiError {
    ApiError::from_status(429, "The throttling threshold has been reached")
        .with_code("APIGW.0308")
        .with_request_id("req-429")
        .with_retry_after(retry_after)
}

/// Wraps an API and measures how many calls are in flight at once.
pub struct Gauge<A> {
    pub inner: A,
    now: AtomicUsize,
    max: AtomicUsize,
}

impl<A> Gauge<A> {
    pub fn new(inner: A) -> Self {
        Gauge {
            inner,
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
        }
    }

    pub fn max_in_flight(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    pub fn in_flight(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }
}

impl<A: DrRelationsApi> DrRelationsApi for Gauge<A> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(n, Ordering::SeqCst);
            let result = self.inner.list_dr_relations(target, options).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(n, Ordering::SeqCst);
            let result = self.inner.list_dr_infos(target, query, options).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }
}

/// Wraps an API so that every attempt takes `per_call` of virtual time.
pub struct Slow<A> {
    pub inner: A,
    pub clock: ManualClock,
    pub per_call: std::time::Duration,
}

impl<A: DrRelationsApi> DrRelationsApi for Slow<A> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            self.clock.advance(self.per_call);
            self.inner.list_dr_relations(target, options).await
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            self.clock.advance(self.per_call);
            self.inner.list_dr_infos(target, query, options).await
        })
    }
}

/// Wraps an API so that each target's call stays pending a different number
/// of polls (0 to 9, from the target's text), scrambling completion order.
pub struct Jumble<A>(pub A);

impl<A: DrRelationsApi> DrRelationsApi for Jumble<A> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            jumble(target).await;
            self.0.list_dr_relations(target, options).await
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            jumble(target).await;
            self.0.list_dr_infos(target, query, options).await
        })
    }
}

/// Stays pending 0 to 9 polls, from the target's text.
async fn jumble(target: &Target) {
    let text = target.to_string();
    let mut left = text
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 10;
    futures::future::poll_fn(|cx| {
        if left == 0 {
            std::task::Poll::Ready(())
        } else {
            left -= 1;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}
