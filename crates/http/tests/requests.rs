//! ListDrRelations over HTTP against servers on 127.0.0.1: signing, headers,
//! errors of every kind, limits.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use common::*;
use rds_dr_api::retry::{RetryClass, RetryPolicy, Retrying};
use rds_dr_api::{ApiError, DrRelationsApi, ErrorKind, Language, RequestOptions};
use rds_dr_http::HttpClient;
use rds_dr_sign::{SignableRequest, sign};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DR_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "req-ok")
                .set_body_string(BODY),
        )
        .mount(&server)
        .await;
    server
}

fn en_us() -> RequestOptions {
    RequestOptions {
        language: Some(Language::EnUs),
        ..Default::default()
    }
}

#[tokio::test]
async fn known_answer_on_the_wire() {
    let server = ok_server().await;
    let client = client_for(&server.uri(), credentials())
        .no_user_agent()
        .clock(known_time)
        .build()
        .unwrap();
    let response = client.list_dr_relations(&target(), &en_us()).await.unwrap();
    assert_eq!(response.instance_dr_relations.len(), 1);

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let headers = header_pairs(request);
    assert_eq!(header(&headers, "X-Sdk-Date"), Some("20240101T000000Z"));
    assert_eq!(header(&headers, "Content-Type"), Some("application/json"));
    assert_eq!(header(&headers, "X-Project-Id"), Some(PROJECT));
    assert_eq!(header(&headers, "X-Language"), Some("en-us"));
    assert_eq!(header(&headers, "User-Agent"), None);
    assert_eq!(header(&headers, "X-Security-Token"), None);
    let authorization = header(&headers, "Authorization").unwrap();
    assert!(
        authorization.starts_with(
            "SDK-HMAC-SHA256 Access=AKTESTAKTESTAKTEST, SignedHeaders=content-type;host;x-language;x-project-id;x-sdk-date, Signature="
        ),
        "{authorization}"
    );
    // The gateway's check, over the Host actually received.
    let verified = verify_received(request, &credentials(), known_time()).unwrap();
    assert_eq!(verified.access_key, AK);

    // The same headers, with the reference Host, give the reference signature.
    let signed: Vec<(String, String)> = ["Content-Type", "X-Language", "X-Project-Id"]
        .iter()
        .map(|n| (n.to_string(), header(&headers, n).unwrap().to_string()))
        .collect();
    let reference = sign(
        &SignableRequest {
            method: request.method.as_str(),
            host: "rds.ap-southeast-1.myhuaweicloud.com",
            path: request.url.path(),
            query: &[],
            headers: &signed,
            body: &request.body,
        },
        &credentials(),
        known_time(),
    );
    assert_eq!(
        reference.signed_headers,
        "content-type;host;x-language;x-project-id;x-sdk-date"
    );
    assert_eq!(
        reference.signature,
        "318e58e5c11c7c5412ff0a562800b970e6b25ffa3523ac0d4581acc328d921d7"
    );
}

#[tokio::test]
async fn signs_what_the_python_sdk_signs() {
    let server = ok_server().await;
    let client = client_for(&server.uri(), temporary_credentials())
        .build()
        .unwrap();
    let raw = client
        .list_dr_relations_raw(&target(), &en_us())
        .await
        .unwrap();
    assert_eq!(raw.body, BODY.as_bytes());
    assert_eq!(raw.status, 200);
    assert_eq!(raw.request_id.as_deref(), Some("req-ok"));

    let received = server.received_requests().await.unwrap();
    let headers = header_pairs(&received[0]);
    assert_eq!(
        header(&headers, "User-Agent"),
        Some(rds_dr_http::DEFAULT_USER_AGENT)
    );
    assert!(rds_dr_http::DEFAULT_USER_AGENT.starts_with("rds-dr/"));
    assert_eq!(header(&headers, "X-Security-Token"), Some(TOKEN));
    let authorization = header(&headers, "Authorization").unwrap();
    assert!(
        authorization.contains(
            "SignedHeaders=content-type;host;user-agent;x-language;x-project-id;x-sdk-date;x-security-token,"
        ),
        "{authorization}"
    );
    let verified =
        verify_received(&received[0], &temporary_credentials(), SystemTime::now()).unwrap();
    assert!(
        verified
            .signed_headers
            .contains(&"x-security-token".to_string())
    );
    // Signed with the token: a verifier expecting another token rejects it.
    let other = credentials().with_security_token("another-token");
    assert!(verify_received(&received[0], &other, SystemTime::now()).is_err());
}

