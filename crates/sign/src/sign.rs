//! Building the canonical request and signing it.

use std::fmt;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::encode::{canonical_query, canonical_uri};
use crate::{Credentials, format_sdk_date};

/// The signing algorithm name, first token of `Authorization`.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time.
pub const HEADER_SDK_DATE: &str = "X-Sdk-Date";
/// Header carrying the security token of temporary credentials.
pub const HEADER_SECURITY_TOKEN: &str = "X-Security-Token";
/// Header carrying the signature.
pub const HEADER_AUTHORIZATION: &str = "Authorization";
/// Header that replaces the body hash (`UNSIGNED-PAYLOAD` for bodies that are
/// neither JSON nor BSON, as the official SDK does).
pub const HEADER_CONTENT_SHA256: &str = "X-Sdk-Content-Sha256";
/// The value of [`HEADER_CONTENT_SHA256`] the official SDK sets.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Hex SHA-256 of the empty body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type HmacSha256 = Hmac<Sha256>;

/// What is signed: a plain view of an HTTP request, independent of any HTTP library.
#[derive(Clone, Copy, Debug)]
pub struct SignableRequest<'a> {
    /// HTTP method, e.g. `GET` (upper-cased for signing).
    pub method: &'a str,
    /// `host[:port]` exactly as sent in the `Host` header.
    pub host: &'a str,
    /// The decoded path, e.g. `/v3/{project_id}/instances/disaster-recovery-relation`.
    /// Put [`encode_path`](crate::encode_path) of it on the wire.
    pub path: &'a str,
    /// Decoded query pairs, any order. Put [`canonical_query`] of them on the
    /// wire (as the official SDK does).
    pub query: &'a [(String, String)],
    /// The other headers that are sent and signed (`Content-Type`,
    /// `X-Project-Id`, `X-Language`, `User-Agent`, ...). Not `Host`,
    /// `X-Sdk-Date`, `X-Security-Token` or `Authorization`: [`sign`] owns those
    /// and ignores any copy here. Names containing `_` are sent but not signed
    /// (as the official SDK does). Send values trimmed: the signature covers
    /// the trimmed value.
    pub headers: &'a [(String, String)],
    /// The body bytes, exactly as sent.
    pub body: &'a [u8],
}

/// The result of [`sign`]: headers to add, plus the intermediate strings for
/// tests and debugging.
///
/// `Debug` redacts the security token (in `headers` and in `canonical_request`).
#[derive(Clone, PartialEq, Eq)]
pub struct SigningOutput {
    /// Headers to add to the request, in this order: `X-Sdk-Date`,
    /// `X-Sdk-Content-Sha256` (only when the `Content-Type` is
    /// neither JSON nor BSON), `X-Security-Token` (temporary credentials only),
    /// `Authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The canonical request that was hashed. Contains the security token, if
    /// any: do not log it (its `Debug` here is redacted).
    pub canonical_request: String,
    /// `SDK-HMAC-SHA256\n{date}\n{hex sha256(canonical request)}`.
    pub string_to_sign: String,
    /// Lower-case signed header names, sorted, joined by `;`.
    pub signed_headers: String,
    /// Hex HMAC-SHA256 of the string to sign under the secret key.
    pub signature: String,
}

impl SigningOutput {
    /// The value of one of the output headers, by exact name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        self.header(HEADER_AUTHORIZATION).unwrap_or("")
    }

    /// The canonical request with the `x-security-token` line's value replaced
    /// by `***`: safe to log.
    pub fn canonical_request_redacted(&self) -> String {
        redact_canonical(&self.canonical_request)
    }
}

fn redact_canonical(canonical: &str) -> String {
    canonical
        .split('\n')
        .map(|line| {
            if line.starts_with("x-security-token:") {
                "x-security-token:***"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(&'static str, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(name, value)| {
                        if name.eq_ignore_ascii_case(HEADER_SECURITY_TOKEN) {
                            (*name, "***")
                        } else {
                            (*name, value.as_str())
                        }
                    }))
                    .finish()
            }
        }
        f.debug_struct("SigningOutput")
            .field("headers", &Headers(&self.headers))
            .field("canonical_request", &self.canonical_request_redacted())
            .field("string_to_sign", &self.string_to_sign)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Trims like Python's `str.strip()`: Unicode white space plus the ASCII
