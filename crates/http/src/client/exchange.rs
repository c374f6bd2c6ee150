//! One signed exchange with the service: sign the request, send it, read
//! the body under the size cap, and turn a failure into an [`ApiError`]
//! (error bodies in every shape Huawei uses, `Retry-After`, request ids).

use std::fmt;
use std::time::Instant;

use rds_dr_api::{ApiError, ErrorKind};
use rds_dr_sign::{Credentials, SignableRequest, sign};
use tracing::Instrument;
use url::Url;

use super::{HttpClient, RawResponse};
use crate::error::{Phase, from_reqwest, from_response, parse_retry_after};

/// One request to sign and send.
pub(super) struct Outgoing<'a> {
    pub(super) operation: &'static str,
    /// `GET` or `POST`.
    pub(super) method: &'static str,
    pub(super) region: &'a str,
    pub(super) url: Url,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
    /// The body (JSON), signed by its SHA-256; empty for a GET.
    pub(super) body: Vec<u8>,
}

/// Headers whose values never reach a log line.
fn is_sensitive(name: &str) -> bool {
    [
        "authorization",
        "x-security-token",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-auth-token",
    ]
    .iter()
    .any(|s| name.eq_ignore_ascii_case(s))
}

/// Headers for a log line, secrets redacted.
pub(super) struct Redacted<'a>(&'a [(String, String)]);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_sensitive(name) {
                write!(f, "{name}: REDACTED")?;
            } else {
                write!(f, "{name}: {value}")?;
            }
        }
        Ok(())
    }
}

