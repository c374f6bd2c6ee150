//! Proxies: explicit, from the (injected) environment, NO_PROXY, none.

mod common;

use common::*;
use rds_dr_api::RequestOptions;
use rds_dr_http::{Environment, HttpClient};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A target URL nothing listens on: a request only succeeds through the proxy.
async fn unreachable_endpoint() -> String {
    format!("http://127.0.0.1:{}", closed_port().await)
}

#[tokio::test]
async fn explicit_proxy_gets_the_absolute_form_request() {
    let proxy = RawServer::start(ok_reply(BODY), After::Close).await;
    let endpoint = unreachable_endpoint().await;
    let client = HttpClient::builder()
        .credentials(temporary_credentials())
        .endpoint(endpoint.parse().unwrap())
        .proxy(proxy.url().parse().unwrap())
        .build()
        .unwrap();
    let raw = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.body, BODY.as_bytes());
    assert_eq!(raw.request_id.as_deref(), Some("raw-1"));
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    let request_line = heads[0].lines().next().unwrap();
    assert_eq!(request_line, format!("GET {endpoint}{DR_PATH} HTTP/1.1"));
    let host = endpoint.trim_start_matches("http://");
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains(&format!("host: {host}")),
        "{}",
        heads[0]
    );
}

#[tokio::test]
async fn proxy_from_the_environment_and_no_proxy() {
    let proxy = RawServer::start(ok_reply(BODY), After::Close).await;
    let endpoint = unreachable_endpoint().await;
    let env = Environment::from_map([("http_proxy", proxy.url())]);
    let client = HttpClient::builder()
        .credentials(credentials())
        .endpoint(endpoint.parse().unwrap())
        .environment(env)
        .build()
        .unwrap();
    list(&client).await.unwrap();
    assert_eq!(proxy.heads().len(), 1);
    assert!(proxy.heads()[0].starts_with(&format!("GET {endpoint}/v3/")));

    // NO_PROXY names the host: straight to the server.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(BODY))
        .expect(2)
        .mount(&server)
        .await;
    let env = Environment::from_map([
        ("HTTP_PROXY", proxy.url()),
        ("NO_PROXY", "localhost,127.0.0.1".to_string()),
    ]);
    let client = HttpClient::builder()
        .credentials(credentials())
        .endpoint(server.uri().parse().unwrap())
        .environment(env.clone())
        .build()
        .unwrap();
    list(&client).await.unwrap();

    // no_proxy(): the variables are ignored.
    let env = Environment::from_map([("HTTP_PROXY", proxy.url())]);
    let client = HttpClient::builder()
        .credentials(credentials())
        .endpoint(server.uri().parse().unwrap())
        .environment(env)
        .no_proxy()
        .build()
        .unwrap();
    list(&client).await.unwrap();
    assert_eq!(
        proxy.heads().len(),
        1,
        "the proxy saw only the first request"
    );

    // An HTTPS_PROXY does not apply to a plain-http endpoint.
    let env = Environment::from_map([("HTTPS_PROXY", proxy.url())]);
    let client = HttpClient::builder()
        .credentials(credentials())
        .endpoint(endpoint.parse().unwrap())
        .environment(env)
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), rds_dr_api::ErrorKind::Connect, "{error}");
    assert_eq!(proxy.heads().len(), 1);
}

#[tokio::test]
async fn bare_host_port_proxy_and_bad_values() {
    let proxy = RawServer::start(ok_reply(BODY), After::Close).await;
    let endpoint = unreachable_endpoint().await;
    let bare = format!("127.0.0.1:{}", proxy.port);
    let client = HttpClient::builder()
        .credentials(credentials())
        .endpoint(endpoint.parse().unwrap())
        .environment(Environment::from_map([("ALL_PROXY", bare)]))
        .build()
        .unwrap();
    list(&client).await.unwrap();
    assert_eq!(proxy.heads().len(), 1);

    let error = HttpClient::builder()
        .credentials(credentials())
        .environment(Environment::from_map([(
            "HTTPS_PROXY",
            "http://user:pa55w0rd@[bad",
        )]))
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), rds_dr_api::ErrorKind::Configuration);
    assert!(error.message().contains("HTTPS_PROXY"), "{error}");
    assert!(
        !format!("{error} {error:?}").contains("pa55w0rd"),
        "{error:?}"
    );
}
