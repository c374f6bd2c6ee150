//! The transport-agnostic ListDrRelations API of rds-dr.
//!
//! [`DrRelationsApi`] is the one trait every transport implements (HTTPS in
//! `rds-dr-http`, captures in memory in [`memory`]). Everything else here is
//! generic over it: [`retry`] wraps any implementation with classified,
//! budgeted retries, and [`fleet`] scans many targets with bounded
//! concurrency. This crate pulls in no HTTP library and no async runtime.
#![deny(missing_docs)]

mod error;

pub use error::{ApiError, ErrorKind};
pub use rds_dr_model::{ListDrRelationsResponse, Target};

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
            other => Err(format!("unknown language `{other}` (expected en-us or zh-cn)")),
        }
    }
}

/// Per-call options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `X-Language`; `None` sends no header (the service answers in English).
    pub language: Option<Language>,
}

/// ListDrRelations over some transport.
///
/// One required method; implementations for `&T`, `Box<T>` and `Arc<T>` come
/// for free, so consumers can take `impl DrRelationsApi` or
/// `Arc<dyn DrRelationsApi>` alike.
pub trait DrRelationsApi: Send + Sync {
    /// `GET /v3/{project_id}/instances/disaster-recovery-relation` for one
    /// (region, project). The call is idempotent.
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>>;
}

impl<T: DrRelationsApi + ?Sized> DrRelationsApi for &T {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        (**self).list_dr_relations(target, options)
    }
}

impl<T: DrRelationsApi + ?Sized> DrRelationsApi for Box<T> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        (**self).list_dr_relations(target, options)
    }
}

impl<T: DrRelationsApi + ?Sized> DrRelationsApi for Arc<T> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        (**self).list_dr_relations(target, options)
    }
}
