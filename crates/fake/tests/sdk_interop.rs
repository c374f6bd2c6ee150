//! The OFFICIAL Huawei Cloud Python SDK (`huaweicloudsdkrds`) against the
//! fake, through `.ci/interop/sdk_interop.py`.
//!
//! Needs `RDS_DR_SDK_PYTHON` = a Python with the SDK installed
//! (`python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkrds`).
//! Without it the tests print a skip message and pass, except under CI
//! (`CI` set), where they fail so CI cannot skip them silently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::*;
use rds_dr_fake::{Credentials, RunningFake};
use serde_json::Value;

fn sdk_python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RDS_DR_SDK_PYTHON") {
        Some(python) if !python.is_empty() => Some(PathBuf::from(python)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "RDS_DR_SDK_PYTHON is not set but CI is: the official SDK interop test must run in CI \
                 (create a venv with `pip install huaweicloudsdkrds` and point RDS_DR_SDK_PYTHON at its python)"
            );
            eprintln!(
                "SKIPPED {test}: set RDS_DR_SDK_PYTHON to a python with huaweicloudsdkrds installed to run it"
            );
            None
        }
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/interop/sdk_interop.py")
}

/// Runs the script off the async workers (the fake keeps serving).
async fn run_sdk(python: &Path, fake: &RunningFake, args: &[&str]) -> Output {
    let mut command = Command::new(python);
    command
        .arg(script())
        .arg("--endpoint")
        .arg(fake.base_url())
        .args(args)
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .env_remove("HUAWEICLOUD_SDK_SECURITY_TOKEN")
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .env_remove("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the script runner did not panic")
        .expect("the SDK python can be started")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", describe(output)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_reads_the_fake_with_a_signed_request() {
    let Some(python) = sdk_python("the_official_sdk_reads_the_fake_with_a_signed_request") else {
        return;
    };
    let fake = small_fleet()
        .credentials(Credentials::new(AK, SK))
        .start()
        .await
        .unwrap();

    let ok = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_NORTH,
            "--region",
            "cn-north-4",
        ],
    )
    .await;
    assert!(ok.status.success(), "{}", describe(&ok));
    assert_eq!(stdout_json(&ok), body_north(), "{}", describe(&ok));

    // zh-cn travels as a signed header and still verifies.
    let zh = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_EAST,
            "--language",
            "zh-cn",
        ],
    )
    .await;
    assert!(zh.status.success(), "{}", describe(&zh));
    assert_eq!(stdout_json(&zh), body_east());

    let wrong = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            "WrongSecretKeyWrongSecretKeyWrongSecret0",
            "--project-id",
            P_NORTH,
            "--expect-error",
            "APIGW.0301",
        ],
    )
    .await;
    assert!(wrong.status.success(), "{}", describe(&wrong));
    let error = stdout_json(&wrong);
    assert_eq!(error["status_code"], 401);
    assert_eq!(
        error["request_id"].as_str().map(str::len),
        Some(32),
        "{error}"
    );

    let unknown = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_UNKNOWN,
            "--expect-error",
            "DBS.280238",
        ],
    )
    .await;
    assert!(unknown.status.success(), "{}", describe(&unknown));
    assert_eq!(stdout_json(&unknown)["status_code"], 404);

    // The script's own failure path: a call that fails without --expect-error exits 1.
    let failing = run_sdk(
        &python,
        &fake,
        &["--ak", AK, "--sk", SK, "--project-id", P_UNKNOWN],
    )
    .await;
    assert_eq!(failing.status.code(), Some(1), "{}", describe(&failing));
    assert!(
        String::from_utf8_lossy(&failing.stderr).contains("DBS.280238"),
        "{}",
        describe(&failing)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_signs_the_security_token_as_the_fake_requires() {
    let Some(python) = sdk_python("the_official_sdk_signs_the_security_token_as_the_fake_requires")
    else {
        return;
    };
    let fake = small_fleet()
        .credentials(Credentials::new(AK, SK).with_security_token(TOKEN))
        .start()
        .await
        .unwrap();
    let ok = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--security-token",
            TOKEN,
            "--project-id",
            P_NORTH,
        ],
    )
    .await;
    assert!(ok.status.success(), "{}", describe(&ok));
    assert_eq!(stdout_json(&ok), body_north());

    let without = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_NORTH,
            "--expect-error",
            "APIGW.0301",
        ],
    )
    .await;
    assert!(without.status.success(), "{}", describe(&without));
    let text = describe(&without);
    assert!(
        !text.contains(TOKEN) && !text.contains(SK),
        "a secret leaked into the error: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_date_is_checked_against_the_server_clock() {
    let Some(python) = sdk_python("the_official_sdk_date_is_checked_against_the_server_clock")
    else {
        return;
    };
    let fake = small_fleet()
        .credentials(Credentials::new(AK, SK))
        .now(|| SystemTime::now() - Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let skewed = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_NORTH,
            "--expect-error",
            "APIGW.0303",
        ],
    )
    .await;
    assert!(skewed.status.success(), "{}", describe(&skewed));
    assert_eq!(stdout_json(&skewed)["status_code"], 401);
}