#[tokio::test]
async fn every_attempt_is_signed_anew() {
    let server = ok_server().await;
    let tick = Arc::new(AtomicU64::new(0));
    let t = tick.clone();
    let client = client_for(&server.uri(), credentials())
        .clock(move || known_time() + Duration::from_secs(61 * t.fetch_add(1, Ordering::SeqCst)))
        .build()
        .unwrap();
    list(&client).await.unwrap();
    list(&client).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let dates: Vec<String> = received
        .iter()
        .map(|r| header(&header_pairs(r), "X-Sdk-Date").unwrap().to_string())
        .collect();
    assert_eq!(dates, ["20240101T000000Z", "20240101T000101Z"]);
    let auths: Vec<String> = received
        .iter()
        .map(|r| {
            header(&header_pairs(r), "Authorization")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_ne!(auths[0], auths[1]);
    // No language asked for, none configured: no header.
    assert_eq!(header(&header_pairs(&received[0]), "X-Language"), None);
}

#[tokio::test]
async fn language_option_beats_the_default() {
    let server = ok_server().await;
    let client = client_for(&server.uri(), credentials())
        .language(Language::EnUs)
        .build()
        .unwrap();
    let zh = RequestOptions {
        language: Some(Language::ZhCn),
        ..Default::default()
    };
    client.list_dr_relations(&target(), &zh).await.unwrap();
    list(&client).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        header(&header_pairs(&received[0]), "X-Language"),
        Some("zh-cn")
    );
    assert_eq!(
        header(&header_pairs(&received[1]), "X-Language"),
        Some("en-us")
    );
}

#[tokio::test]
async fn endpoint_with_a_path_prefix() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/gateway{DR_PATH}")))
        .respond_with(ResponseTemplate::new(200).set_body_string(BODY))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&format!("{}/gateway/", server.uri()), credentials())
        .build()
        .unwrap();
    list(&client).await.unwrap();
    let received = server.received_requests().await.unwrap();
    verify_received(&received[0], &credentials(), SystemTime::now()).unwrap();
}

#[tokio::test]
async fn two_503s_then_200_through_retrying() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DR_PATH))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("X-Request-Id", "busy")
                .set_body_string(r#"{"error_code":"DBS.200001","error_msg":"busy"}"#),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DR_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string(BODY))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    let policy = RetryPolicy::builder()
        .max_retries(3)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .build()
        .unwrap();
    let retrying = Retrying::new(client, policy, rds_dr_http::TokioClock);
    let response = list(&retrying).await.unwrap();
    assert_eq!(response.instance_dr_relations.len(), 1);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for r in &received {
        verify_received(r, &credentials(), SystemTime::now()).unwrap();
    }
}

#[tokio::test]
async fn throttled_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "2")
                .insert_header("X-Request-Id", "thr-1")
                .set_body_string(r#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), temporary_credentials())
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert!(error.is_throttled());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some("APIGW.0308"));
    assert_eq!(error.request_id(), Some("thr-1"));
    assert!(error.maybe_sent());
    assert_eq!(RetryClass::of(&error), RetryClass::Throttling);
    assert_no_secret(&error);
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let server = MockServer::start().await;
    // The client's clock says 10 s before this date.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Mon, 01 Jan 2024 00:00:10 GMT"),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials())
        .clock(known_time)
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(10)));
    assert_eq!(
        error.message(),
        "HTTP 503 Service Unavailable with an empty body"
    );
}

#[tokio::test]
async fn stalled_server_hits_the_read_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(BODY)
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials())
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_timeout());
    assert!(error.maybe_sent());
    assert!(error.is_retryable());
    assert_no_secret(&error);
}

