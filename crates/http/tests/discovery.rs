//! Project-id resolution: explicit map > environment > profile > IAM discovery.

mod common;

use std::time::SystemTime;

use common::*;
use rds_dr_api::ErrorKind;
use rds_dr_http::credentials::Chain;
use rds_dr_http::{Environment, HttpClient};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REGION_PID: &str = "0483b6b16e954cb88930a360d2c4e663";

fn projects(list: &[(&str, &str)]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|(id, name)| {
            format!(r#"{{"id":"{id}","name":"{name}","domain_id":"d","enabled":true}}"#)
        })
        .collect();
    format!(r#"{{"projects":[{}],"links":{{}}}}"#, items.join(","))
}

async fn iam(body: String, expect: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/projects"))
        .and(query_param("name", "cn-north-4"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "iam-1")
                .set_body_string(body),
        )
        .expect(expect)
        .mount(&server)
        .await;
    server
}

fn empty_env() -> Environment {
    Environment::from_map::<_, &str, &str>([])
}

fn client(iam: &MockServer) -> HttpClient {
    HttpClient::builder()
        .credentials(temporary_credentials())
        .iam_endpoint(iam.uri().parse().unwrap())
        .environment(empty_env())
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn one_match_is_used_and_cached() {
    let server = iam(
        projects(&[
            (REGION_PID, "cn-north-4"),
            ("ffffffffffffffffffffffffffffffff", "cn-north-4_sub"),
        ]),
        1,
    )
    .await;
    let client = client(&server);
    assert_eq!(client.project_id("cn-north-4").await.unwrap(), REGION_PID);
    // Cached: no second request (the mock expects exactly one).
    assert_eq!(client.project_id("cn-north-4").await.unwrap(), REGION_PID);
    assert_eq!(
        client.clone().project_id("cn-north-4").await.unwrap(),
        REGION_PID
    );

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.url.query(), Some("name=cn-north-4"));
    let headers = header_pairs(request);
    assert_eq!(header(&headers, "X-Project-Id"), None);
    assert_eq!(header(&headers, "Content-Type"), None);
    assert_eq!(header(&headers, "X-Security-Token"), Some(TOKEN));
    let verified = verify_received(request, &temporary_credentials(), SystemTime::now()).unwrap();
    assert_eq!(
        verified.signed_headers,
        ["host", "user-agent", "x-sdk-date", "x-security-token"]
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_discovery() {
    let server = iam(projects(&[(REGION_PID, "cn-north-4")]), 1).await;
    let client = client(&server);
    let calls = (0..8).map(|_| {
        let c = client.clone();
        async move { c.project_id("cn-north-4").await }
    });
    let results = futures_join_all(calls).await;
    for r in results {
        assert_eq!(r.unwrap(), REGION_PID);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn zero_matches_is_an_error() {
    let server = iam(
        projects(&[("ffffffffffffffffffffffffffffffff", "cn-north-1")]),
        2,
    )
    .await;
    let client = client(&server);
    let error = client.project_id("cn-north-4").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(
        error
            .message()
            .contains("no project named cn-north-4 visible to this AK"),
        "{error}"
    );
    assert_eq!(error.request_id(), Some("iam-1"));
    assert_no_secret(&error);
    // Failures are not cached: asked again.
    client.project_id("cn-north-4").await.unwrap_err();
}

#[tokio::test]
async fn several_matches_are_listed() {
    let a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let server = iam(projects(&[(a, "cn-north-4"), (b, "cn-north-4")]), 1).await;
    let error = client(&server).project_id("cn-north-4").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(
        error.message().contains("2 projects named cn-north-4"),
        "{error}"
    );
    assert!(
        error.message().contains(a) && error.message().contains(b),
        "{error}"
    );
}

#[tokio::test]
async fn iam_errors_say_where_they_came_from() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("X-Request-Id", "iam-401")
                .set_body_string(r#"{"error_msg":"Incorrect IAM authentication information","error_code":"APIGW.0301"}"#),
        )
        .mount(&server)
        .await;
    let error = client(&server).project_id("cn-north-4").await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.code(), Some("APIGW.0301"));
    assert_eq!(error.request_id(), Some("iam-401"));
    assert!(
        error
            .message()
            .starts_with("IAM project discovery for cn-north-4: Incorrect IAM"),
        "{error}"
    );
    assert_no_secret(&error);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;
    let error = client(&server).project_id("cn-north-4").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn explicit_then_environment_then_profile_then_discovery() {
    let server = iam(projects(&[(REGION_PID, "cn-north-4")]), 0).await;
    let env_pid = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    let profile_pid = "cccccccccccccccccccccccccccccccc";
    let explicit_pid = "dddddddddddddddddddddddddddddddd";
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("credentials");
    std::fs::write(
        &profile,
        format!("[basic]\nak = {AK}\nsk = {SK}\nproject_id = {profile_pid}\n"),
    )
    .unwrap();

    let chain = |env: Environment| {
        Chain::builder()
            .environment(env)
            .profile_file(&profile)
            .build()
    };
    let build = |chain: Chain| {
        HttpClient::builder()
            .credentials(chain)
            .iam_endpoint(server.uri().parse().unwrap())
            .environment(empty_env())
            .no_proxy()
    };
    let with_env = Environment::from_map([("HUAWEICLOUD_SDK_PROJECT_ID", env_pid)]);

    let c = build(chain(with_env.clone()))
        .project_id("cn-north-4", explicit_pid)
        .build()
        .unwrap();
    assert_eq!(c.project_id("cn-north-4").await.unwrap(), explicit_pid);
    let c = build(chain(with_env)).build().unwrap();
    assert_eq!(c.project_id("cn-north-4").await.unwrap(), env_pid);
    let c = build(chain(empty_env())).build().unwrap();
    assert_eq!(c.project_id("cn-north-4").await.unwrap(), profile_pid);
    // None of these asked IAM (the mock expects no request).
    assert!(server.received_requests().await.unwrap().is_empty());

    let bad = build(chain(Environment::from_map([(
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "xyz",
    )])))
    .build()
    .unwrap();
    assert_eq!(
        bad.project_id("cn-north-4").await.unwrap_err().kind(),
        ErrorKind::Configuration
    );
    let error = HttpClient::builder()
        .credentials(credentials())
        .project_id("cn-north-4", "short")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn iam_endpoint_from_environment_or_profile() {
    let server = iam(projects(&[(REGION_PID, "cn-north-4")]), 2).await;
    // From the client's environment.
    let c = HttpClient::builder()
        .credentials(credentials())
        .environment(Environment::from_map([(
            "HUAWEICLOUD_SDK_IAM_ENDPOINT",
            server.uri(),
        )]))
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        c.iam_base_url("cn-north-4").unwrap().as_str(),
        format!("{}/", server.uri())
    );
    assert_eq!(c.project_id("cn-north-4").await.unwrap(), REGION_PID);

    // From the profile file's iam_endpoint.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("credentials");
    std::fs::write(
        &profile,
        format!(
            "[basic]\nak = {AK}\nsk = {SK}\niam_endpoint = {}\n",
            server.uri()
        ),
    )
    .unwrap();
    let chain = Chain::builder()
        .environment(empty_env())
        .profile_file(&profile)
        .build();
    let c = HttpClient::builder()
        .credentials(chain)
        .environment(empty_env())
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(c.project_id("cn-north-4").await.unwrap(), REGION_PID);

    // Defaults: regional for known regions, global otherwise; never plain http elsewhere.
    let c = HttpClient::builder()
        .credentials(credentials())
        .environment(empty_env())
        .build()
        .unwrap();
    assert_eq!(
        c.iam_base_url("cn-north-4").unwrap().as_str(),
        "https://iam.cn-north-4.myhuaweicloud.com/"
    );
    assert_eq!(
        c.iam_base_url("eu-west-101").unwrap().as_str(),
        "https://iam.eu-west-101.myhuaweicloud.eu/"
    );
    assert_eq!(
        c.iam_base_url("zz-new-1").unwrap().as_str(),
        "https://iam.myhuaweicloud.com/"
    );
    let c = HttpClient::builder()
        .credentials(credentials())
        .environment(Environment::from_map([(
            "HUAWEICLOUD_SDK_IAM_ENDPOINT",
            "http://iam.example.com",
        )]))
        .build()
        .unwrap();
    let error = c.project_id("cn-north-4").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(!error.maybe_sent());
}
