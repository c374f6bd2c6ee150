//! The credentials chain: explicit > environment > profile > ECS metadata.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use rds_dr_api::ErrorKind;
use rds_dr_http::credentials::{Chain, Credentials, CredentialsSource};
use rds_dr_http::{CredentialsProvider, Environment};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn write_profile(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("credentials");
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn environment_credentials() {
    let chain = Chain::builder()
        .environment(env(&[
            ("HUAWEICLOUD_SDK_AK", AK),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
        ]))
        .profile_file("/nonexistent/credentials")
        .build();
    let (c, source) = chain.resolve_with_source().await.unwrap();
    assert_eq!(source, CredentialsSource::Environment);
    assert_eq!(c.access_key(), AK);
    assert_eq!(c.secret_key().expose(), SK);
    assert_eq!(c.security_token().map(|t| t.expose()), Some(TOKEN));
    let shown = format!("{chain:?} {c:?}");
    assert!(!shown.contains(SK) && !shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn explicit_beats_environment_beats_profile() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(
        dir.path(),
        "# comment\n[other]\nak = NOPE\n\n[basic]\nak = PROFILE-AK\nsk = profile\\secret=x\nproject_id = cccccccccccccccccccccccccccccccc\n",
    );
    let full_env = env(&[
        ("HUAWEICLOUD_SDK_AK", "ENV-AK"),
        ("HUAWEICLOUD_SDK_SK", "env-sk"),
    ]);

    let explicit = Chain::builder()
        .explicit(Credentials::new("EXPLICIT-AK", "x"))
        .environment(full_env.clone())
        .profile_file(&profile)
        .build();
    let (c, source) = explicit.resolve_with_source().await.unwrap();
    assert_eq!(
        (c.access_key(), source),
        ("EXPLICIT-AK", CredentialsSource::Explicit)
    );

    let from_env = Chain::builder()
        .environment(full_env)
        .profile_file(&profile)
        .build();
    assert_eq!(from_env.resolve().await.unwrap().access_key(), "ENV-AK");

    // AK without SK in the environment: on to the profile.
    let partial = Chain::builder()
        .environment(env(&[("HUAWEICLOUD_SDK_AK", "ENV-AK")]))
        .profile_file(&profile)
        .build();
    let (c, source) = partial.resolve_with_source().await.unwrap();
    assert_eq!(source, CredentialsSource::Profile(profile.clone()));
    assert_eq!(c.access_key(), "PROFILE-AK");
    // Backslashes and `=` in values are kept as written.
    assert_eq!(c.secret_key().expose(), "profile\\secret=x");
    assert!(c.security_token().is_none());
    assert_eq!(
        partial.project_id().as_deref(),
        Some("cccccccccccccccccccccccccccccccc")
    );
    assert_eq!(partial.iam_endpoint(), None);
}

#[tokio::test]
async fn profile_path_from_environment_or_home() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(
        dir.path(),
        "[basic]\nAK = FILE-AK\nsk: file-sk\nsecurity_token = file-token\niam_endpoint = https://iam.example.com\n",
    );
    let by_var = Chain::builder()
        .environment(env(&[(
            "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
            profile.to_str().unwrap(),
        )]))
        .build();
    assert_eq!(by_var.profile_path().as_deref(), Some(profile.as_path()));
    let c = by_var.resolve().await.unwrap();
    assert_eq!(c.access_key(), "FILE-AK");
    assert_eq!(c.secret_key().expose(), "file-sk");
    assert_eq!(c.security_token().map(|t| t.expose()), Some("file-token"));
    assert_eq!(
        by_var.iam_endpoint().as_deref(),
        Some("https://iam.example.com")
    );

    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".huaweicloud")).unwrap();
    write_profile(
        &home.path().join(".huaweicloud"),
        "[basic]\nak = HOME-AK\nsk = home-sk\n",
    );
    let by_home = Chain::builder()
        .environment(env(&[("HOME", home.path().to_str().unwrap())]))
        .build();
    assert_eq!(
        by_home.profile_path().unwrap(),
        home.path().join(".huaweicloud").join("credentials")
    );
    assert_eq!(by_home.resolve().await.unwrap().access_key(), "HOME-AK");
    // The environment's project id and IAM endpoint beat the profile's.
    let both = Chain::builder()
        .environment(env(&[
            (
                "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
                profile.to_str().unwrap(),
            ),
            (
                "HUAWEICLOUD_SDK_IAM_ENDPOINT",
                "https://iam.env.example.com",
            ),
            (
                "HUAWEICLOUD_SDK_PROJECT_ID",
                "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            ),
        ]))
        .build();
    assert_eq!(
        both.iam_endpoint().as_deref(),
        Some("https://iam.env.example.com")
    );
    assert_eq!(
        both.project_id().as_deref(),
        Some("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
    );
    let provider = CredentialsProvider::from(both);
    assert_eq!(
        provider.project_id().as_deref(),
        Some("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
    );
    assert_eq!(CredentialsProvider::from(credentials()).project_id(), None);
}

#[tokio::test]
async fn the_error_lists_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("credentials");
    let chain = Chain::builder()
        .environment(env(&[("HUAWEICLOUD_SDK_AK", AK)]))
        .profile_file(&missing)
        .build();
    let error = chain.resolve().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert!(!error.maybe_sent());
    assert_eq!(
        error.message(),
        format!(
            "no credentials found (environment: HUAWEICLOUD_SDK_SK not set; profile {}: not found; metadata: not enabled)",
            missing.display()
        )
    );

    let cases = [
        ("[basic]\nak = A\n", "[basic] has no sk"),
        ("[basic]\nsk = S\n", "[basic] has no ak"),
        ("[global]\nak = A\nsk = S\n", "no [basic] section"),
        ("[basic\nak = A\n", "not a valid INI file (line"),
    ];
    for (text, why) in cases {
        let profile = write_profile(dir.path(), text);
        let chain = Chain::builder()
            .environment(env(&[]))
            .profile_file(&profile)
            .build();
        let error = chain.resolve().await.unwrap_err();
        assert!(
            error
                .message()
                .contains("environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK not set"),
            "{error}"
        );
        assert!(error.message().contains(why), "{text:?}: {error}");
        assert!(!error.to_string().contains(" = "), "{error}");
    }

    let no_home = Chain::builder().environment(env(&[])).build();
    let error = no_home.resolve().await.unwrap_err();
    assert!(
        error
            .message()
            .contains("profile: HUAWEICLOUD_SDK_CREDENTIALS_FILE not set and no home directory"),
        "{error}"
    );
}

#[tokio::test]
async fn a_profile_secret_never_reaches_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // A broken line right after the secret.
    let profile = write_profile(dir.path(), &format!("[basic]\nsk = {SK}\n[broken\n"));
    let chain = Chain::builder()
        .environment(env(&[]))
        .profile_file(&profile)
        .build();
    let error = chain.resolve().await.unwrap_err();
    assert_no_secret(&error);
    let profile = write_profile(
        dir.path(),
        &format!("[basic]\nsk = {SK}\nsecurity_token = {TOKEN}\n"),
    );
    let chain = Chain::builder()
        .environment(env(&[]))
        .profile_file(&profile)
        .build();
    let error = chain.resolve().await.unwrap_err();
    assert!(error.message().contains("[basic] has no ak"), "{error}");
    assert_no_secret(&error);
}

