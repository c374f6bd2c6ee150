//! Secrets never reach the logs, at any level. Alone in its own test binary:
//! a thread-local subscriber sees every event only when no other test
//! thread races it to register the log call sites.

mod common;

use std::time::SystemTime;

use common::log_capture::LogCapture;
use common::*;
use rds_dr_fake::Credentials;

#[tokio::test]
async fn secrets_never_reach_the_logs_at_trace_level() {
    let sink = LogCapture::default();
    let subscriber = sink.subscriber(tracing::Level::TRACE);
    // The runtime of this test is single-threaded: the server's tasks log
    // on this thread, into this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let credentials = Credentials::new(AK, SK).with_security_token(TOKEN);
    let fake = small_fleet()
        .credentials(credentials.clone())
        .start()
        .await
        .unwrap();
    let now = SystemTime::now();
    let ok = get_relations(&fake, P_NORTH, &credentials, now).await;
    assert_eq!(ok.status(), 200);
    let wrong =
        Credentials::new(AK, "WrongSecretKeyWrongSecretKeyWrongSecret0").with_security_token(TOKEN);
    let refused = get_relations(&fake, P_NORTH, &wrong, now).await;
    assert_eq!(refused.status(), 401);
    fake.shutdown().await;

    let logs = sink.text();
    assert!(
        logs.contains("fake cloud request"),
        "the request log lines are there: {logs}"
    );
    assert!(logs.contains("status=401"), "{logs}");
    for secret in [SK, TOKEN, "WrongSecretKey"] {
        assert!(!logs.contains(secret), "a secret reached the logs: {logs}");
    }
}
