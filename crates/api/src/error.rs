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
    /// No answer in time (connect or read timeout). A spent retry budget is
    /// not a kind of its own: [`crate::retry::Retrying`] returns the last
    /// error, its message noting why it gave up.
    Timeout,
    /// The connection could not be made or broke (refused, reset, DNS), including
    /// while the body was being read (a body cut short).
    Connect,
    /// TLS failed (handshake, certificate).
    Tls,
    /// The answer arrived whole but could not be read (not JSON, the wrong
    /// shape, over the size cap). Not retryable: asking again gives the same.
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
///
/// One pointer wide, so `Result<T, ApiError>` stays small.
pub struct ApiError {
    inner: Box<Inner>,
}

struct Inner {
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
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                code: None,
                request_id: None,
                encoded_authorization_message: None,
                retry_after: None,
                maybe_sent: false,
                source: None,
            }),
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
        ApiError::new(kind, message)
            .with_status(status)
            .with_maybe_sent(true)
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the Huawei error code (`DBS.xxxxxx`, `APIGW.xxxx`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    /// Sets the request id (`X-Request-Id`).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.inner.request_id = Some(request_id.into());
        self
    }

    /// Sets the `encoded_authorization_message` of a 403.
    pub fn with_encoded_authorization_message(mut self, message: impl Into<String>) -> Self {
        self.inner.encoded_authorization_message = Some(message.into());
        self
    }

    /// Sets how long the service asked us to wait (`Retry-After`).
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.inner.retry_after = Some(delay);
        self
    }

    /// Records whether the request may have reached the service.
    pub fn with_maybe_sent(mut self, maybe_sent: bool) -> Self {
        self.inner.maybe_sent = maybe_sent;
        self
    }

    /// Attaches the underlying cause. The caller must make sure it holds no secret.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Replaces the message (e.g. to prefix context).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = message.into();
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message: the service's `error_msg`, or what the client observed.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, if an answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The Huawei error code, if the service gave one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The request id, if the service gave one.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The `encoded_authorization_message` of a 403, if any.
    pub fn encoded_authorization_message(&self) -> Option<&str> {
        self.inner.encoded_authorization_message.as_deref()
    }

    /// How long the service asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the request may have reached the service. `false` means it
    /// certainly did not (e.g. credentials or configuration errors, connect
    /// refused).
    pub fn maybe_sent(&self) -> bool {
        self.inner.maybe_sent
    }

    /// Whether trying again may succeed: throttling, 5xx (except 501 and
    /// 505), timeouts, broken connections (also mid-body).
    /// Never for 4xx, unreadable bodies, credentials, configuration or TLS errors. The same
    /// rule as [`crate::retry::RetryClass::of`], which says which kind of
    /// retryable failure it is.
    pub fn is_retryable(&self) -> bool {
        crate::retry::RetryClass::of(self).is_retryable()
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the service throttled the call.
    pub fn is_throttled(&self) -> bool {
        self.inner.kind == ErrorKind::Throttled
    }
}

impl fmt::Display for ApiError {
    /// `kind: message (HTTP 401, code APIGW.0301, request id abc)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        let mut parts = Vec::new();
        if let Some(s) = self.inner.status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(c) = &self.inner.code {
            parts.push(format!("code {c}"));
        }
        if let Some(r) = &self.inner.request_id {
            parts.push(format!("request id {r}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("ApiError")
            .field("kind", &i.kind)
            .field("message", &i.message)
            .field("status", &i.status)
            .field("code", &i.code)
            .field("request_id", &i.request_id)
            .field(
                "encoded_authorization_message",
                &i.encoded_authorization_message,
            )
            .field("retry_after", &i.retry_after)
            .field("maybe_sent", &i.maybe_sent)
            .field("source", &i.source)
            .finish()
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