#[tokio::test]
async fn body_that_stalls_midway_hits_the_read_timeout() {
    // Head and half a body, then silence.
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        BODY.len(),
        &BODY[..20]
    );
    let server = RawServer::start(head.into_bytes(), After::Hold(Duration::from_secs(3))).await;
    let client = client_for(&server.url(), credentials())
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn error_body_shapes() {
    struct Case {
        status: u16,
        body: &'static str,
        header_id: Option<&'static str>,
        kind: ErrorKind,
        code: Option<&'static str>,
        message: &'static str,
        request_id: Option<&'static str>,
    }
    let cases = [
        Case {
            status: 400,
            body: r#"{"error_code":"DBS.280001","error_msg":"Invalid parameter.","request_id":"body-1"}"#,
            header_id: None,
            kind: ErrorKind::Service,
            code: Some("DBS.280001"),
            message: "Invalid parameter.",
            request_id: Some("body-1"),
        },
        Case {
            status: 401,
            body: r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"body-2"}"#,
            header_id: Some("hdr-2"),
            kind: ErrorKind::Service,
            code: Some("APIGW.0301"),
            message: "Incorrect IAM authentication information: verify aksk signature fail",
            request_id: Some("hdr-2"),
        },
        Case {
            status: 404,
            body: r#"{"errorCode":"RDS.0404","errorMsg":"not found"}"#,
            header_id: Some("hdr-3"),
            kind: ErrorKind::Service,
            code: Some("RDS.0404"),
            message: "not found",
            request_id: Some("hdr-3"),
        },
        Case {
            status: 500,
            body: r#"{"code":"SYS.0500","message":"internal"}"#,
            header_id: None,
            kind: ErrorKind::Server,
            code: Some("SYS.0500"),
            message: "internal",
            request_id: None,
        },
        Case {
            status: 403,
            body: r#"{"error":{"code":"IAM.0003","message":"Policy doesn't allow rds:instance:listAll to be performed."}}"#,
            header_id: Some("hdr-5"),
            kind: ErrorKind::Service,
            code: Some("IAM.0003"),
            message: "Policy doesn't allow rds:instance:listAll to be performed.",
            request_id: Some("hdr-5"),
        },
        Case {
            status: 502,
            body: r#"{"error":{"error_code":"APIGW.0201","error_msg":"Request body too large","request_id":"nested"}}"#,
            header_id: None,
            kind: ErrorKind::Server,
            code: Some("APIGW.0201"),
            message: "Request body too large",
            request_id: Some("nested"),
        },
        Case {
            status: 502,
            body: "  <html><body>502 Bad Gateway</body></html>\n",
            header_id: Some("hdr-7"),
            kind: ErrorKind::Server,
            code: None,
            message: "<html><body>502 Bad Gateway</body></html>",
            request_id: Some("hdr-7"),
        },
    ];
    for case in cases {
        let server = MockServer::start().await;
        let mut template = ResponseTemplate::new(case.status).set_body_string(case.body);
        if let Some(id) = case.header_id {
            template = template.insert_header("X-Request-Id", id);
        }
        Mock::given(method("GET"))
            .respond_with(template)
            .mount(&server)
            .await;
        let client = client_for(&server.uri(), temporary_credentials())
            .build()
            .unwrap();
        let error = list(&client).await.unwrap_err();
        assert_eq!(error.kind(), case.kind, "{}", case.body);
        assert_eq!(error.status(), Some(case.status));
        assert_eq!(error.code(), case.code, "{}", case.body);
        assert_eq!(error.message(), case.message);
        assert_eq!(error.request_id(), case.request_id, "{}", case.body);
        assert!(error.maybe_sent());
        assert_no_secret(&error);
    }
}

#[tokio::test]
async fn encoded_authorization_message() {
    let error = error_for(ResponseTemplate::new(403).set_body_string(
            r#"{"error_code":"RDS.0403","error_msg":"denied","encoded_authorization_message":"ZW5jb2RlZA=="}"#,
        )).await;
    assert_eq!(error.encoded_authorization_message(), Some("ZW5jb2RlZA=="));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn body_over_the_cap() {
    let server = ok_server().await;
    let client = client_for(&server.uri(), credentials())
        .max_response_bytes(100)
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("100-byte limit"), "{error}");
    assert!(error.message().contains("max_response_bytes"), "{error}");
    assert_eq!(error.request_id(), Some("req-ok"));

    // Without a Content-Length (chunked), the cap stops the reading too.
    let chunked = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{BODY}\r\n0\r\n\r\n",
        BODY.len()
    );
    let raw = RawServer::start(chunked.into_bytes(), After::Close).await;
    let client = client_for(&raw.url(), credentials())
        .max_response_bytes(100)
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("100-byte limit"), "{error}");

    // At the cap exactly: fine.
    let client = client_for(&raw.url(), credentials())
        .max_response_bytes(BODY.len() as u64)
        .build()
        .unwrap();
    list(&client).await.unwrap();
}