/// separators U+001C..U+001F, which Rust's `trim` keeps.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// One header as it enters the canonical request.
pub(crate) struct CanonicalHeader<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// Canonical request from already-decoded parts. `headers` are the signed
/// headers in the order they are listed in `SignedHeaders`.
pub(crate) fn build_canonical_request(
    method: &str,
    decoded_path: &str,
    query: &[(String, String)],
    headers: &[CanonicalHeader<'_>],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let uri = canonical_uri(decoded_path);
    let query = canonical_query(query);
    let mut out = String::with_capacity(
        method.len() + uri.len() + query.len() + signed_headers.len() + 64 + 40 * headers.len(),
    );
    out.push_str(&method.to_uppercase());
    out.push('\n');
    out.push_str(&uri);
    out.push('\n');
    out.push_str(&query);
    out.push('\n');
    for h in headers {
        out.push_str(h.name);
        out.push(':');
        out.push_str(h.value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(crate) fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

pub(crate) fn hmac_for(secret_key: &str) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    HmacSha256::new_from_slice(secret_key.as_bytes()).expect("HMAC takes keys of any length")
}

fn is_owned_by_sign(name: &str) -> bool {
    ["host", "x-sdk-date", "x-security-token", "authorization"]
        .iter()
        .any(|owned| name.eq_ignore_ascii_case(owned))
}

/// Whether the official SDK would sign this body as `UNSIGNED-PAYLOAD`:
/// a `Content-Type` that is neither `application/json*` nor `application/bson*`.
fn wants_unsigned_payload(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .is_some_and(|(_, v)| {
            let v = py_strip(v);
            !v.is_empty()
                && !v.starts_with("application/json")
                && !v.starts_with("application/bson")
        })
}

/// Signs a request with SDK-HMAC-SHA256, exactly as the official Huawei Cloud
/// SDKs do. Pure: the same inputs give the same output.
///
/// `time` becomes `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC, seconds truncated).
/// The signed headers are all of `request.headers` whose name has no `_`, plus
/// `Host`, `X-Sdk-Date` and, with temporary credentials, `X-Security-Token`.
/// When the `Content-Type` is neither JSON nor BSON, `X-Sdk-Content-Sha256:
/// UNSIGNED-PAYLOAD` is added, signed, and used in place of the body hash (for
/// a non-empty body), as the SDK does (the SDK looks only at the exact name
/// `Content-Type`; this looks at any case).
///
/// The known answer of the official signer:
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rds_dr_sign::{Credentials, SignableRequest, sign};
///
/// let headers = [
///     ("Content-Type", "application/json"),
///     ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
///     ("X-Language", "en-us"),
/// ]
/// .map(|(n, v)| (n.to_string(), v.to_string()));
/// let request = SignableRequest {
///     method: "GET",
///     host: "rds.ap-southeast-1.myhuaweicloud.com",
///     path: "/v3/0123456789abcdef0123456789abcdef/instances/disaster-recovery-relation",
///     query: &[],
///     headers: &headers,
///     body: b"",
/// };
/// // Test-only credentials.
/// let credentials = Credentials::new("AKTESTAKTESTAKTEST", "SKtestSKtestSKtestSKtestSKtestSKtestSKte");
/// let time = UNIX_EPOCH + Duration::from_secs(1_704_067_200); // 2024-01-01T00:00:00Z
///
/// let out = sign(&request, &credentials, time);
/// assert_eq!(out.signed_headers, "content-type;host;x-language;x-project-id;x-sdk-date");
/// assert_eq!(out.signature, "318e58e5c11c7c5412ff0a562800b970e6b25ffa3523ac0d4581acc328d921d7");
/// assert_eq!(out.headers[0], ("X-Sdk-Date", "20240101T000000Z".to_string()));
/// assert_eq!(
///     out.authorization(),
///     "SDK-HMAC-SHA256 Access=AKTESTAKTESTAKTEST, \
///      SignedHeaders=content-type;host;x-language;x-project-id;x-sdk-date, \
///      Signature=318e58e5c11c7c5412ff0a562800b970e6b25ffa3523ac0d4581acc328d921d7"
/// );
/// ```
pub fn sign(
    request: &SignableRequest<'_>,
    credentials: &Credentials,
    time: SystemTime,
) -> SigningOutput {
    let sdk_date = format_sdk_date(time);
    let token = credentials.security_token().map(|t| py_strip(t.expose()));
    let unsigned_payload = wants_unsigned_payload(request.headers);

    // (lower-case name, value) of every signed header, in the order the SDK
    // inserts them. A later duplicate (same name, any case) overrides the
    // value of an earlier one, as in the SDK's dict, but every occurrence
    // stays in the name list.
    let mut entries: Vec<(String, &str)> = Vec::with_capacity(request.headers.len() + 4);
    for (name, value) in request.headers {
        let owned = is_owned_by_sign(name)
            || (unsigned_payload && name.eq_ignore_ascii_case(HEADER_CONTENT_SHA256));
        if owned || name.contains('_') {
            continue;
        }
        entries.push((name.to_ascii_lowercase(), py_strip(value)));
    }
    if unsigned_payload {
        entries.push(("x-sdk-content-sha256".to_string(), UNSIGNED_PAYLOAD));
    }
    if let Some(token) = token {
        entries.push(("x-security-token".to_string(), token));
    }
    entries.push(("x-sdk-date".to_string(), &sdk_date));
    entries.push(("host".to_string(), py_strip(request.host)));
    let value_of = |name: &str| -> &str {
        entries
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| *v)
    };

    let mut names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    let signed_headers = names.join(";");

    let content_sha = entries
        .iter()
        .any(|(n, _)| n == "x-sdk-content-sha256")
        .then(|| value_of("x-sdk-content-sha256"));
    let body_hash = if request.body.is_empty() {
        EMPTY_BODY_SHA256.to_string()
    } else if let Some(declared) = content_sha.filter(|v| !v.is_empty()) {
        declared.to_string()
    } else {
        sha256_hex(request.body)
    };

    let canonical_headers: Vec<CanonicalHeader<'_>> = names
        .iter()
        .map(|name| CanonicalHeader {
            name,
            value: value_of(name),
        })
        .collect();
    let canonical_request = build_canonical_request(
        request.method,
        request.path,
        request.query,
        &canonical_headers,
        &signed_headers,
        &body_hash,
    );
    let string_to_sign = string_to_sign(&sdk_date, &canonical_request);
    let mut mac = hmac_for(credentials.secret_key().expose());
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());

    let authorization = format!(
        "{ALGORITHM} Access={}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key()
    );
    let mut headers = Vec::with_capacity(4);
    headers.push((HEADER_SDK_DATE, sdk_date.clone()));
    if unsigned_payload {
        headers.push((HEADER_CONTENT_SHA256, UNSIGNED_PAYLOAD.to_string()));
    }
    if let Some(token) = token {
        headers.push((HEADER_SECURITY_TOKEN, token.to_string()));
    }
    headers.push((HEADER_AUTHORIZATION, authorization));

    SigningOutput {
        headers,
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
    }
}
