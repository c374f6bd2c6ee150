//! [`ApiError`]: the one error type of the API boundary.

use std::fmt;
use std::time::Duration;

/// What went wrong, coarsely: what retry classification and exit codes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered 4xx (other than 429): the request was wrong,
    /// unauthorised, or named something that does not exist.
    Service,
    /// The service answered 5xx.
    Server,
    /// The service answered 429 (`APIGW.0308`): too many requests.
    Throttled,
    /// No answer in time (connect or read timeout, or the retry budget ran out).
    Timeout,
    /// The connection could not be made or broke (refused, reset, DNS).
    Connect,
    /// TLS failed (handshake, certificate).
    Tls,
    /// The answer arrived but could not be read (not JSON, truncated, too large).
    Decode,
    /// No usable credentials, or they could not be fetched.
    Credentials,
    /// The request could not be built: bad endpoint, region, proxy, CA bundle.
    Configuration,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Service => "service error",
            ErrorKind::Server => "server error",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connection error",
            ErrorKind::Tls => "TLS error",
            ErrorKind::Decode => "decode error",
            ErrorKind::Credentials => "credentials error",
            ErrorKind::Configuration => "configuration error",
        })
    }
}

/// An error from a ListDrRelations call.
///
/// Carries what the service said (HTTP status, Huawei error code and message,
/// request id) and whether the request may have reached the service.
/// Never holds a secret key or security token.
#[derive(Debug)]
pub struct ApiError {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    encoded_authorization_message: Option<String>,
    retry_after: Option<Duration>,
    maybe_sent: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ApiError {
    /// A new error of `kind` with a human-readable message. The request is
    /// assumed not sent; see [`ApiError::with_maybe_sent`].
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
            encoded_authorization_message: None,
            retry_after: None,
            maybe_sent: false,
            source: None,
        }
    }

    /// An error for an HTTP answer with `status`: kind from the status
    /// (429 throttled, 5xx server, other 4xx service). The request was sent.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let kind = match status {
            429 => ErrorKind::Throttled,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Service,
        };
        ApiError::new(kind, message).with_status(status).with_maybe_sent(true)
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the Huawei error code (`DBS.xxxxxx`, `APIGW.xxxx`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the request id (`X-Request-Id`).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets the `encoded_authorization_message` of a 403.
    pub fn with_encoded_authorization_message(mut self, message: impl Into<String>) -> Self {
        self.encoded_authorization_message = Some(message.into());
        self
    }

    /// Sets how long the service asked us to wait (`Retry-After`).
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Records whether the request may have reached the service.
    pub fn with_maybe_sent(mut self, maybe_sent: bool) -> Self {
        self.maybe_sent = maybe_sent;
        self
    }

    /// Attaches the underlying cause. The caller must make sure it holds no secret.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Replaces the message (e.g. to prefix context).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message: the service's `error_msg`, or what the client observed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, if an answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The Huawei error code, if the service gave one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The request id, if the service gave one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The `encoded_authorization_message` of a 403, if any.
    pub fn encoded_authorization_message(&self) -> Option<&str> {
        self.encoded_authorization_message.as_deref()
    }

    /// How long the service asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the request may have reached the service. `false` means it
    /// certainly did not (e.g. credentials or configuration errors, connect
    /// refused).
    pub fn maybe_sent(&self) -> bool {
        self.maybe_sent
    }

    /// Whether trying again may succeed: throttling, 5xx, timeouts, broken
    /// connections, and bodies cut short. Never for 4xx, credentials,
    /// configuration or TLS errors.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Connect => true,
            ErrorKind::Decode => self.status.is_none_or(|s| (200..300).contains(&s)) && self.maybe_sent,
            ErrorKind::Service | ErrorKind::Tls | ErrorKind::Credentials | ErrorKind::Configuration => false,
        }
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// Whether the service throttled the call.
    pub fn is_throttled(&self) -> bool {
        self.kind == ErrorKind::Throttled
    }
}

impl fmt::Display for ApiError {
    /// `kind: message (HTTP 401, code APIGW.0301, request id abc)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(c) = &self.code {
            parts.push(format!("code {c}"));
        }
        if let Some(r) = &self.request_id {
            parts.push(format!("request id {r}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
