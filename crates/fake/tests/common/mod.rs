//! Shared helpers for the fake server's integration tests.
#![allow(dead_code)]

/// The log capture shared with the other crates' tests.
#[path = "../../../../tests/common/log_capture.rs"]
pub mod log_capture;

use std::time::{Duration, SystemTime};

use rds_dr_fake::{FakeCloud, FakeCloudBuilder, RunningFake};
use rds_dr_model::{Capture, ListDrRelationsResponse, Source};
use rds_dr_sign::{Credentials, SignableRequest, sign};
use serde_json::{Value, json};

pub const P_NORTH: &str = "0483b6b16e954cb88930a360d2c4e663";
pub const P_EAST: &str = "1111b6b16e954cb88930a360d2c4e663";
pub const P_EAST_2: &str = "2222b6b16e954cb88930a360d2c4e663";
pub const P_UNKNOWN: &str = "ffffffffffffffffffffffffffffffff";

/// Test-only credentials.
pub const AK: &str = "FAKEAKFAKEAKFAKEAK01";
pub const SK: &str = "FakeSecretKeyForTestsOnly0123456789abcdef";
pub const TOKEN: &str = "FakeSecurityTokenForTestsOnly-0123456789";

pub fn body_north() -> Value {
    json!({"instance_dr_relations": [
        {"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
         "slave_instances": [{"instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
                              "region": "cn-east-3", "project_id": P_EAST, "project_name": "cn-east-3"}]}
    ]})
}

pub fn body_east() -> Value {
    json!({"instance_dr_relations": [
        {"instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
         "master_instance": {"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
                             "region": "cn-north-4", "project_id": P_NORTH, "project_name": "cn-north-4"}}
    ]})
}

pub fn capture(region: &str, project_id: &str, body: Value) -> Capture {
    let response: ListDrRelationsResponse =
        serde_json::from_value(body).expect("test body decodes");
    Capture {
        source: Source::new(region, project_id),
        fetched_at: None,
        response,
    }
}

/// A small fleet: one project in cn-north-4, two in cn-east-3.
pub fn small_fleet() -> FakeCloudBuilder {
    FakeCloud::builder()
        .capture(capture("cn-north-4", P_NORTH, body_north()))
        .capture(capture("cn-east-3", P_EAST, body_east()))
        .capture(capture(
            "cn-east-3",
            P_EAST_2,
            json!({"instance_dr_relations": []}),
        ))
}

pub fn relations_url(fake: &RunningFake, project_id: &str) -> String {
    format!(
        "{}/v3/{project_id}/instances/disaster-recovery-relation",
        fake.base_url()
    )
}

pub fn relations_path(project_id: &str) -> String {
    format!("/v3/{project_id}/instances/disaster-recovery-relation")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

/// A GET signed the way the official SDK signs it (Content-Type, Host,
/// X-Project-Id when given, X-Sdk-Date, X-Security-Token when the
/// credentials have one).
pub fn signed_get(
    client: &reqwest::Client,
    fake: &RunningFake,
    path: &str,
    query: &[(String, String)],
    project_id: Option<&str>,
    credentials: &Credentials,
    time: SystemTime,
) -> reqwest::RequestBuilder {
    let host = fake.local_addr().to_string();
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    if let Some(project_id) = project_id {
        headers.push(("X-Project-Id".to_string(), project_id.to_string()));
    }
    let request = SignableRequest {
        method: "GET",
        host: &host,
        path,
        query,
        headers: &headers,
        body: b"",
    };
    let out = sign(&request, credentials, time);
    let mut url = format!("{}{}", fake.base_url(), rds_dr_sign::encode_path(path));
    if !query.is_empty() {
        url.push('?');
        url.push_str(&rds_dr_sign::canonical_query(query));
    }
    let mut builder = client.get(url);
    for (name, value) in headers.iter() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    for (name, value) in out.headers.iter() {
        builder = builder.header(*name, value.as_str());
    }
    builder
}

/// A signed `GET` of `project_id`'s DR relations (with `X-Project-Id`),
/// sent.
pub async fn get_relations(
    fake: &RunningFake,
    project_id: &str,
    credentials: &Credentials,
    time: SystemTime,
) -> reqwest::Response {
    signed_get(
        &client(),
        fake,
        &relations_path(project_id),
        &[],
        Some(project_id),
        credentials,
        time,
    )
    .send()
    .await
    .expect("the fake answers")
}

/// Status, error code and request id (header and body) of an error answer.
pub async fn error_parts(response: reqwest::Response) -> (u16, String, String, String) {
    let status = response.status().as_u16();
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.expect("error body is JSON");
    let code = body["error_code"].as_str().unwrap_or_default().to_owned();
    let body_id = body["request_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        header_id, body_id,
        "the body's request_id is the X-Request-Id header"
    );
    (
        status,
        code,
        header_id,
        body["error_msg"].as_str().unwrap_or_default().to_owned(),
    )
}