/// 347 ListDrInfos records for `P_NORTH` (times in record order).
fn infos_list() -> rds_dr_model::InfosCapture {
    let records: Vec<Value> = (0..347)
        .map(|i| {
            serde_json::json!({"id": format!("dr-{i:04}"), "status": if i % 5 == 0 { "failed" } else { "normal" },
                "master_instance_id": format!("{i:032x}in03"), "master_region": "cn-north-4",
                "slave_instance_id": format!("{:032x}in03", i + 5000), "slave_region": "cn-east-3",
                "time": 1_733_000_000_000_i64 + i, "replica_state": "0",
                "wal_write_receive_delay_in_mb": "0.5", "wal_write_replay_delay_in_mb": "1.0",
                "wal_receive_replay_delay_in_ms": "12", "unknown_to_the_sdk": true})
        })
        .collect();
    let response = serde_json::from_value(serde_json::json!({
        "total_count": records.len(), "instance_dr_infos": records}))
    .expect("decodes");
    rds_dr_model::InfosCapture::new(rds_dr_model::Source::new("cn-north-4", P_NORTH), response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_pages_through_list_dr_infos() {
    let Some(python) = sdk_python("the_official_sdk_pages_through_list_dr_infos") else {
        return;
    };
    let fake = small_fleet()
        .infos([infos_list()])
        .credentials(Credentials::new(AK, SK))
        .start()
        .await
        .unwrap();
    let base = [
        "--ak",
        AK,
        "--sk",
        SK,
        "--project-id",
        P_NORTH,
        "--operation",
        "ListDrInfos",
    ];
    let all = run_sdk(&python, &fake, &base).await;
    assert!(all.status.success(), "{}", describe(&all));
    let body = stdout_json(&all);
    assert_eq!(body["pages"], 4, "{}", describe(&all));
    assert_eq!(body["total_count"], 347);
    let records = body["instance_dr_infos"].as_array().expect("records");
    // The fake's default order is newest first, as the API's.
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..347).rev().map(|i| format!("dr-{i:04}")).collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(records[0]["wal_write_replay_delay_in_mb"], "1.0");
    assert_eq!(records[0]["time"], 1_733_000_000_346_i64);

    // The status filter travels in the signed body.
    let mut filtered = base.to_vec();
    filtered.extend(["--status", "failed", "--page-size", "50"]);
    let failed = run_sdk(&python, &fake, &filtered).await;
    assert!(failed.status.success(), "{}", describe(&failed));
    let body = stdout_json(&failed);
    assert_eq!(
        (body["total_count"].as_u64(), body["pages"].as_u64()),
        (Some(70), Some(2))
    );

    // A project with relations but no infos: an empty list in one call.
    let empty = run_sdk(
        &python,
        &fake,
        &[
            "--ak",
            AK,
            "--sk",
            SK,
            "--project-id",
            P_EAST,
            "--operation",
            "ListDrInfos",
        ],
    )
    .await;
    assert!(empty.status.success(), "{}", describe(&empty));
    assert_eq!(
        stdout_json(&empty)["instance_dr_infos"],
        serde_json::json!([])
    );

    // A limit outside 1-100 is refused with a DBS. error the SDK reads.
    let mut bad = base.to_vec();
    bad.extend(["--limit", "101", "--expect-error", "DBS.280001"]);
    let refused = run_sdk(&python, &fake, &bad).await;
    assert!(refused.status.success(), "{}", describe(&refused));
    assert_eq!(stdout_json(&refused)["status_code"], 400);
}
