//! The transport-agnostic ListDrRelations and ListDrInfos API of rds-dr.
//!
//! [`DrRelationsApi`] is the one trait every transport implements (HTTPS in
//! `rds-dr-http`, captures in memory in [`memory`]). Everything else here is
//! generic over it: [`retry`] wraps any implementation with classified,
//! budgeted retries, and [`fleet`] scans many targets with bounded
//! concurrency. This crate pulls in no HTTP library and no async runtime.
//!
//! | module | what |
//! |---|---|
//! | [`retry`] | [`RetryClass`](retry::RetryClass), [`RetryPolicy`](retry::RetryPolicy), the [`Retrying`](retry::Retrying) layer, the injected [`Clock`](retry::Clock) and [`RandomSource`](retry::RandomSource) |
//! | [`fleet`] | [`scan`](fleet::scan): many targets, bounded concurrency, a sorted [`FleetReport`](fleet::FleetReport) |
//! | [`memory`] | [`InMemoryApi`](memory::InMemoryApi): answers from captures, scripted failures, call counts |
//! | [`testing`] | [`ManualClock`](testing::ManualClock): virtual time for tests |
//!
//! Layers compose because each is itself a [`DrRelationsApi`]:
//!
//! ```
//! use futures::executor::block_on;
//! use rds_dr_api::{ApiError, ErrorKind, RequestOptions, Target};
//! use rds_dr_api::fleet::{FleetConfig, scan};
//! use rds_dr_api::memory::InMemoryApi;
//! use rds_dr_api::retry::{RetryPolicy, Retrying};
//! use rds_dr_api::testing::ManualClock;
//!
//! let flaky: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
//! let gone: Target = "cn-east-3/1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1".parse()?;
//! // `flaky` times out once, then answers; `gone` is unknown (404).
//! let api = InMemoryApi::new()
//!     .with_response(flaky.clone(), Default::default())
//!     .with_failures(flaky.clone(), [ApiError::new(ErrorKind::Timeout, "read timed out")]);
//! let retrying = Retrying::new(&api, RetryPolicy::default(), ManualClock::new());
//!
//! let report = block_on(scan(
//!     &retrying,
//!     vec![gone.clone(), flaky.clone()],
//!     RequestOptions::default(),
//!     FleetConfig::new(),
//!     |_progress| {},
//! ));
//! assert_eq!(report.captures.len(), 1);
//! assert_eq!(report.captures[0].source, flaky);
//! assert_eq!(report.failures[0].target, gone);
//! assert_eq!(report.failures[0].error.status(), Some(404));
//! assert_eq!((api.calls(&flaky), api.calls(&gone)), (2, 1)); // 404 is not retried
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
pub mod fleet;
pub mod infos;
pub mod memory;
pub mod retry;
mod slots;
pub mod testing;

pub use error::{ApiError, ErrorKind};
pub use rds_dr_model::{ListDrInfosResponse, ListDrRelationsResponse, QueryDrInfoRequest, Target};
pub use slots::Slot;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, `Send` future: what [`DrRelationsApi`] methods return, so the trait
/// stays usable behind `Arc<dyn DrRelationsApi>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Language of the messages in a response (`X-Language`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// English (`en-us`), the service default.
    #[default]
    EnUs,
    /// Simplified Chinese (`zh-cn`).
    ZhCn,
}

impl Language {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::EnUs => "en-us",
            Language::ZhCn => "zh-cn",
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en-us" => Ok(Language::EnUs),
            "zh-cn" => Ok(Language::ZhCn),
            other => Err(format!(
                "unknown language `{other}` (expected en-us or zh-cn)"
            )),
        }
    }
}

/// Per-call options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `X-Language`; `None` sends no header (the service answers in English).
    pub language: Option<Language>,
    /// The concurrency slot the caller holds for this call, if any
    /// ([`fleet::scan`] sets it): a layer that waits between attempts
    /// ([`retry::Retrying`]) gives it back while it waits, so a target
    /// waiting out `Retry-After` does not hold up others. `None` outside a
    /// scan.
    pub slot: Option<Slot>,
}

/// ListDrRelations and ListDrInfos over some transport.
///
/// Two required methods, one per operation of the service; implementations
/// for `&T`, `Box<T>` and `Arc<T>` come for free, so consumers can take
/// `impl DrRelationsApi` or `Arc<dyn DrRelationsApi>` alike. Both
/// operations live on one trait because every transport that reaches the
/// RDS endpoint can make both calls, and the layers above (retries, the
/// fleet scan) treat them alike: a second trait would double every layer and
/// blanket impl for no user that wants only one of them.
pub trait DrRelationsApi: Send + Sync {
    /// `GET /v3/{project_id}/instances/disaster-recovery-relation` for one
    /// (region, project). The call is idempotent.
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>>;

    /// `POST /v3/{project_id}/instances/disaster-recovery-infos` for one
    /// (region, project): **one page**, as `query` asks (`offset`, `limit`,
    /// filters). The call is read-only, so it is retried like a GET.
    /// [`infos::list_all`] fetches every page.
    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>>;
}

macro_rules! forward {
    ($($wrapper:ty),*) => {$(
        impl<T: DrRelationsApi + ?Sized> DrRelationsApi for $wrapper {
            fn list_dr_relations<'a>(
                &'a self,
                target: &'a Target,
                options: &'a RequestOptions,
            ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
                (**self).list_dr_relations(target, options)
            }

            fn list_dr_infos<'a>(
                &'a self,
                target: &'a Target,
                query: &'a QueryDrInfoRequest,
                options: &'a RequestOptions,
            ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
                (**self).list_dr_infos(target, query, options)
            }
        }
    )*};
}

forward!(&T, Box<T>, Arc<T>);