fn security_key(expires_at: &str) -> String {
    format!(
        r#"{{"credential":{{"access":"META-AK","secret":"{SK}","securitytoken":"{TOKEN}","expires_at":"{expires_at}"}}}}"#
    )
}

async fn metadata_server(expires_at: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/meta-data/latest/api/token"))
        .and(header("X-Metadata-Token-Ttl-Seconds", "21600"))
        .respond_with(ResponseTemplate::new(200).set_body_string("session-token-1"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openstack/latest/securitykey"))
        .and(header("X-Metadata-Token", "session-token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(security_key(expires_at)))
        .mount(&server)
        .await;
    server
}

fn metadata_chain(server: &MockServer, now: Arc<Mutex<SystemTime>>) -> Chain {
    Chain::builder()
        .environment(env(&[]))
        .profile_file("/nonexistent/credentials")
        .metadata(true)
        .metadata_endpoint(server.uri().parse().unwrap())
        .clock(move || *now.lock().unwrap())
        .build()
}

fn calls(received: &[wiremock::Request], verb: &str) -> usize {
    received
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

#[tokio::test]
async fn metadata_token_then_keys_cached_until_near_expiry() {
    // Keys expire at 2024-01-01T06:00:00Z.
    let server = metadata_server("2024-01-01T06:00:00.000000Z").await;
    let now = Arc::new(Mutex::new(known_time()));
    let chain = metadata_chain(&server, now.clone());

    let (c, source) = chain.resolve_with_source().await.unwrap();
    assert_eq!(
        source,
        CredentialsSource::Metadata(server.uri().parse().unwrap())
    );
    assert_eq!(c.access_key(), "META-AK");
    assert_eq!(c.secret_key().expose(), SK);
    assert_eq!(c.security_token().map(|t| t.expose()), Some(TOKEN));

    // Five hours later, 60 minutes left: still cached.
    *now.lock().unwrap() = known_time() + Duration::from_secs(5 * 3600);
    chain.resolve().await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!((calls(&received, "PUT"), calls(&received, "GET")), (1, 1));
    // The PUT came first.
    assert_eq!(received[0].method.as_str(), "PUT");

    // 39 minutes left: fetched again.
    *now.lock().unwrap() = known_time() + Duration::from_secs(6 * 3600 - 39 * 60);
    chain.resolve().await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!((calls(&received, "PUT"), calls(&received, "GET")), (2, 2));

    // Expired already: fetched again too.
    *now.lock().unwrap() = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    chain.resolve().await.unwrap();
    assert_eq!(calls(&server.received_requests().await.unwrap(), "GET"), 3);
}

#[tokio::test]
async fn metadata_without_token_api_and_failures() {
    // No token API (404): the keys are asked for without a token, as the SDK does.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openstack/latest/securitykey"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(security_key("2099-01-01T00:00:00Z")),
        )
        .mount(&server)
        .await;
    let chain = metadata_chain(&server, Arc::new(Mutex::new(known_time())));
    assert_eq!(chain.resolve().await.unwrap().access_key(), "META-AK");
    let received = server.received_requests().await.unwrap();
    let get = received
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert!(get.headers.get("X-Metadata-Token").is_none());

    // No agency: listed as the metadata failure.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string("t"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string("Please configure Cloud Service Agency first"),
        )
        .mount(&server)
        .await;
    let chain = metadata_chain(&server, Arc::new(Mutex::new(known_time())));
    let error = chain.resolve().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert!(
        error.message().contains(&format!(
            "metadata {}/: GET /openstack/latest/securitykey answered HTTP 404",
            server.uri()
        )),
        "{error}"
    );

    // Keys without a secret; keys with a bad date (the body, holding the secret, is never quoted).
    for body in [
        r#"{"credential":{"access":"A","expires_at":"2099-01-01T00:00:00Z"}}"#.to_string(),
        security_key("tomorrow"),
        format!("{{\"credential\": {SK}"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(200).set_body_string("t"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let chain = metadata_chain(&server, Arc::new(Mutex::new(known_time())));
        let error = chain.resolve().await.unwrap_err();
        assert!(error.message().contains("metadata "), "{error}");
        assert_no_secret(&error);
    }

    // Nothing listening.
    let port = closed_port().await;
    let chain = Chain::builder()
        .environment(env(&[]))
        .profile_file("/nonexistent/credentials")
        .metadata(true)
        .metadata_endpoint(format!("http://127.0.0.1:{port}").parse().unwrap())
        .metadata_timeout(Duration::from_millis(500))
        .build();
    let error = chain.resolve().await.unwrap_err();
    assert!(
        error
            .message()
            .contains("PUT /meta-data/latest/api/token failed"),
        "{error}"
    );
}
