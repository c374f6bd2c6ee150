//! A fake Huawei Cloud on loopback: RDS ListDrRelations and IAM project
//! discovery, with signature verification and deterministic fault
//! injection, for tests, demos (`rds-dr demo`, `rds-dr fake-server`) and
//! users' own tests.
//!
//! ```
//! use rds_dr_fake::FakeCloud;
//! use rds_dr_model::{Capture, ListDrRelationsResponse, Source};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let project = "0483b6b16e954cb88930a360d2c4e663";
//! let body: ListDrRelationsResponse = serde_json::from_str(
//!     r#"{"instance_dr_relations": [{"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03"}]}"#,
//! )?;
//! let fake = FakeCloud::builder()
//!     .capture(Capture { source: Source::new("cn-north-4", project), fetched_at: None, response: body })
//!     .start()
//!     .await?;
//! assert!(fake.base_url().starts_with("http://127.0.0.1:"));
//!
//! let url = format!("{}/v3/{project}/instances/disaster-recovery-relation", fake.base_url());
//! let response = reqwest::get(&url).await?;
//! assert_eq!(response.status(), 200);
//! assert!(response.headers().contains_key("x-request-id"));
//! let served: ListDrRelationsResponse = response.json().await?;
//! assert_eq!(served.instance_dr_relations.len(), 1);
//!
//! // IAM discovery of the project id of a region.
//! let projects: serde_json::Value =
//!     reqwest::get(format!("{}/v3/projects?name=cn-north-4", fake.base_url())).await?.json().await?;
//! assert_eq!(projects["projects"][0]["id"], project);
//!
//! assert_eq!(fake.request_count(), 2);
//! fake.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Routes
//! - `GET /v3/{project_id}/instances/disaster-recovery-relation`: the body
//!   of the captures of that project id, exactly as recorded (several
//!   captures of one project: the first body with `instance_dr_relations`
//!   replaced by all their records, in order).
//! - `GET /v3/projects?name=REGION` (IAM): `{"projects": [...], "links":
//!   {...}}` with one project (`id`, `name` = the region, `domain_id`,
//!   `parent_id`, `enabled: true`, `is_domain: false`, `description`,
//!   `links`) per served project id whose captures' region is `REGION`;
//!   none is an empty list. Without `name`, every project.
//! - `POST /v3/{project_id}/instances/disaster-recovery-infos`
//!   (ListDrInfos): the records of that project's ListDrInfos envelopes
//!   (envelopes with `"operation": "ListDrInfos"`, told apart from relations
//!   envelopes by that member, never by file name), each exactly as
//!   recorded, filtered by the body's `id`, `status`, `master_instance_id`,
//!   `master_region`, `slave_instance_id`, `slave_region` (exact match) and
//!   `create_at_start`/`create_at_end` (on `time`, inclusive), sorted by
//!   `sort_field` (`time` by default; `status`, `master_region`,
//!   `slave_region`) in `order` (`DESC` by default), and paged by `offset`
//!   (default 0) and `limit` (default 10): `{"total_count": MATCHES,
//!   "instance_dr_infos": [...]}`. A project with relations but no infos
//!   envelope answers an empty list. A page's faults are decided on a key of
//!   its own, `infos:PROJECT_ID:OFFSET`.
//! - Anything else (other paths, other methods): 404.
//!
//! Every response has a JSON `Content-Type` and a unique `X-Request-Id`
//! (32 hex characters, from the seed and a request counter). Error bodies
//! are Huawei-shaped, `{"error_code", "error_msg", "request_id"}`, in
//! Chinese when the request has `X-Language: zh-cn`.
//!
//! | status | code | when |
//! |---|---|---|
//! | 404 | `APIGW.0101` | unknown route (Huawei's gateway code) |
//! | 404 | `DBS.280238` | a project id the fleet does not serve (the fake's own code) |
//! | 400 | `DBS.280001` | ListDrInfos: `limit` outside 1-100, a negative `offset`, an unknown `order` or `sort_field`, or a body that is not a request object (the fake's own code; checked before faults) |
//! | 401 | `APIGW.0301` | bad, missing or unverifiable signature, unknown AK, missing or wrong security token |
//! | 401 | `APIGW.0303` | `X-Sdk-Date` missing, invalid or more than the maximum skew (15 min) off |
//! | 403 | `DBS.280239` | `X-Project-Id` differs from the project id in the path (the fake's own code) |
//! | 413 | `APIGW.0201` | a request body over 1 MiB |
//! | 429 | `APIGW.0308` | injected throttling, with `Retry-After` |
//! | 500 | `DBS.280000` | injected internal error (the fake's own code) |
//! | 503 | `APIGW.0202` | injected unavailability |
//!
//! # Order of checks
//! Each request is counted and given its request id; waits the latency;
//! is routed (unknown routes answer 404 at once); has its body read; its
//! signature verified (with credentials); its `X-Project-Id` checked; then
//! the fault decision is made and the request answered. So a bad signature
//! is always a 401, whatever the fault rate.
//!
//! # Faults
//! Faults are decided per *key*: the project id for ListDrRelations,
//! `iam:REGION` for IAM. The attempts on each key are numbered from 0
//! (only requests that pass the checks above count). Attempt `a` on key `k`
//! draws `d = mix64(mix64(seed ^ fnv1a64(k)) ^ a)` (`mix64` is SplitMix64's
//! output function, [`rds_dr_model::random::mix`]); it is faulted when
//! `(d >> 11) / 2^53 < fault_rate`, with the kind
//! `kinds[mix64(d) % kinds.len()]` of the enabled kinds in the order given.
//! A key never gets more than
//! [`max_consecutive_faults`](FakeCloudBuilder::max_consecutive_faults)
//! (default 3) faults in a row: the next attempt is answered normally. So
//! the same seed and the same sequence of requests per key give the same
//! faults, whatever the interleaving of keys, and a client that retries at
//! least that many times always gets through.
//!
//! - `429`: `APIGW.0308` with `Retry-After` (1 s unless configured).
//! - `500`, `503`: Huawei-shaped errors.
//! - `reset`: the connection is closed with a TCP reset and no response.
//! - `truncate`: status and headers with the full `Content-Length`, half
//!   the body, then the connection is closed.
//! - `slow`: the answer is stalled for the slow delay (30 s unless
//!   configured), then sent normally.
//!
//! # Safety rails
//! The fake listens on loopback addresses only ([`FakeCloudBuilder::start`]
//! refuses anything else). The secret key and the security token never
//! appear in its logs, errors or `Debug` output.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod fault;
mod fleet;
mod handler;
mod health;
mod server;

pub use error::FakeError;
pub use fault::{Fault, ParseFaultError};
pub use server::{FakeCloud, FakeCloudBuilder, RunningFake, parse_listen_addr};

/// Re-exported so users of the fake need not depend on `rds-dr-sign` for
/// [`FakeCloudBuilder::credentials`].
pub use rds_dr_sign::Credentials;
