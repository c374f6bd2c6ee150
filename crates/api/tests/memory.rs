//! The in-memory API.

mod common;

use common::{capture, options, target};
use futures::executor::block_on;
use rds_dr_api::memory::{InMemoryApi, NOT_FOUND_CODE};
use rds_dr_api::{ApiError, DrRelationsApi, ErrorKind, Language, RequestOptions};

#[test]
fn unknown_targets_get_a_huawei_shaped_404() {
    let api = InMemoryApi::new().with_capture(capture(&target(1), "i-1"));
    let first = block_on(api.list_dr_relations(&target(2), &options())).expect_err("unknown");
    let second = block_on(api.list_dr_relations(&target(3), &options())).expect_err("unknown");
    for error in [&first, &second] {
        assert_eq!(error.kind(), ErrorKind::Service);
        assert_eq!(error.status(), Some(404));
        assert_eq!(error.code(), Some(NOT_FOUND_CODE));
        assert!(error.maybe_sent());
        assert!(!error.is_retryable());
    }
    assert!(first.message().contains(&target(2).project_id), "{first}");
    assert_eq!(first.request_id(), Some("in-memory-1"));
    assert_eq!(second.request_id(), Some("in-memory-2"));
    assert_eq!(api.calls(&target(2)), 1);
}

#[test]
fn captures_of_one_target_are_merged_in_order() {
    let t = target(1);
    let api = InMemoryApi::new().with_captures([
        capture(&t, "a"),
        capture(&t, "b"),
        capture(&target(2), "c"),
    ]);
    let response = block_on(api.list_dr_relations(&t, &options())).expect("known");
    let ids: Vec<Option<String>> = response
        .instance_dr_relations
        .iter()
        .map(|r| r.valid().and_then(|r| r.instance_id.clone()))
        .collect();
    assert_eq!(ids, [Some("a".to_owned()), Some("b".to_owned())]);
}

#[test]
fn scripted_failures_come_first_then_the_permanent_one_then_the_answer() {
    let t = target(1);
    let api = InMemoryApi::new()
        .with_capture(capture(&t, "a"))
        .with_failures(
            t.clone(),
            [
                ApiError::from_status(503, "one"),
                ApiError::from_status(429, "two"),
            ],
        )
        .fail_first(t.clone(), 1, || ApiError::new(ErrorKind::Timeout, "three"));
    assert_eq!(api.pending_failures(&t), 3);
    let messages: Vec<String> = (0..4)
        .map(|_| match block_on(api.list_dr_relations(&t, &options())) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.message().to_owned(),
        })
        .collect();
    assert_eq!(messages, ["one", "two", "three", "ok"]);
    assert_eq!(api.calls(&t), 4);
    assert_eq!(api.pending_failures(&t), 0);

    let failing = InMemoryApi::new()
        .with_capture(capture(&t, "a"))
        .with_failures(t.clone(), [ApiError::from_status(503, "scripted")])
        .with_failure(t.clone(), || ApiError::from_status(403, "always"));
    let results: Vec<Option<u16>> = (0..3)
        .map(|_| {
            block_on(failing.list_dr_relations(&t, &options()))
                .err()
                .and_then(|e| e.status())
        })
        .collect();
    assert_eq!(results, [Some(503), Some(403), Some(403)]);
}

#[test]
fn calls_are_counted_per_target_and_options_are_accepted() {
    let api = InMemoryApi::new()
        .with_capture(capture(&target(1), "a"))
        .with_pending_polls(2);
    let zh = RequestOptions {
        language: Some(Language::ZhCn),
        ..Default::default()
    };
    for _ in 0..3 {
        assert!(block_on(api.list_dr_relations(&target(1), &zh)).is_ok());
    }
    assert!(block_on(api.list_dr_relations(&target(9), &options())).is_err());
    assert_eq!(api.calls(&target(1)), 3);
    assert_eq!(api.calls(&target(9)), 1);
    assert_eq!(api.calls(&target(5)), 0);
    assert_eq!(api.total_calls(), 4);
    let debug = format!("{api:?}");
    assert!(debug.contains("total_calls: 4"), "{debug}");
}

#[test]
fn a_future_that_is_never_polled_is_not_a_call() {
    let api = InMemoryApi::new().with_capture(capture(&target(1), "a"));
    let opts = options();
    let t = target(1);
    drop(api.list_dr_relations(&t, &opts));
    assert_eq!(api.calls(&t), 0);
}

#[test]
fn pending_polls_really_yield() {
    use std::pin::pin;
    use std::task::{Context, Poll};

    let api = InMemoryApi::new()
        .with_capture(capture(&target(1), "a"))
        .with_pending_polls(3);
    let t = target(1);
    let opts = options();
    let mut future = pin!(api.list_dr_relations(&t, &opts));
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            assert!(result.is_ok());
            break;
        }
        assert!(polls < 10, "never ready");
    }
    assert_eq!(polls, 4);
}