#[tokio::test]
async fn truncated_body_is_a_retryable_error() {
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        BODY.len() + 50,
        BODY
    );
    let server = RawServer::start(reply.into_bytes(), After::Close).await;
    let client = client_for(&server.url(), credentials()).build().unwrap();
    let error = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Decode | ErrorKind::Connect),
        "{error}"
    );
    assert!(error.is_retryable(), "{error}");
    assert_eq!(RetryClass::of(&error), RetryClass::Transient);
    assert!(
        error
            .message()
            .contains(&format!("truncated at byte {}", BODY.len())),
        "{error}"
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn connection_closed_before_any_answer() {
    let server = RawServer::start(Vec::new(), After::Close).await;
    let client = client_for(&server.url(), credentials()).build().unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert!(error.maybe_sent());
    assert!(error.is_retryable());
}

#[tokio::test]
async fn non_json_and_short_json_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("body is not JSON"), "{error}");
    // The raw call still hands the body over as received.
    let raw = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.body, b"<html>maintenance</html>");

    let cut = &BODY[..40];
    let error = error_for(ResponseTemplate::new(200).set_body_string(cut)).await;
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(
        error.message().contains("body truncated at byte 40"),
        "{error}"
    );

    let error =
        error_for(ResponseTemplate::new(200).set_body_string(r#"{"instance_dr_relations": 7}"#))
            .await;
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("unexpected shape"), "{error}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "http://127.0.0.1:9/elsewhere"),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), temporary_credentials())
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(302));
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn connection_refused() {
    let port = closed_port().await;
    let client = client_for(&format!("http://127.0.0.1:{port}"), credentials())
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert!(!error.maybe_sent());
    assert!(error.is_retryable());
}

#[tokio::test]
async fn tls_to_a_plain_http_server() {
    let server = ok_server().await;
    let port = server.address().port();
    let client = client_for(&format!("https://127.0.0.1:{port}"), credentials())
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn plain_http_needs_loopback_or_insecure() {
    for url in [
        "http://10.1.2.3:8080",
        "http://rds.cn-north-4.myhuaweicloud.com",
    ] {
        let error = HttpClient::builder()
            .credentials(credentials())
            .endpoint(url.parse().unwrap())
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(error.message().contains("http://"), "{error}");
        assert!(!error.maybe_sent());
        let error = HttpClient::builder()
            .credentials(credentials())
            .iam_endpoint(url.parse().unwrap())
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
    }
    // Insecure mode lets it through (nothing is sent here).
    HttpClient::builder()
        .credentials(credentials())
        .endpoint("http://10.1.2.3:8080".parse().unwrap())
        .insecure(true)
        .build()
        .unwrap();
}

#[tokio::test]
async fn invalid_target_is_not_sent() {
    let server = ok_server().await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    for bad in [
        rds_dr_api::Target::new("ap-southeast-1", "not-hex"),
        rds_dr_api::Target::new("AP/../x", PROJECT),
    ] {
        let error = client
            .list_dr_relations(&bad, &RequestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_ca_bundle_and_user_agent() {
    let error = HttpClient::builder()
        .credentials(credentials())
        .ca_bundle(b"not a certificate".to_vec())
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.message().contains("CA bundle"), "{error}");
    let error = HttpClient::builder()
        .credentials(credentials())
        .user_agent("bad\nagent")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn official_endpoints_by_region() {
    let client = HttpClient::builder()
        .credentials(credentials())
        .build()
        .unwrap();
    assert_eq!(
        client.rds_base_url("eu-west-101").unwrap().as_str(),
        "https://rds.eu-west-101.myhuaweicloud.eu/"
    );
    assert_eq!(
        client.rds_base_url("zz-new-1").unwrap().as_str(),
        "https://rds.zz-new-1.myhuaweicloud.com/"
    );
    assert_eq!(
        client.rds_base_url("Bad Region").unwrap_err().kind(),
        ErrorKind::Configuration
    );
    let cloned = client.clone();
    assert_eq!(
        cloned.rds_base_url("cn-north-4").unwrap().as_str(),
        "https://rds.cn-north-4.myhuaweicloud.com/"
    );
}

#[tokio::test]
async fn client_debug_shows_no_secret() {
    let client = HttpClient::builder()
        .credentials(temporary_credentials())
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains(AK), "{shown}");
    assert!(!shown.contains(SK) && !shown.contains(TOKEN), "{shown}");
}

/// `data` as a gzip member with one stored (uncompressed) deflate block.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut crc: u32 = !0;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let crc = !crc;
    let len = u16::try_from(data.len()).expect("small body");
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x01];
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_capped_after_decoding() {
    let gz = gzip_stored(BODY.as_bytes());
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gz.len()
    )
    .into_bytes();
    reply.extend_from_slice(&gz);
    let server = RawServer::start(reply, After::Close).await;
    let client = client_for(&server.url(), credentials()).build().unwrap();
    let raw = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.body, BODY.as_bytes());
    let head = server.heads()[0].to_ascii_lowercase();
    assert!(head.contains("accept-encoding: gzip"), "{head}");

    // The cap applies to the decoded size.
    let client = client_for(&server.url(), credentials())
        .max_response_bytes(BODY.len() as u64 - 1)
        .build()
        .unwrap();
    let error = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("limit"), "{error}");
}

#[tokio::test]
async fn empty_success_body() {
    let error = error_for(ResponseTemplate::new(200)).await;
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("body is empty"), "{error}");
}

/// The error of one `list_dr_relations` call (default client, plain
/// credentials) to a server answering every GET with `template`.
async fn error_for(template: ResponseTemplate) -> ApiError {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    list(&client).await.unwrap_err()
}