/// `host[:port]` as hyper sends it in `Host`: the port only when it is not
/// the scheme's default (the `url` crate already drops a default port).
pub(super) fn host_header(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// `base` with `path` (no leading `/`) appended to its path.
pub(super) fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

impl HttpClient {
    /// Signs and sends one request, reads the body under the cap, maps
    /// failures.
    pub(super) async fn send(
        &self,
        outgoing: Outgoing<'_>,
        credentials: &Credentials,
    ) -> Result<RawResponse, ApiError> {
        let span = tracing::debug_span!(
            "rds_dr_http",
            operation = outgoing.operation,
            method = outgoing.method,
            url = %outgoing.url,
            region = outgoing.region,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        self.send_inner(outgoing, credentials)
            .instrument(span)
            .await
    }

    async fn send_inner(
        &self,
        outgoing: Outgoing<'_>,
        credentials: &Credentials,
    ) -> Result<RawResponse, ApiError> {
        let inner = &self.inner;
        let start = Instant::now();
        let span = tracing::Span::current();
        let Some(host) = host_header(&outgoing.url) else {
            return Err(ApiError::new(
                ErrorKind::Configuration,
                format!("the URL `{}` has no host", outgoing.url),
            ));
        };
        let path = percent_encoding::percent_decode_str(outgoing.url.path())
            .decode_utf8_lossy()
            .into_owned();
        let mut url = outgoing.url.clone();
        if !outgoing.query.is_empty() {
            url.set_query(Some(&rds_dr_sign::canonical_query(&outgoing.query)));
        }
        let signable = SignableRequest {
            method: outgoing.method,
            host: &host,
            path: &path,
            query: &outgoing.query,
            headers: &outgoing.headers,
            body: &outgoing.body,
        };
        let signed = sign(&signable, credentials, (inner.clock)());
        let mut headers = outgoing.headers.clone();
        headers.extend(
            signed
                .headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), v.clone())),
        );

        let mut request = match outgoing.method {
            "POST" => inner.client.post(url.clone()).body(outgoing.body.clone()),
            _ => inner.client.get(url.clone()),
        };
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        tracing::debug!(url = %url, "sending");
        tracing::trace!(host = %host, headers = %Redacted(&headers), "request headers");

        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let error = from_reqwest(e, Phase::Send);
                span.record("elapsed_ms", start.elapsed().as_millis() as u64);
                tracing::debug!(kind = %error.kind(), error = %error, "request failed");
                return Err(error);
            }
        };
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        span.record("status", status.as_u16());
        if let Some(id) = &request_id {
            span.record("request_id", id.as_str());
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            let received: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            tracing::trace!(headers = %Redacted(&received), "response headers");
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, (inner.clock)()));

        let result = if status.is_success() {
            self.read_body(response, status.as_u16(), false)
                .await
                .map(|body| RawResponse {
                    status: status.as_u16(),
                    request_id: request_id.clone(),
                    body,
                })
                .map_err(|e| match &request_id {
                    Some(id) => e.with_request_id(id.clone()),
                    None => e,
                })
        } else {
            // An error body is read as far as it goes: its first part is enough.
            let body = self
                .read_body(response, status.as_u16(), true)
                .await
                .unwrap_or_default();
            Err(from_response(
                status.as_u16(),
                status.canonical_reason(),
                request_id.clone(),
                retry_after,
                &body,
            ))
        };
        let elapsed_ms = start.elapsed().as_millis() as u64;
        span.record("elapsed_ms", elapsed_ms);
        match &result {
            Ok(raw) => tracing::debug!(
                status = raw.status,
                request_id = raw.request_id.as_deref().unwrap_or(""),
                bytes = raw.body.len(),
                elapsed_ms,
                "answered"
            ),
            Err(e) => tracing::debug!(
                status = e.status().unwrap_or(0),
                code = e.code().unwrap_or(""),
                request_id = e.request_id().unwrap_or(""),
                kind = %e.kind(),
                elapsed_ms,
                "failed: {}",
                e.message()
            ),
        }
        result
    }

    /// Reads the body in chunks, stopping at the cap. With `lenient`
    /// (error bodies), the cap and read errors end the body instead of
    /// failing.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        status: u16,
        lenient: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let cap = self.inner.max_response_bytes;
        let too_large = |what: String| {
            ApiError::new(
                ErrorKind::Decode,
                format!("{what} over the {cap}-byte limit (max_response_bytes); not read"),
            )
            .with_status(status)
            .with_maybe_sent(true)
        };
        if !lenient
            && let Some(length) = response.content_length()
            && length > cap
        {
            return Err(too_large(format!(
                "the response body ({length} bytes, from Content-Length) is"
            )));
        }
        let mut body = Vec::with_capacity(
            response.content_length().unwrap_or(0).min(cap).min(1 << 20) as usize,
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = usize::try_from(cap)
                        .unwrap_or(usize::MAX)
                        .saturating_sub(body.len());
                    if chunk.len() > room {
                        if lenient {
                            body.extend_from_slice(&chunk[..room]);
                            return Ok(body);
                        }
                        return Err(too_large(format!(
                            "the response body is (at least {} bytes)",
                            body.len() + chunk.len()
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(_) if lenient => return Ok(body),
                Err(e) => {
                    return Err(from_reqwest(
                        e,
                        Phase::Body {
                            status,
                            received: body.len(),
                        },
                    ));
                }
            }
        }
    }
}

/// A Decode error for a 2xx body that is not what was expected.
pub(super) fn decode_error(raw: &RawResponse, error: &serde_json::Error, what: &str) -> ApiError {
    let message = if raw.body.iter().all(u8::is_ascii_whitespace) {
        format!("{what}: body is empty (HTTP {})", raw.status)
    } else if error.is_eof() {
        format!(
            "{what}: body truncated at byte {} (the JSON ends early): {error}",
            raw.body.len()
        )
    } else if error.is_syntax() {
        format!("{what}: body is not JSON: {error}")
    } else {
        format!("{what}: body is JSON of an unexpected shape: {error}")
    };
    let mut api = ApiError::new(ErrorKind::Decode, message)
        .with_status(raw.status)
        .with_maybe_sent(true);
    if let Some(id) = &raw.request_id {
        api = api.with_request_id(id.clone());
    }
    api
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::redacted_url;

    #[test]
    fn join_and_host() {
        let base = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join_path(&base, "v3/p/x").as_str(),
            "http://127.0.0.1:8080/v3/p/x"
        );
        let base = Url::parse("https://gw.example.com/prefix/").unwrap();
        assert_eq!(
            join_path(&base, "v3/p").as_str(),
            "https://gw.example.com/prefix/v3/p"
        );
        assert_eq!(host_header(&base).as_deref(), Some("gw.example.com"));
        let v6 = Url::parse("http://[::1]:9000/").unwrap();
        assert_eq!(host_header(&v6).as_deref(), Some("[::1]:9000"));
        let default_port = Url::parse("https://rds.cn-north-4.myhuaweicloud.com:443/").unwrap();
        assert_eq!(
            host_header(&default_port).as_deref(),
            Some("rds.cn-north-4.myhuaweicloud.com")
        );
    }

    #[test]
    fn redaction() {
        let headers = vec![
            (
                "Authorization".to_string(),
                "SDK-HMAC-SHA256 Access=AK, Signature=abc".to_string(),
            ),
            ("X-Security-Token".to_string(), "tok".to_string()),
            ("X-Project-Id".to_string(), "p".to_string()),
        ];
        let shown = Redacted(&headers).to_string();
        assert_eq!(
            shown,
            "Authorization: REDACTED, X-Security-Token: REDACTED, X-Project-Id: p"
        );
        let url = Url::parse("http://user:pa55@proxy.local:3128").unwrap();
        assert!(!redacted_url(&url).contains("pa55"));
    }
}
