//! Fault injection, as a reqwest client observes it.

mod common;

use std::error::Error as _;
use std::time::Duration;

use common::*;
use rds_dr_fake::Fault;
use serde_json::Value;

async fn faulty(kind: Fault) -> rds_dr_fake::RunningFake {
    small_fleet()
        .fault_rate(1.0)
        .faults(&[kind])
        .slow_delay(Duration::from_secs(3))
        .start()
        .await
        .unwrap()
}

/// The whole error chain, for assertion messages.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(" <- ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[tokio::test]
async fn too_many_requests_has_apigw_0308_and_retry_after() {
    let fake = faulty(Fault::TooManyRequests).await;
    let response = client()
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, code, request_id, _) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (429, "APIGW.0308"));
    assert_eq!(request_id.len(), 32);

    let fake = small_fleet()
        .fault_rate(1.0)
        .faults(&[Fault::TooManyRequests])
        .retry_after(Duration::from_secs(7))
        .start()
        .await
        .unwrap();
    let response = client()
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "7");
}

#[tokio::test]
async fn internal_error_and_unavailable_are_huawei_shaped() {
    for (kind, expected) in [(Fault::InternalError, 500), (Fault::Unavailable, 503)] {
        let fake = faulty(kind).await;
        let response = client()
            .get(relations_url(&fake, P_NORTH))
            .send()
            .await
            .unwrap();
        let (status, code, request_id, message) = error_parts(response).await;
        assert_eq!(status, expected);
        assert!(
            code.starts_with("DBS.") || code.starts_with("APIGW."),
            "{code}"
        );
        assert!(!request_id.is_empty() && !message.is_empty());
    }
}

#[tokio::test]
async fn reset_closes_the_connection_without_a_response() {
    let fake = faulty(Fault::Reset).await;
    let result = client().get(relations_url(&fake, P_NORTH)).send().await;
    let err = result.expect_err("a reset must not produce a response");
    eprintln!("reset seen by reqwest as: {}", chain(&err));
    assert!(
        err.status().is_none() && !err.is_timeout(),
        "{}",
        chain(&err)
    );
    let text = chain(&err).to_lowercase();
    assert!(
        text.contains("reset") || text.contains("closed") || text.contains("incomplete"),
        "not a connection error: {text}"
    );
    assert_eq!(
        fake.request_count(),
        1,
        "the client must not have seen a response to retry on"
    );
}

#[tokio::test]
async fn truncate_sends_half_the_body_with_the_full_content_length() {
    let fake = faulty(Fault::Truncate).await;
    let response = client()
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let full = serde_json::to_vec(&body_north()).unwrap().len() as u64;
    assert_eq!(response.content_length(), Some(full));
    let err = response
        .bytes()
        .await
        .expect_err("a truncated body must fail");
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{}",
        chain(&err)
    );

    // A raw read sees exactly half the body, then the end of the stream.
    let raw = raw_get(&fake, &relations_path(P_NORTH)).await;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers were sent");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains(&format!("content-length: {full}")),
        "{head}"
    );
    assert_eq!(body.len() as u64, full / 2);
}

/// One GET over a plain socket; everything read until the server closes.
async fn raw_get(fake: &rds_dr_fake::RunningFake, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(fake.local_addr())
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", fake.local_addr());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    buf
}

#[tokio::test]
async fn slow_stalls_past_a_short_client_timeout() {
    let fake = faulty(Fault::Slow).await;
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = impatient
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{}", chain(&err));
}

#[tokio::test]
async fn latency_delays_every_response() {
    let fake = small_fleet()
        .latency(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = impatient
        .get(relations_url(&fake, P_UNKNOWN))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{}", chain(&err));
}

/// Statuses of `rounds` requests alternating over two projects, `0` for a
/// transport failure.
async fn status_sequence(seed: u64, rounds: usize) -> Vec<u16> {
    let fake = small_fleet()
        .seed(seed)
        .fault_rate(0.5)
        .faults(&[
            Fault::TooManyRequests,
            Fault::InternalError,
            Fault::Unavailable,
            Fault::Reset,
        ])
        .start()
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..rounds {
        let project = if i % 2 == 0 { P_NORTH } else { P_EAST };
        // A fresh client per request, so a reset never spills into the next.
        let status = match client().get(relations_url(&fake, project)).send().await {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        };
        statuses.push(status);
    }
    statuses
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let first = status_sequence(42, 80).await;
    assert_eq!(first, status_sequence(42, 80).await);
    assert_ne!(first, status_sequence(43, 80).await);
    for expected in [0, 200, 429, 500, 503] {
        assert!(
            first.contains(&expected),
            "{expected} never seen in {first:?}"
        );
    }
}

#[tokio::test]
async fn a_retrying_client_always_gets_through() {
    // Every attempt would be faulted; the cap lets every fourth one through.
    let fake = small_fleet()
        .fault_rate(1.0)
        .faults(&[Fault::Unavailable])
        .max_consecutive_faults(3)
        .start()
        .await
        .unwrap();
    let client = client();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            client
                .get(relations_url(&fake, P_NORTH))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [503, 503, 503, 200, 503, 503, 503, 200]);

    // At 30% with mixed kinds, four attempts per project always suffice.
    let fake = small_fleet().seed(9).fault_rate(0.3).start().await.unwrap();
    for project in [P_NORTH, P_EAST, P_EAST_2] {
        let mut body = None;
        for _ in 0..4 {
            if let Ok(response) = common::client()
                .get(relations_url(&fake, project))
                .send()
                .await
                && response.status() == 200
                && let Ok(value) = response.json::<Value>().await
            {
                body = Some(value);
                break;
            }
        }
        assert!(body.is_some(), "project {project} never got through");
    }
}

#[tokio::test]
async fn zero_rate_or_no_kinds_means_no_faults() {
    for fake in [
        small_fleet().fault_rate(0.0).start().await.unwrap(),
        small_fleet()
            .fault_rate(1.0)
            .faults(&[])
            .start()
            .await
            .unwrap(),
    ] {
        for _ in 0..10 {
            let response = client()
                .get(relations_url(&fake, P_NORTH))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
}
