//! Secrets never reach `Debug`/`Display` output.

use std::time::{Duration, UNIX_EPOCH};

use rds_dr_sign::{Credentials, ReceivedRequest, Secret, SignableRequest, sign, verify};

// Test-only values, distinctive enough that any leak is found by substring.
const SK: &str = "SK-never-print-me-0123456789";
const TOKEN: &str = "TOKEN-never-print-me-9876543210";

fn leaks(text: &str) -> bool {
    text.contains(SK) || text.contains(TOKEN) || text.contains("never-print-me")
}

#[test]
fn debug_and_display_never_show_secrets() {
    let secret = Secret::new(SK);
    let credentials = Credentials::new("AK-VISIBLE", SK).with_security_token(TOKEN);
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let request = SignableRequest {
        method: "GET",
        host: "127.0.0.1:8443",
        path: "/v3/projects",
        query: &[],
        headers: &headers,
        body: b"",
    };
    let out = sign(
        &request,
        &credentials,
        UNIX_EPOCH + Duration::from_secs(1_704_067_200),
    );
    // The raw fields do carry the token (they must, to be sent and hashed).
    assert_eq!(out.header("X-Security-Token"), Some(TOKEN));
    assert!(out.canonical_request.contains(TOKEN));

    let mut received = headers.clone();
    received.push(("Host".into(), "127.0.0.1:8443".into()));
    received.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    let received_request = ReceivedRequest {
        method: "GET",
        path: "/v3/projects",
        query: None,
        headers: &received,
        body: b"",
    };
    // A mismatching token: the error must not quote either token.
    let expected =
        Credentials::new("AK-VISIBLE", SK).with_security_token("TOKEN-never-print-me-other");
    let err = verify(
        &received_request,
        |_| Some(expected.clone()),
        UNIX_EPOCH,
        Duration::MAX,
    )
    .unwrap_err();

    let outputs = [
        format!("{secret:?}"),
        format!("{secret:#?}"),
        format!("{secret}"),
        format!("{credentials:?}"),
        format!("{credentials:#?}"),
        format!("{:?}", credentials.secret_key()),
        format!("{:?}", credentials.security_token()),
        format!("{out:?}"),
        format!("{out:#?}"),
        out.canonical_request_redacted(),
        format!("{received_request:?}"),
        format!("{err:?}"),
        format!("{err}"),
    ];
    for text in &outputs {
        assert!(!leaks(text), "leaked: {text}");
    }
    assert!(format!("{credentials:?}").contains("AK-VISIBLE"));
    assert!(format!("{credentials:?}").contains("sk: ***"));
    assert!(format!("{credentials:?}").contains("security_token: Some(***)"));
    assert!(format!("{out:?}").contains("x-security-token:***"));
    assert!(
        format!("{out:?}").contains(&out.signature),
        "the rest stays visible"
    );
    assert_eq!(secret.expose(), SK);
}
