//! Turning HTTP failures into [`ApiError`]s.
//!
//! Error bodies come in several shapes; [`ErrorBody::parse`] reads them all:
//!
//! ```
//! use rds_dr_http::ErrorBody;
//!
//! let rds = ErrorBody::parse(br#"{"error_code":"DBS.200001","error_msg":"bad","request_id":"r1"}"#);
//! assert_eq!((rds.code.as_deref(), rds.message.as_deref(), rds.request_id.as_deref()),
//!            (Some("DBS.200001"), Some("bad"), Some("r1")));
//! let nested = ErrorBody::parse(br#"{"error":{"code":"APIGW.0301","message":"Incorrect IAM authentication information"}}"#);
//! assert_eq!(nested.code.as_deref(), Some("APIGW.0301"));
//! let text = ErrorBody::parse(b"  Bad Gateway\n");
//! assert_eq!((text.code, text.message.as_deref()), (None, Some("Bad Gateway")));
//! ```

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use rds_dr_api::{ApiError, ErrorKind};
use serde_json::Value;

/// How many characters of a non-JSON error body become the message.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What an error body says, whatever its shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `error_code`, `errorCode` or `code` (`DBS.xxxxxx`, `APIGW.xxxx`).
    pub code: Option<String>,
    /// `error_msg`, `errorMsg`, `message`; or the body itself (trimmed,
    /// at most [`MAX_MESSAGE_CHARS`] characters) when it is not JSON.
    pub message: Option<String>,
    /// `request_id` (or `requestId`) in the body.
    pub request_id: Option<String>,
    /// `encoded_authorization_message` (HTTP 403).
    pub encoded_authorization_message: Option<String>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first(obj: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| obj.get(*k).and_then(text_of))
}

