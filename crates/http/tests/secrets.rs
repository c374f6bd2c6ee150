//! No secret key or security token in any log line (TRACE included), error
//! or `Debug` output, across successful and failing calls.

mod common;

use common::log_capture::LogCapture;
use common::*;
use rds_dr_http::credentials::Chain;
use rds_dr_http::{ApiError, Environment, HttpClient};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn nothing_secret_at_trace_level() {
    let buffer = LogCapture::default();
    let subscriber = buffer.subscriber(tracing::Level::TRACE);
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut errors: Vec<ApiError> = Vec::new();

    // A successful call and discovery, with temporary credentials from the environment.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DR_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "ok-1")
                .set_body_string(BODY),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/projects"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"projects":[{{"id":"{PROJECT}","name":"{REGION}"}}]}}"#
        )))
        .mount(&server)
        .await;
    let env = Environment::from_map([
        ("HUAWEICLOUD_SDK_AK", AK),
        ("HUAWEICLOUD_SDK_SK", SK),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
    ]);
    let chain = Chain::builder()
        .environment(env)
        .profile_file("/nonexistent/credentials")
        .build();
    let client = HttpClient::builder()
        .credentials(chain)
        .endpoint(server.uri().parse().unwrap())
        .iam_endpoint(server.uri().parse().unwrap())
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(client.project_id(REGION).await.unwrap(), PROJECT);
    list(&client).await.unwrap();
    let debug = format!("{client:?}");

    // Failing calls of several kinds.
    let failing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#,
        ))
        .mount(&failing)
        .await;
    let client = client_for(&failing.uri(), temporary_credentials())
        .build()
        .unwrap();
    errors.push(list(&client).await.unwrap_err());
    errors.push(client.project_id(REGION).await.unwrap_err());
    let truncated = RawServer::start(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{}",
            &BODY[..30]
        )
        .into_bytes(),
        After::Close,
    )
    .await;
    let client = client_for(&truncated.url(), temporary_credentials())
        .build()
        .unwrap();
    errors.push(list(&client).await.unwrap_err());
    let port = closed_port().await;
    let client = client_for(&format!("http://127.0.0.1:{port}"), temporary_credentials())
        .build()
        .unwrap();
    errors.push(list(&client).await.unwrap_err());
    let missing = Chain::builder()
        .environment(Environment::from_map([
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
        ]))
        .profile_file("/nonexistent/credentials")
        .build();
    errors.push(missing.resolve().await.unwrap_err());

    drop(_guard);
    let logs = buffer.text();
    // The logging did happen, at every level we use.
    assert!(logs.contains("request headers"), "{logs}");
    assert!(logs.contains("Authorization: REDACTED"), "{logs}");
    assert!(logs.contains("X-Security-Token: REDACTED"), "{logs}");
    assert!(logs.contains("x-request-id: ok-1"), "{logs}");
    assert!(
        logs.contains("status=200") || logs.contains("status: 200"),
        "{logs}"
    );
    assert!(!logs.contains(SK), "secret key in the logs");
    assert!(!logs.contains(TOKEN), "token in the logs");
    assert!(!debug.contains(SK) && !debug.contains(TOKEN), "{debug}");
    assert_eq!(errors.len(), 5);
    for error in &errors {
        assert_no_secret(error);
    }
}
