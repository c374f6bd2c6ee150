//! Properties: whatever `sign` produces, `verify` accepts once it is put on
//! the wire the way the official SDK does; `verify` never panics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use rds_dr_sign::{
    Credentials, ReceivedRequest, SignableRequest, VerifyError, canonical_query, encode_path, sign,
    verify,
};

const MAX_SKEW: Duration = Duration::from_secs(900);

/// Header names that `sign` owns or treats specially.
const RESERVED: [&str; 5] = [
    "host",
    "x-sdk-date",
    "x-security-token",
    "authorization",
    "x-sdk-content-sha256",
];

fn header_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_-]{0,15}".prop_filter("reserved", |n| {
        !RESERVED.contains(&n.to_ascii_lowercase().as_str())
    })
}

/// Unique (case-insensitively) header names with values of visible text,
/// including non-ASCII and surrounding blanks.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/json;charset=UTF-8")),
        Just(Some("text/plain")),
        Just(Some("application/octet-stream")),
    ];
    (
        prop::collection::vec(
            (header_name(), "[ \t]?[ -~\u{a0}-\u{2ff}]{0,20}[ \t]?"),
            0..6,
        ),
        content_type,
    )
        .prop_map(|(pairs, content_type)| {
            let mut seen = std::collections::HashSet::new();
            let mut out: Vec<(String, String)> = pairs
                .into_iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
                .filter(|(n, _)| seen.insert(n.to_ascii_lowercase()))
                .collect();
            if let Some(ct) = content_type {
                out.push(("Content-Type".into(), ct.into()));
            }
            out
        })
}

/// (method, decoded path, decoded query pairs, headers, body).
type Parts = (
    String,
    String,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<u8>,
);

fn request_parts() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")].prop_map(String::from),
        // Any path: any characters, any segments.
        prop::collection::vec(any::<String>(), 0..5).prop_map(|segments| {
            let mut p = String::new();
            for s in segments {
                p.push('/');
                p.push_str(&s);
            }
            if p.is_empty() { "/".to_string() } else { p }
        }),
        prop::collection::vec((any::<String>(), any::<String>()), 0..6),
        headers(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
}

fn time() -> impl Strategy<Value = SystemTime> {
    (0u64..4_102_444_800).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

fn credentials() -> impl Strategy<Value = Credentials> {
    (
        "[A-Z0-9]{1,24}",
        any::<String>(),
        prop::option::of("[!-~]{1,40}"),
    )
        .prop_map(|(ak, sk, token)| {
            let c = Credentials::new(ak, sk);
            match token {
                Some(t) => c.with_security_token(t),
                None => c,
            }
        })
}

/// Query on the wire in the caller's order (not canonical), `k=v`, percent-encoded.
fn wire_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let one = |k: &str, v: &str| canonical_query(&[(k.to_string(), v.to_string())]);
            one(k, v)
        })
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(
        (method, path, query, headers, body) in request_parts(),
        credentials in credentials(),
        time in time(),
        skew in -900i64..=900,
        canonical_order in any::<bool>(),
    ) {
        let host = "127.0.0.1:8443";
        let out = sign(
            &SignableRequest { method: &method, host, path: &path, query: &query, headers: &headers, body: &body },
            &credentials,
            time,
        );
        let mut received = headers.clone();
        received.push(("Host".into(), host.into()));
        received.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
        let wire_path = encode_path(&path);
        let raw_query = if canonical_order { canonical_query(&query) } else { wire_query(&query) };
        let request = ReceivedRequest {
            method: &method,
            path: &wire_path,
            query: if raw_query.is_empty() { None } else { Some(&raw_query) },
            headers: &received,
            body: &body,
        };
        let now = if skew >= 0 {
            time + Duration::from_secs(skew.unsigned_abs())
        } else {
            time - Duration::from_secs(skew.unsigned_abs())
        };
        let ak = credentials.access_key().to_string();
        let lookup = |candidate: &str| (candidate == ak).then(|| credentials.clone());
        let verified = verify(&request, lookup, now, MAX_SKEW);
        prop_assert!(verified.is_ok(), "{verified:?}\n{}", out.canonical_request_redacted());
        let verified = verified.unwrap();
        prop_assert_eq!(verified.signed_headers.join(";"), out.signed_headers.clone());
        prop_assert!(out.signed_headers.split(';').all(|h| !h.contains('_')));

        // One byte of the body changed breaks it, unless the payload is unsigned.
        if !body.is_empty() && out.header("X-Sdk-Content-Sha256").is_none() {
            let mut changed = body.clone();
            changed[0] ^= 0x01;
            let request = ReceivedRequest { body: &changed, ..request };
            prop_assert_eq!(verify(&request, lookup, now, MAX_SKEW), Err(VerifyError::SignatureMismatch));
        }
    }

    #[test]
    fn verify_never_panics_on_arbitrary_input(
        headers in prop::collection::vec((any::<String>(), any::<String>()), 0..8),
        path in any::<String>(),
        query in prop::option::of(any::<String>()),
        method in any::<String>(),
        body in prop::collection::vec(any::<u8>(), 0..32),
        with_token in any::<bool>(),
    ) {
        let request = ReceivedRequest { method: &method, path: &path, query: query.as_deref(), headers: &headers, body: &body };
        let creds = Credentials::new("AK", "SK");
        let creds = if with_token { creds.with_security_token("T") } else { creds };
        let result = verify(&request, |_| Some(creds.clone()), UNIX_EPOCH, MAX_SKEW);
        // Random input cannot carry a valid signature.
        prop_assert!(result.is_err());
        let code = result.unwrap_err().gateway_code();
        prop_assert!(code == "APIGW.0301" || code == "APIGW.0303");
    }

    #[test]
    fn verify_never_panics_on_arbitrary_authorization(
        algorithm in prop_oneof![Just("SDK-HMAC-SHA256".to_string()), any::<String>()],
        access in any::<String>(),
        signed in prop_oneof![Just("host;x-sdk-date".to_string()), "[a-z;:_ -]{0,30}", any::<String>()],
        signature in prop_oneof!["[0-9a-f]{0,70}", any::<String>()],
        separator in prop_oneof![Just(", "), Just(","), Just(" , "), Just(";")],
        date in prop_oneof![Just("19700101T000000Z".to_string()), "[0-9TZ]{14,17}", any::<String>()],
        host in any::<String>(),
    ) {
        let authorization = format!(
            "{algorithm} Access={access}{separator}SignedHeaders={signed}{separator}Signature={signature}"
        );
        let headers = vec![
            ("Authorization".to_string(), authorization),
            ("X-Sdk-Date".to_string(), date),
            ("Host".to_string(), host),
        ];
        let request = ReceivedRequest { method: "GET", path: "/", query: None, headers: &headers, body: b"" };
        let result = verify(&request, |ak| Some(Credentials::new(ak, "SK")), UNIX_EPOCH, MAX_SKEW);
        prop_assert!(result.is_err());
        let err = result.unwrap_err();
        // Error text is bounded even for huge attacker-controlled input.
        prop_assert!(err.to_string().chars().count() < 1024, "{err}");
    }
}
