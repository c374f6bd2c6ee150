//! Huawei Cloud RDS ListDrRelations over HTTPS, for rds-dr.
//!
//! [`HttpClient`] implements [`rds_dr_api::DrRelationsApi`] with reqwest and
//! rustls (no OpenSSL). It
//!
//! - finds each region's endpoint ([`regions`]), or sends everything to one
//!   override ([`HttpClientBuilder::endpoint`]), `https://` only except on
//!   loopback unless [`insecure`](HttpClientBuilder::insecure);
//! - gets credentials from a [`credentials::CredentialsProvider`]: fixed, or
//!   the chain explicit > environment > profile file > ECS metadata (opt-in);
//! - signs every request anew with SDK-HMAC-SHA256 ([`rds_dr_sign`]), sending
//!   and signing the headers the official Python SDK does (`Content-Type`,
//!   `Host`, `User-Agent`, `X-Language`, `X-Project-Id`, `X-Sdk-Date`,
//!   `X-Security-Token`);
//! - discovers project ids through IAM ([`HttpClient::project_id`]);
//! - applies connect and read timeouts, proxies (explicit or from the
//!   environment), extra CA certificates and a cap on body size;
//! - turns every failure into an [`ApiError`] with its kind, HTTP status,
//!   Huawei error code, message, request id and `Retry-After`
//!   ([`ErrorBody`] reads every error-body shape the service uses).
//!
//! Retries are not done here: wrap the client in
//! [`rds_dr_api::retry::Retrying`] with a [`TokioClock`].
//!
//! Secrets never leave the request: the secret key and the security token
//! are absent from every error, `Debug` output and log line (the
//! `Authorization` and `X-Security-Token` headers print as `REDACTED` at trace
//! level).
//!
//! # Example
//!
//! Against a stand-in server on loopback (a real run leaves out
//! [`endpoint`](HttpClientBuilder::endpoint) and lets the region pick it):
//!
//! ```
//! use rds_dr_api::{DrRelationsApi, RequestOptions, Target};
//! use rds_dr_http::HttpClient;
//! use rds_dr_http::credentials::Credentials;
//! use wiremock::matchers::{header, header_exists, method, path};
//! use wiremock::{Mock, MockServer, ResponseTemplate};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let server = MockServer::start().await;
//! let body = r#"{"instance_dr_relations":[{"instance_id":"fab4e3df67c24aa0a5b41bc2bcb41918in03",
//!     "slave_instances":[{"instance_id":"b5e2c7fcef8b4c2f8fd8d80d73344756in03","region":"cn-east-3",
//!     "project_id":"1234567890abcdef1234567890abcdef","project_name":"cn-east-3"}]}]}"#;
//! Mock::given(method("GET"))
//!     .and(path("/v3/0483b6b16e954cb88930a360d2c4e663/instances/disaster-recovery-relation"))
//!     .and(header("X-Project-Id", "0483b6b16e954cb88930a360d2c4e663"))
//!     .and(header_exists("Authorization"))
//!     .respond_with(ResponseTemplate::new(200).insert_header("X-Request-Id", "req-1").set_body_string(body))
//!     .mount(&server)
//!     .await;
//!
//! let client = HttpClient::builder()
//!     .credentials(Credentials::new("AKEXAMPLE", "example-secret-key"))
//!     .endpoint(server.uri().parse()?)
//!     .no_proxy() // the stand-in is local: ignore any HTTP(S)_PROXY
//!     .build()?;
//! let target: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
//!
//! // Decoded, through the trait...
//! let response = client.list_dr_relations(&target, &RequestOptions::default()).await?;
//! let record = response.instance_dr_relations[0].valid().unwrap();
//! assert_eq!(record.slave_instances.len(), 1);
//!
//! // ...or the body exactly as received.
//! let raw = client.list_dr_relations_raw(&target, &RequestOptions::default()).await?;
//! assert_eq!(raw.body, body.as_bytes());
//! assert_eq!(raw.request_id.as_deref(), Some("req-1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Against Huawei Cloud, with credentials from the environment or the profile
//! file and the project id discovered through IAM:
//!
//! ```no_run
//! use rds_dr_api::retry::{RetryPolicy, Retrying};
//! use rds_dr_api::{DrRelationsApi, RequestOptions, Target};
//! use rds_dr_http::{HttpClient, TokioClock};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = HttpClient::builder().build()?; // default credentials chain
//! let project_id = client.project_id("cn-north-4").await?;
//! let target = Target::new("cn-north-4", project_id);
//! let api = Retrying::new(client, RetryPolicy::default(), TokioClock);
//! let response = api.list_dr_relations(&target, &RequestOptions::default()).await?;
//! println!("{} records", response.instance_dr_relations.len());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
pub mod credentials;
mod error;
pub mod regions;

pub use client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_READ_TIMEOUT, DEFAULT_USER_AGENT,
    HttpClient, HttpClientBuilder, RawResponse, TokioClock,
};
pub use credentials::{Chain, ChainBuilder, CredentialsProvider, Environment};
pub use error::{ErrorBody, MAX_MESSAGE_CHARS};
pub use rds_dr_api::{ApiError, ErrorKind};
