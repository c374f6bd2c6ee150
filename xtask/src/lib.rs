//! Maintenance tasks for the rds-dr workspace, run as `cargo xtask TASK`
//! (see `.cargo/config.toml`). Never shipped.
//!
//! - `cargo xtask codegen`: regenerate `crates/model/src/generated.rs` from
//!   `docs/openapi.json`; `--check` only reports whether it is stale. The same
//!   check runs as a test in `cargo test -p xtask`.

#![forbid(unsafe_code)]

pub mod codegen;
pub mod json;

pub use codegen::{Error, generate, project_root};
