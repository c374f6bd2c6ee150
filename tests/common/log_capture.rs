//! Log output captured in memory, for tests that read what was logged.
//!
//! One file shared by the integration tests of several crates (each includes
//! it from its `tests/common/mod.rs` with `#[path]`), so that the capture is
//! written once. It needs `tracing` and `tracing-subscriber` as
//! dev-dependencies of the crate that includes it.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A buffer that a `tracing_subscriber::fmt` subscriber writes into.
///
/// ```ignore
/// let logs = LogCapture::default();
/// let _guard = tracing::subscriber::set_default(logs.subscriber(tracing::Level::TRACE));
/// tracing::info!("hello");
/// assert!(logs.text().contains("hello"));
/// ```
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// A plain-text subscriber (no colours) that logs every event up to
    /// `level` into this buffer.
    pub fn subscriber(&self, level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).expect("log output is UTF-8")
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
