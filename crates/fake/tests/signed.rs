//! Signed mode: SDK-HMAC-SHA256 verification as Huawei's gateway does it.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use rds_dr_fake::Credentials;
use serde_json::Value;

fn query(name: &str) -> Vec<(String, String)> {
    vec![("name".to_string(), name.to_string())]
}

#[tokio::test]
async fn a_correctly_signed_request_passes() {
    let credentials = Credentials::new(AK, SK);
    let fake = small_fleet()
        .credentials(credentials.clone())
        .start()
        .await
        .unwrap();
    let client = client();
    let now = SystemTime::now();
    let response = get_relations(&fake, P_NORTH, &credentials, now).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, body_north());

    // IAM discovery is signed too, without X-Project-Id, with a query.
    let response = signed_get(
        &client,
        &fake,
        "/v3/projects",
        &query("cn-north-4"),
        None,
        &credentials,
        now,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["projects"][0]["id"], P_NORTH);
}

#[tokio::test]
async fn unsigned_requests_are_refused_in_signed_mode() {
    let fake = small_fleet()
        .credentials(Credentials::new(AK, SK))
        .start()
        .await
        .unwrap();
    let response = client()
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap();
    let (status, code, request_id, _) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    assert_eq!(request_id.len(), 32);
}

#[tokio::test]
async fn a_wrong_secret_key_is_apigw_0301_with_a_request_id() {
    let fake = small_fleet()
        .credentials(Credentials::new(AK, SK))
        .start()
        .await
        .unwrap();
    let wrong = Credentials::new(AK, "WrongSecretKeyWrongSecretKeyWrongSecret0");
    let response = get_relations(&fake, P_NORTH, &wrong, SystemTime::now()).await;
    let (status, code, request_id, message) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    assert_eq!(request_id.len(), 32);
    assert!(
        message.starts_with("Incorrect IAM authentication information: verify aksk signature fail"),
        "{message}"
    );
    assert!(
        !message.contains(SK) && !message.contains("WrongSecretKey"),
        "{message}"
    );

    // An unknown access key is refused the same way.
    let stranger = Credentials::new("SOMEOTHERAKSOMEOTHER", SK);
    let response = get_relations(&fake, P_NORTH, &stranger, SystemTime::now()).await;
    let (status, code, _, _) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
}

#[tokio::test]
async fn a_date_twenty_minutes_off_is_apigw_0303() {
    let credentials = Credentials::new(AK, SK);
    let fake = small_fleet()
        .credentials(credentials.clone())
        .start()
        .await
        .unwrap();
    for time in [
        SystemTime::now() - Duration::from_secs(20 * 60),
        SystemTime::now() + Duration::from_secs(20 * 60),
    ] {
        let response = get_relations(&fake, P_NORTH, &credentials, time).await;
        let (status, code, request_id, _) = error_parts(response).await;
        assert_eq!((status, code.as_str()), (401, "APIGW.0303"));
        assert!(!request_id.is_empty());
    }
    // Ten minutes off is within the gateway's 15 minutes.
    let response = get_relations(
        &fake,
        P_NORTH,
        &credentials,
        SystemTime::now() - Duration::from_secs(10 * 60),
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_server_clock_can_be_injected() {
    let credentials = Credentials::new(AK, SK);
    let server_now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200); // 2024-01-01
    let fake = small_fleet()
        .credentials(credentials.clone())
        .now(move || server_now)
        .start()
        .await
        .unwrap();
    let at_server_time = get_relations(&fake, P_NORTH, &credentials, server_now).await;
    assert_eq!(at_server_time.status(), 200);
    let at_real_time = get_relations(&fake, P_NORTH, &credentials, SystemTime::now()).await;
    let (status, code, _, _) = error_parts(at_real_time).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0303"));
}

#[tokio::test]
async fn a_required_security_token_must_be_sent_and_signed() {
    let with_token = Credentials::new(AK, SK).with_security_token(TOKEN);
    let fake = small_fleet()
        .credentials(with_token.clone())
        .start()
        .await
        .unwrap();
    let now = SystemTime::now();

    let ok = get_relations(&fake, P_NORTH, &with_token, now).await;
    assert_eq!(ok.status(), 200);

    // Signed correctly with AK/SK, but no token.
    let without = Credentials::new(AK, SK);
    let response = get_relations(&fake, P_NORTH, &without, now).await;
    let (status, code, _, message) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    assert!(!message.contains(TOKEN), "{message}");

    // Another token.
    let other =
        Credentials::new(AK, SK).with_security_token("AnotherTokenAnotherTokenAnotherToken");
    let response = get_relations(&fake, P_NORTH, &other, now).await;
    let (status, code, _, message) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    assert!(
        !message.contains(TOKEN) && !message.contains("AnotherToken"),
        "{message}"
    );
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let builder = small_fleet().credentials(Credentials::new(AK, SK).with_security_token(TOKEN));
    let text = format!("{builder:?}");
    assert!(text.contains(AK), "the access key is not secret: {text}");
    assert!(!text.contains(SK) && !text.contains(TOKEN), "{text}");
    let fake = builder.start().await.unwrap();
    let text = format!("{fake:?}");
    assert!(!text.contains(SK) && !text.contains(TOKEN), "{text}");
}
