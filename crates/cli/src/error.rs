//! The one error type of the binary: everything that ends a command with exit
//! status 2 (usage, input, credential, API and IO errors).

use std::fmt;
use std::path::{Path, PathBuf};

use rds_dr_api::ApiError;

use crate::inputs::InputError;

/// Why a command could not do its job (exit status 2).
#[derive(Debug)]
pub enum CliError {
    /// The command line makes no sense (beyond what clap checks).
    Usage(String),
    /// An input file could not be used.
    Input(InputError),
    /// A call failed (API, credentials, configuration).
    Api {
        /// What was being done, e.g. the target.
        context: String,
        /// The error; never holds a secret.
        error: ApiError,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: "write", "create directory", ...
        action: &'static str,
        /// The cause.
        error: std::io::Error,
    },
    /// Anything else, already phrased for people.
    Other(String),
}

impl CliError {
    /// An IO error on `path`.
    pub fn io(path: &Path, action: &'static str, error: std::io::Error) -> Self {
        CliError::Io {
            path: path.to_owned(),
            action,
            error,
        }
    }

    /// An API error while doing `context`.
    pub fn api(context: impl Into<String>, error: ApiError) -> Self {
        CliError::Api {
            context: context.into(),
            error,
        }
    }
}

impl From<InputError> for CliError {
    fn from(error: InputError) -> Self {
        CliError::Input(error)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) | CliError::Other(message) => f.write_str(message),
            CliError::Input(error) => write!(f, "{error}"),
            CliError::Api { context, error } => {
                write!(f, "{context}: {}", describe_api_error(error))
            }
            CliError::Io {
                path,
                action,
                error,
            } => {
                write!(f, "cannot {action} {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for CliError {}

/// An API error for people: the kind and message on the first line, then
/// the HTTP status, error code and request id, each on its own indented line
/// (only those that are known).
pub fn describe_api_error(error: &ApiError) -> String {
    let mut text = format!("{}: {}", error.kind(), error.message());
    if let Some(status) = error.status() {
        text.push_str(&format!("\n  HTTP status: {status}"));
    }
    if let Some(code) = error.code() {
        text.push_str(&format!("\n  error code:  {code}"));
    }
    if let Some(request_id) = error.request_id() {
        text.push_str(&format!("\n  request id:  {request_id}"));
    }
    if let Some(encoded) = error.encoded_authorization_message() {
        text.push_str(&format!("\n  encoded authorization message: {encoded}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_names_status_code_and_request_id() {
        let error = ApiError::from_status(401, "verify aksk signature fail")
            .with_code("APIGW.0301")
            .with_request_id("req-1");
        let text = CliError::api("cn-north-4/0483b6b16e954cb88930a360d2c4e663", error).to_string();
        assert!(
            text.starts_with("cn-north-4/0483b6b16e954cb88930a360d2c4e663: service error: verify")
        );
        assert!(text.contains("HTTP status: 401"), "{text}");
        assert!(text.contains("error code:  APIGW.0301"), "{text}");
        assert!(text.contains("request id:  req-1"), "{text}");
    }

    #[test]
    fn unknown_parts_are_left_out() {
        let error = ApiError::new(rds_dr_api::ErrorKind::Connect, "connection refused");
        let text = describe_api_error(&error);
        assert_eq!(text, "connection error: connection refused");
    }
}