/// Trims `text` and cuts it to at most `max` characters (adding `…`).
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl ErrorBody {
    /// Reads an error body of any known shape: `{"error_code","error_msg"}`,
    /// `{"errorCode","errorMsg"}`, `{"code","message"}`, any of these nested
    /// one level under `"error"`, with optional `request_id` and
    /// `encoded_authorization_message`. Any other body (not JSON, or JSON of
    /// another shape) becomes the message, trimmed and cut to
    /// [`MAX_MESSAGE_CHARS`] characters. Never fails.
    pub fn parse(body: &[u8]) -> ErrorBody {
        let text = String::from_utf8_lossy(body);
        let fallback = || ErrorBody {
            message: Some(truncate_chars(&text, MAX_MESSAGE_CHARS)).filter(|m| !m.is_empty()),
            ..ErrorBody::default()
        };
        let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) else {
            return fallback();
        };
        let read = |obj: &serde_json::Map<String, Value>| ErrorBody {
            code: first(obj, &["error_code", "errorCode", "code"]),
            message: first(
                obj,
                &[
                    "error_msg",
                    "errorMsg",
                    "message",
                    "error_description",
                    "msg",
                ],
            ),
            request_id: first(obj, &["request_id", "requestId"]),
            encoded_authorization_message: first(obj, &["encoded_authorization_message"]),
        };
        let mut parsed = read(&top);
        if let Some(Value::Object(inner)) = top.get("error") {
            let nested = read(inner);
            parsed = ErrorBody {
                code: nested.code.or(parsed.code),
                message: nested.message.or(parsed.message),
                request_id: nested.request_id.or(parsed.request_id),
                encoded_authorization_message: nested
                    .encoded_authorization_message
                    .or(parsed.encoded_authorization_message),
            };
        } else if parsed.message.is_none()
            && let Some(Value::String(s)) = top.get("error")
        {
            parsed.message = Some(truncate_chars(s, MAX_MESSAGE_CHARS)).filter(|m| !m.is_empty());
        }
        if parsed.code.is_none() && parsed.message.is_none() {
            let mut keep = fallback();
            keep.request_id = parsed.request_id;
            keep.encoded_authorization_message = parsed.encoded_authorization_message;
            return keep;
        }
        parsed.message = parsed
            .message
            .map(|m| truncate_chars(&m, MAX_MESSAGE_CHARS));
        parsed
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The error for a non-2xx answer.
pub(crate) fn from_response(
    status: u16,
    reason: Option<&str>,
    header_request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ApiError {
    let parsed = ErrorBody::parse(body);
    let message = parsed.message.unwrap_or_else(|| match reason {
        Some(r) => format!("HTTP {status} {r} with an empty body"),
        None => format!("HTTP {status} with an empty body"),
    });
    let mut error = ApiError::from_status(status, message);
    if let Some(code) = parsed.code {
        error = error.with_code(code);
    }
    if let Some(id) = header_request_id.or(parsed.request_id) {
        error = error.with_request_id(id);
    }
    if let Some(m) = parsed.encoded_authorization_message {
        error = error.with_encoded_authorization_message(m);
    }
    if let Some(d) = retry_after {
        error = error.with_retry_after(d);
    }
    error
}

/// The error's message and its sources', joined by `: ` (without
/// repeating a message that is already part of the previous one).
pub(crate) fn chain_message(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn is_tls(error: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && (inner.downcast_ref::<rustls::Error>().is_some() || is_tls(inner))
        {
            return true;
        }
        current = e.source();
    }
    // Fallback on the words rustls and webpki use, for errors that do not
    // keep their type through the chain.
    let text = chain_message(error).to_ascii_lowercase();
    [
        "certificate",
        "tls handshake",
        "invalid peer",
        "received corrupt message",
        "unknownissuer",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// What the client was doing when reqwest failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Sending the request and waiting for the status line and headers.
    Send,
    /// Reading the body of an answer with this status.
    Body { status: u16, received: usize },
}

/// Maps a reqwest error into an [`ApiError`] (never holding a header value).
pub(crate) fn from_reqwest(error: reqwest::Error, phase: Phase) -> ApiError {
    let text = chain_message(&error);
    let (kind, maybe_sent, message) = if error.is_timeout() {
        let connect = error.is_connect();
        let what = if connect {
            "connect timeout"
        } else if matches!(phase, Phase::Body { .. }) {
            "read timeout while reading the body"
        } else {
            "read timeout waiting for the answer"
        };
        (ErrorKind::Timeout, !connect, format!("{what}: {text}"))
    } else if is_tls(&error) {
        (ErrorKind::Tls, false, format!("TLS failed: {text}"))
    } else if error.is_connect() {
        (ErrorKind::Connect, false, format!("cannot connect: {text}"))
    } else if error.is_builder() {
        (
            ErrorKind::Configuration,
            false,
            format!("cannot build the request: {text}"),
        )
    } else if let Phase::Body { received, .. } = phase {
        (
            ErrorKind::Connect,
            true,
            format!(
                "body truncated at byte {received}: the connection broke while reading it: {text}"
            ),
        )
    } else {
        (
            ErrorKind::Connect,
            true,
            format!("the connection broke: {text}"),
        )
    };
    let mut api = ApiError::new(kind, message)
        .with_maybe_sent(maybe_sent)
        .with_source(error);
    if let Phase::Body { status, .. } = phase {
        api = api.with_status(status);
    }
    api
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let check = |body: &str, code: Option<&str>, msg: Option<&str>, rid: Option<&str>| {
            let p = ErrorBody::parse(body.as_bytes());
            assert_eq!(p.code.as_deref(), code, "{body}");
            assert_eq!(p.message.as_deref(), msg, "{body}");
            assert_eq!(p.request_id.as_deref(), rid, "{body}");
        };
        check(
            r#"{"error_code":"DBS.1","error_msg":"m"}"#,
            Some("DBS.1"),
            Some("m"),
            None,
        );
        check(
            r#"{"errorCode":"E","errorMsg":"m2","request_id":"r"}"#,
            Some("E"),
            Some("m2"),
            Some("r"),
        );
        check(
            r#"{"code":"APIGW.0308","message":"slow"}"#,
            Some("APIGW.0308"),
            Some("slow"),
            None,
        );
        check(
            r#"{"code":404,"message":"nf"}"#,
            Some("404"),
            Some("nf"),
            None,
        );
        check(
            r#"{"error":{"code":"C","message":"M"},"request_id":"outer"}"#,
            Some("C"),
            Some("M"),
            Some("outer"),
        );
        check(
            r#"{"error":{"error_code":"C2","error_msg":"M2","request_id":"in"}}"#,
            Some("C2"),
            Some("M2"),
            Some("in"),
        );
        check(r#"{"error":"plain"}"#, None, Some("plain"), None);
        check("", None, None, None);
        check("   ", None, None, None);
        check(
            "<html>bad gateway</html>",
            None,
            Some("<html>bad gateway</html>"),
            None,
        );
        check("[1,2]", None, Some("[1,2]"), None);
        check(
            r#"{"other":1,"request_id":"x"}"#,
            None,
            Some(r#"{"other":1,"request_id":"x"}"#),
            Some("x"),
        );
        let p = ErrorBody::parse(br#"{"error_code":"IAM.0002","error_msg":"denied","encoded_authorization_message":"abc=="}"#);
        assert_eq!(p.encoded_authorization_message.as_deref(), Some("abc=="));
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let body = "é".repeat(2000);
        let p = ErrorBody::parse(body.as_bytes());
        let m = p.message.unwrap();
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(m.ends_with('…'));
        let invalid = [0xffu8, 0xfe, b'x'];
        assert!(ErrorBody::parse(&invalid).message.unwrap().ends_with('x'));
    }

    #[test]
    fn retry_after() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 10);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        let later = now + Duration::from_secs(100);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn response_errors() {
        let e = from_response(
            429,
            Some("Too Many Requests"),
            Some("hdr-id".into()),
            Some(Duration::from_secs(2)),
            br#"{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"body-id"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(e.request_id(), Some("hdr-id"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        let e = from_response(502, Some("Bad Gateway"), None, None, b"");
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.message(), "HTTP 502 Bad Gateway with an empty body");
        let e = from_response(
            404,
            None,
            None,
            None,
            br#"{"error_code":"DBS.1","error_msg":"x","request_id":"b"}"#,
        );
        assert_eq!(e.request_id(), Some("b"));
        assert_eq!(e.kind(), ErrorKind::Service);
    }
}
