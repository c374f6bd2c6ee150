//! Shared test helpers: loopback servers, fixed credentials, secret checks.
#![allow(dead_code)]

/// The log capture shared with the other crates' tests.
#[path = "../../../../tests/common/log_capture.rs"]
pub mod log_capture;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rds_dr_http::credentials::Credentials;
use rds_dr_http::{ApiError, HttpClient, HttpClientBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The reference known-answer credentials (test-only values).
pub const AK: &str = "AKTESTAKTESTAKTEST";
pub const SK: &str = "SKtestSKtestSKtestSKtestSKtestSKtestSKte";
/// A security token that must never show up anywhere.
pub const TOKEN: &str = "TOKEN-sekrit-9f8e7d6c5b4a-do-not-log";
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const REGION: &str = "ap-southeast-1";
pub const DR_PATH: &str =
    "/v3/0123456789abcdef0123456789abcdef/instances/disaster-recovery-relation";
pub const BODY: &str = r#"{"instance_dr_relations":[{"instance_id":"fab4e3df67c24aa0a5b41bc2bcb41918in03","slave_instances":[{"instance_id":"b5e2c7fcef8b4c2f8fd8d80d73344756in03","region":"cn-east-3","project_id":"1234567890abcdef1234567890abcdef","project_name":"cn-east-3"}]}]}"#;

/// 2024-01-01T00:00:00Z, the known-answer time.
pub fn known_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_067_200)
}

pub fn credentials() -> Credentials {
    Credentials::new(AK, SK)
}

pub fn temporary_credentials() -> Credentials {
    Credentials::new(AK, SK).with_security_token(TOKEN)
}

pub fn target() -> rds_dr_api::Target {
    rds_dr_api::Target::new(REGION, PROJECT)
}

/// One ListDrRelations call for [`target`] with the default options.
pub async fn list(
    api: &impl rds_dr_api::DrRelationsApi,
) -> Result<rds_dr_api::ListDrRelationsResponse, ApiError> {
    api.list_dr_relations(&target(), &rds_dr_api::RequestOptions::default())
        .await
}

/// A client whose RDS and IAM calls all go to `base`, with the given
/// credentials, no proxy and an empty environment.
pub fn client_for(base: &str, credentials: Credentials) -> HttpClientBuilder {
    let url: url::Url = base.parse().expect("loopback URL");
    HttpClient::builder()
        .credentials(credentials)
        .endpoint(url.clone())
        .iam_endpoint(url)
        .environment(rds_dr_http::Environment::from_map::<_, &str, &str>([]))
        .no_proxy()
}

/// Panics if an error (Display or Debug) contains the secret key or the token.
pub fn assert_no_secret(error: &ApiError) {
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(SK), "secret key leaked: {text}");
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
}

/// A received wiremock request as (lower-case name, value) pairs.
pub fn header_pairs(request: &wiremock::Request) -> Vec<(String, String)> {
    request
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

pub fn header<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Verifies a received request's signature as the gateway would.
pub fn verify_received(
    request: &wiremock::Request,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<rds_dr_sign::Verified, rds_dr_sign::VerifyError> {
    let headers = header_pairs(request);
    let received = rds_dr_sign::ReceivedRequest {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query(),
        headers: &headers,
        body: &request.body,
    };
    let ak = credentials.access_key().to_string();
    rds_dr_sign::verify(
        &received,
        |key| (key == ak).then(|| credentials.clone()),
        now,
        Duration::from_secs(15 * 60),
    )
}

/// What a raw server does after writing its reply.
#[derive(Clone, Copy, Debug)]
pub enum After {
    /// Close the connection.
    Close,
    /// Keep the connection open (silent) this long, then close.
    Hold(Duration),
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that answers every connection with
/// fixed bytes, and records each request head.
pub struct RawServer {
    pub port: u16,
    pub heads: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    pub async fn start(reply: Vec<u8>, after: After) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let reply = reply.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    recorded
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf).into_owned());
                    let _ = socket.write_all(&reply).await;
                    let _ = socket.flush().await;
                    if let After::Hold(d) = after {
                        tokio::time::sleep(d).await;
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        RawServer { port, heads, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An HTTP/1.1 200 answer with this body and JSON content type.
pub fn ok_reply(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Request-Id: raw-1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}
