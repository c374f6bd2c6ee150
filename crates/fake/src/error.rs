//! The one error type of this crate: everything that can stop the fake from
//! starting.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::ParseFaultError;

/// Why the fake cloud could not be configured or started.
///
/// No variant ever carries a secret key or a security token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// The listen address is not a loopback address. The fake only ever
    /// listens on 127.0.0.0/8 or `::1`.
    #[error(
        "refusing to listen on {addr}: the fake server only listens on loopback addresses (127.0.0.0/8 or [::1])"
    )]
    NonLoopback {
        /// The refused address.
        addr: SocketAddr,
    },
    /// A listen address text that is not `HOST:PORT` with a loopback host.
    #[error("invalid listen address `{input}`: {reason}")]
    InvalidListenAddress {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address that could not be bound.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The fleet directory could not be listed.
    #[error("cannot read fleet directory {}: {source}", .path.display())]
    FleetDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The fleet directory holds no `*.json` or `*.jsonl` file.
    #[error("fleet directory {} holds no *.json or *.jsonl capture file", .path.display())]
    EmptyFleetDir {
        /// The directory.
        path: PathBuf,
    },
    /// One capture file (or one line of a `.jsonl` file) is unreadable or
    /// not a capture envelope.
    #[error("{}: {problem}", origin(.path, *.line))]
    FleetFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for `.jsonl` files.
        line: Option<usize>,
        /// What is wrong.
        problem: String,
    },
    /// A capture's source is not a valid `REGION/PROJECT_ID`.
    #[error("{origin}: invalid capture source: {reason}")]
    InvalidSource {
        /// Where the capture came from (a file, a line, or `capture #N`).
        origin: String,
        /// What is wrong with the source.
        reason: String,
    },
    /// One project id appears with two regions (a project belongs to exactly
    /// one region).
    #[error(
        "project {project_id} is in region {first_region} ({first_origin}) and in region {second_region} ({second_origin}); a project id belongs to exactly one region"
    )]
    RegionConflict {
        /// The project id.
        project_id: String,
        /// The region seen first.
        first_region: String,
        /// Where it was seen first.
        first_origin: String,
        /// The other region.
        second_region: String,
        /// Where that was seen.
        second_origin: String,
    },
    /// A fault rate outside `0.0..=1.0` (or not a number).
    #[error("invalid fault rate {0}: it must be between 0 and 1")]
    InvalidFaultRate(f64),
    /// A fault list that could not be parsed.
    #[error(transparent)]
    InvalidFaults(#[from] ParseFaultError),
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(#[source] io::Error),
}

fn origin(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{} line {line}", path.display()),
        None => path.display().to_string(),
    }
}
