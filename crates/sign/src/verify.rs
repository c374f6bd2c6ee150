//! Server side: verifying a received request as Huawei's API gateway does.

use std::time::{Duration, SystemTime};

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::encode::{parse_query, percent_decode};
use crate::sign::{
    ALGORITHM, CanonicalHeader, EMPTY_BODY_SHA256, UNSIGNED_PAYLOAD, build_canonical_request,
    hmac_for, py_strip, sha256_hex, string_to_sign,
};
use crate::{Credentials, parse_sdk_date};

/// A request as received by a server, before any interpretation.
///
/// `Debug` prints `***` for the value of an `X-Security-Token` header.
#[derive(Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The path as received on the wire (percent-encoded); [`verify`] decodes it.
    pub path: &'a str,
    /// The raw query string as received, without `?`.
    pub query: Option<&'a str>,
    /// Every header received (names in any case), including `Host`,
    /// `X-Sdk-Date` and `Authorization`.
    pub headers: &'a [(String, String)],
    /// The body bytes as received.
    pub body: &'a [u8],
}

impl std::fmt::Debug for ReceivedRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl std::fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(name, value)| {
                        if name.eq_ignore_ascii_case(crate::HEADER_SECURITY_TOKEN) {
                            (name.as_str(), "***")
                        } else {
                            (name.as_str(), value.as_str())
                        }
                    }))
                    .finish()
            }
        }
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &Headers(self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed it.
    pub access_key: String,
    /// The lower-case header names it signed, in `SignedHeaders` order.
    pub signed_headers: Vec<String>,
}

/// Why [`verify`] rejected a request. Messages never contain a secret key or token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("missing Authorization header")]
    MissingAuthorization,
    /// `Authorization` could not be parsed (the reason says which part).
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(String),
    /// `Authorization` names an algorithm other than `SDK-HMAC-SHA256`.
    #[error("unsupported signing algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The access key is not known to the server.
    #[error("unknown access key {0:?}")]
    UnknownAccessKey(String),
    /// A header listed in `SignedHeaders` was not received.
    #[error("signed header {0:?} is missing from the request")]
    MissingSignedHeader(String),
    /// No `X-Sdk-Date` header.
    #[error("missing X-Sdk-Date header")]
    MissingDate,
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    #[error("invalid X-Sdk-Date {0:?}")]
    InvalidDate(String),
    /// `X-Sdk-Date` is too far from the server's clock (positive: in the future).
    #[error("X-Sdk-Date is {skew_secs} s off the server clock")]
    DateSkew {
        /// Request time minus server time, in seconds.
        skew_secs: i64,
    },
    /// The credentials need a security token, and the request did not send
    /// one or did not sign it.
    #[error("missing or unsigned X-Security-Token")]
    MissingSecurityToken,
    /// The security token sent is not the expected one.
    #[error("X-Security-Token does not match")]
    SecurityTokenMismatch,
    /// The signature does not match the request.
    #[error("signature does not match")]
    SignatureMismatch,
}

impl VerifyError {
    /// The gateway error code a Huawei API gateway answers with (HTTP 401):
    /// `APIGW.0303` for date problems (missing, invalid, over the allowed
    /// skew), `APIGW.0301` for every other authentication failure.
    pub fn gateway_code(&self) -> &'static str {
        match self {
            VerifyError::MissingDate
            | VerifyError::InvalidDate(_)
            | VerifyError::DateSkew { .. } => "APIGW.0303",
            _ => "APIGW.0301",
        }
    }

    /// The HTTP status the gateway answers with: always 401.
    pub fn http_status(&self) -> u16 {
        401
    }

    /// Whether this is a date problem (a fresh signature may succeed).
    pub fn is_date_problem(&self) -> bool {
        self.gateway_code() == "APIGW.0303"
    }
}

/// The parts of an `Authorization: SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=..`.
struct Authorization<'a> {
    access: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, VerifyError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').ok_or_else(|| {
        VerifyError::MalformedAuthorization("no credentials after algorithm".into())
    })?;
    if algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm(truncate(algorithm)));
    }
    let (mut access, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (key, val) = part.split_once('=').ok_or_else(|| {
            VerifyError::MalformedAuthorization(format!(
                "expected key=value, got {:?}",
                truncate(part)
            ))
        })?;
        let slot = match key {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(VerifyError::MalformedAuthorization(format!(
                    "unknown field {:?}",
                    truncate(other)
                )));
            }
        };
        if slot.replace(val).is_some() {
            return Err(VerifyError::MalformedAuthorization(format!(
                "repeated field {key}"
            )));
        }
    }
    let missing = |field: &str| VerifyError::MalformedAuthorization(format!("missing {field}"));
    let access = access
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("Access"))?;
    let signed_headers = signed_headers
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("Signature"))?;
    Ok(Authorization {
        access,
        signed_headers,
        signature,
    })
}

/// Attacker-controlled text quoted in an error: at most 64 characters.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// The received value of a header (any case); several occurrences are joined
/// with `,` as HTTP allows. `None` when absent.
fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for (n, v) in headers {
        if n.eq_ignore_ascii_case(name) {
            let v = py_strip(v);
            match &mut found {
                None => found = Some(v.to_string()),
                Some(acc) => {
                    acc.push(',');
                    acc.push_str(v);
                }
            }
        }
    }
    found
}

