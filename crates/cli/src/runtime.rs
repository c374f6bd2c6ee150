//! The tokio runtime behind live commands and the fake server.

use crate::error::CliError;

/// A multi-threaded runtime with IO and timers (two workers: the calls are
/// network-bound).
pub fn build() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}