fn skew_secs(request_time: SystemTime, now: SystemTime) -> i64 {
    match request_time.duration_since(now) {
        Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Verifies a received request exactly as Huawei's API gateway does for
/// SDK-HMAC-SHA256.
///
/// Checks, in order: `Authorization` is present and well formed, with algorithm
/// `SDK-HMAC-SHA256` and `SignedHeaders` including `host` and `x-sdk-date`;
/// `X-Sdk-Date` is present, valid and within `max_skew` of `now` (either
/// way); `secret_for(access_key)` knows the key; every signed header was
/// received; when the expected credentials carry a security token, an equal
/// `X-Security-Token` was sent and signed; and finally the signature, recomputed
/// over the decoded path and query, the signed headers (trimmed), and the body
/// hash (or a signed `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`), matches.
///
/// Header names are compared case-insensitively. The path's `%XX` escapes are
/// decoded before the canonical URI is rebuilt (so `/a%7Eb` and `/a~b` verify
/// alike); in the query, `+` is a literal plus, not a space.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rds_dr_sign::{Credentials, ReceivedRequest, SignableRequest, sign, verify};
///
/// let credentials = Credentials::new("AK-TEST", "SK-TEST");
/// let time = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
/// let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
/// let out = sign(
///     &SignableRequest { method: "GET", host: "127.0.0.1:8443", path: "/v3/projects",
///                        query: &[("name".into(), "cn-north-4".into())], headers: &headers, body: b"" },
///     &credentials,
///     time,
/// );
/// let mut received = headers.clone();
/// received.push(("Host".into(), "127.0.0.1:8443".into()));
/// received.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
/// let request = ReceivedRequest { method: "GET", path: "/v3/projects", query: Some("name=cn-north-4"),
///                                 headers: &received, body: b"" };
/// let lookup = |ak: &str| (ak == "AK-TEST").then(|| credentials.clone());
/// let ok = verify(&request, lookup, time, Duration::from_secs(900)).unwrap();
/// assert_eq!(ok.access_key, "AK-TEST");
///
/// let late = time + Duration::from_secs(16 * 60);
/// let err = verify(&request, lookup, late, Duration::from_secs(900)).unwrap_err();
/// assert_eq!(err.gateway_code(), "APIGW.0303");
/// ```
pub fn verify(
    request: &ReceivedRequest<'_>,
    secret_for: impl Fn(&str) -> Option<Credentials>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<Verified, VerifyError> {
    let authorization =
        header_value(request.headers, "authorization").ok_or(VerifyError::MissingAuthorization)?;
    let auth = parse_authorization(&authorization)?;

    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if let Some(bad) = signed
        .iter()
        .find(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase() || b == b':'))
    {
        return Err(VerifyError::MalformedAuthorization(format!(
            "bad name in SignedHeaders: {:?}",
            truncate(bad)
        )));
    }
    for required in ["host", "x-sdk-date"] {
        if !signed.contains(&required) {
            return Err(VerifyError::MalformedAuthorization(format!(
                "SignedHeaders must include {required}"
            )));
        }
    }
    let signature = hex::decode(auth.signature)
        .map_err(|_| VerifyError::MalformedAuthorization("Signature is not hex".to_string()))?;

    let sdk_date = header_value(request.headers, "x-sdk-date").ok_or(VerifyError::MissingDate)?;
    let request_time =
        parse_sdk_date(&sdk_date).ok_or_else(|| VerifyError::InvalidDate(truncate(&sdk_date)))?;
    let skew = skew_secs(request_time, now);
    if skew.unsigned_abs() > max_skew.as_secs() {
        return Err(VerifyError::DateSkew { skew_secs: skew });
    }

    let credentials = secret_for(auth.access)
        .ok_or_else(|| VerifyError::UnknownAccessKey(truncate(auth.access)))?;

    if let Some(expected) = credentials.security_token() {
        let sent = signed
            .contains(&"x-security-token")
            .then(|| header_value(request.headers, "x-security-token"))
            .flatten()
            .ok_or(VerifyError::MissingSecurityToken)?;
        // `subtle`: the time taken does not depend on where the bytes differ
        // (only on whether the lengths do).
        let equal: bool = sent
            .as_bytes()
            .ct_eq(py_strip(expected.expose()).as_bytes())
            .into();
        if !equal {
            return Err(VerifyError::SecurityTokenMismatch);
        }
    }

    let mut values: Vec<String> = Vec::with_capacity(signed.len());
    for name in &signed {
        let value = header_value(request.headers, name)
            .ok_or_else(|| VerifyError::MissingSignedHeader(truncate(name)))?;
        values.push(value);
    }
    let signed_value = |name: &str| -> Option<&str> {
        signed
            .iter()
            .position(|n| *n == name)
            .map(|i| values[i].as_str())
    };

    let payload_hash = if request.body.is_empty() {
        EMPTY_BODY_SHA256.to_string()
    } else {
        let actual = sha256_hex(request.body);
        match signed_value("x-sdk-content-sha256") {
            Some(declared) if declared == UNSIGNED_PAYLOAD => declared.to_string(),
            Some(declared) if !declared.is_empty() => {
                if !declared.eq_ignore_ascii_case(&actual) {
                    return Err(VerifyError::SignatureMismatch);
                }
                declared.to_string()
            }
            _ => actual,
        }
    };

    let path = percent_decode(request.path);
    let query = request.query.map(parse_query).unwrap_or_default();
    let canonical_headers: Vec<CanonicalHeader<'_>> = signed
        .iter()
        .zip(&values)
        .map(|(name, value)| CanonicalHeader { name, value })
        .collect();
    let canonical_request = build_canonical_request(
        request.method,
        &path,
        &query,
        &canonical_headers,
        auth.signed_headers,
        &payload_hash,
    );
    let string_to_sign = string_to_sign(&sdk_date, &canonical_request);
    let mut mac = hmac_for(credentials.secret_key().expose());
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| VerifyError::SignatureMismatch)?;

    Ok(Verified {
        access_key: auth.access.to_string(),
        signed_headers: signed.iter().map(|s| s.to_string()).collect(),
    })
}
