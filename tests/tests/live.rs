//! Live commands through the real HTTP client against the fake cloud on
//! 127.0.0.1: fetch and check round trips, retries under faults, failed
//! targets, credential errors, secrets, `relations`, and `fake-server`.

use std::collections::BTreeSet;
use std::time::Duration;

use rds_dr_fake::{Credentials, FakeCloud, Fault};
use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};
use rds_dr_model::{Capture, Source};
use rds_dr_tests::{
    Fake, FakeServerChild, closed_port, demo_fleet_dir, rds_dr, read_captures, read_infos,
    stderr_of, stdout_of, target_args,
};

const AK: &str = "E2ETESTACCESSKEY0001";
const SK: &str = "e2eTestSecretKeyThatMustNeverBePrinted42";
const TOKEN: &str = "e2eTestSecurityTokenThatMustNeverBePrinted";

fn demo_captures() -> Vec<Capture> {
    read_captures(&demo_fleet_dir())
}

fn sources(captures: &[Capture]) -> Vec<Source> {
    captures.iter().map(|c| c.source.clone()).collect()
}

/// `rds-dr ARGS --endpoint URL --iam-endpoint URL` with AK/SK in the environment.
/// Runs a `relations` command, which must exit 0 and print `expected`.
fn prints_body(
    command: &mut assert_cmd::Command,
    expected: &rds_dr_model::ListDrRelationsResponse,
) {
    let output = command.output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(body, serde_json::to_value(expected).expect("encode"));
}

fn live(url: &str, args: &[String]) -> assert_cmd::Command {
    let mut command = rds_dr();
    command
        .args(args)
        .args(["--endpoint", url, "--iam-endpoint", url, "--no-progress"])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK);
    command
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

fn signed_demo_fake() -> Fake {
    Fake::start(
        FakeCloud::builder()
            .captures(demo_captures())
            .infos(read_infos(&demo_fleet_dir()))
            .credentials(Credentials::new(AK, SK)),
    )
}

fn check_json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("check JSON ({e}); stderr: {}", stderr_of(output)))
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn fetch_then_check_round_trip() {
    let fake = signed_demo_fake();
    let captures = demo_captures();
    let out = tempfile::tempdir().expect("tempdir");
    let mut args = strings(&["fetch", "--out"]);
    args.push(out.path().display().to_string());
    args.extend(target_args(sources(&captures)));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));

    // One file per target, named REGION_PROJECTID.json, holding the body
    // exactly as served, and a fetched_at timestamp.
    let fetched = read_captures(out.path());
    assert_eq!(fetched.len(), captures.len());
    for capture in &captures {
        let name = format!(
            "{}_{}.json",
            capture.source.region, capture.source.project_id
        );
        let text = std::fs::read_to_string(out.path().join(&name)).expect("file per target");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            value["response"],
            serde_json::to_value(&capture.response).expect("encode"),
            "{name}: the body as served"
        );
        let fetched_at = value["fetched_at"].as_str().expect("fetched_at");
        assert!(
            fetched_at.len() == 20
                && fetched_at.ends_with('Z')
                && fetched_at.as_bytes()[10] == b'T',
            "RFC 3339 UTC: {fetched_at}"
        );
    }

    // check on the fetched files == check on the original fleet == check live.
    let offline = rds_dr()
        .args(["check", "--format", "json"])
        .arg(out.path())
        .output()
        .expect("runs");
    let original = rds_dr()
        .args(["check", "--format", "json"])
        .arg(demo_fleet_dir())
        .output()
        .expect("runs");
    let mut args = strings(&["check", "--format", "json"]);
    args.extend(target_args(sources(&captures)));
    let live_check = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(check_json(&offline), check_json(&original));
    assert_eq!(check_json(&live_check), check_json(&original));
    assert_eq!(
        live_check.status.code(),
        Some(1),
        "the demo fleet has an error finding"
    );
}

#[test]
fn thirty_percent_faults_with_retries_lose_nothing() {
    let fleet = generate(
        &FleetSpec::new()
            .seed(11)
            .primaries(30)
            .cross_region_probability(1.0),
    );
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(fleet.captures.clone())
            .infos(health(&fleet, &HealthSpec::new()).captures)
            .credentials(Credentials::new(AK, SK))
            .fault_rate(0.3)
            .faults(&[
                Fault::TooManyRequests,
                Fault::InternalError,
                Fault::Unavailable,
                Fault::Reset,
                Fault::Truncate,
            ])
            .seed(3),
    );
    let out = tempfile::tempdir().expect("tempdir");
    let mut args = strings(&["fetch", "--retries", "3", "--out"]);
    args.push(out.path().display().to_string());
    args.extend(target_args(sources(&fleet.captures)));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));

    let fetched = read_captures(out.path());
    assert_eq!(fetched.len(), fleet.captures.len(), "every target fetched");
    let mut expected = fleet.captures.clone();
    expected.sort_by(|a, b| a.source.cmp(&b.source));
    let mut got = fetched;
    got.sort_by(|a, b| a.source.cmp(&b.source));
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got.source, expected.source);
        assert_eq!(
            got.response, expected.response,
            "{}: nothing lost",
            got.source
        );
    }
    let requests = fake.running().request_count();
    assert!(
        requests > fleet.captures.len() as u64,
        "faults were injected and retried ({requests} requests for {} targets)",
        fleet.captures.len()
    );

    // And the merged result is the consistent fleet with healthy records:
    // no findings at all.
    let report = check_json(
        &rds_dr()
            .args(["check", "--format", "json"])
            .arg(out.path())
            .output()
            .expect("runs"),
    );
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["sources"], fleet.captures.len());
}

#[test]
fn unreachable_endpoint_is_one_query_failed() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663";
    let args = strings(&[
        "check",
        "--format",
        "json",
        "--retries",
        "1",
        "--target",
        target,
    ]);
    let output = live(&url, &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let report = check_json(&output);
    // One per operation: ListDrRelations, and ListDrInfos (which says so).
    assert_eq!(codes(&report), ["query-failed", "query-failed"]);
    let operations: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| &f["details"]["operation"])
        .collect();
    assert_eq!(
        operations.iter().filter(|o| **o == "ListDrInfos").count(),
        1
    );
    assert_eq!(operations.iter().filter(|o| o.is_null()).count(), 1);
    let message = report["findings"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("cn-north-4/0483b6b16e954cb88930a360d2c4e663"),
        "{message}"
    );
    assert!(
        stderr_of(&output).contains("connection error"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn unknown_project_is_one_query_failed_and_the_rest_counts() {
    let fake = signed_demo_fake();
    let captures = demo_captures();
    let mut args = strings(&["check", "--format", "json"]);
    args.extend(target_args(sources(&captures)));
    args.extend(strings(&[
        "--target",
        "cn-north-4/ffffffffffffffffffffffffffffffff",
    ]));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report = check_json(&output);
    assert_eq!(
        codes(&report)
            .iter()
            .filter(|c| *c == "query-failed")
            .count(),
        2,
        "one per operation of the unknown project"
    );
    assert_eq!(
        report["summary"]["sources"], 5,
        "the served projects still count"
    );
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cn-north-4/ffffffffffffffffffffffffffffffff"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP status: 404"), "{stderr}");
    assert!(stderr.contains("error code:  DBS.280238"), "{stderr}");
    assert!(stderr.contains("request id:"), "{stderr}");
}

/// The value after `request id:` on some line of `text`.
fn request_id(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| {
            line.split_once("request id:")
                .map(|(_, id)| id.trim().to_owned())
        })
        .filter(|id| !id.is_empty())
}

#[test]
fn wrong_secret_is_exit_2_with_code_and_request_id() {
    let fake = signed_demo_fake();
    let captures = demo_captures();
    for command in ["check", "fetch"] {
        let out = tempfile::tempdir().expect("tempdir");
        let mut args = strings(&[command]);
        if command == "fetch" {
            args.extend(["--out".to_owned(), out.path().display().to_string()]);
        }
        args.extend(target_args(sources(&captures)));
        let output = live(&fake.url(), &args)
            .env(
                "HUAWEICLOUD_SDK_SK",
                "aWrongSecretKeyThatIsAlsoSecret000000000",
            )
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("APIGW.0301"), "{command}: {stderr}");
        assert!(stderr.contains("HTTP status: 401"), "{command}: {stderr}");
        let id =
            request_id(&stderr).unwrap_or_else(|| panic!("{command}: a request id in {stderr}"));
        assert!(
            id.len() >= 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(
            !stderr.contains("aWrongSecretKeyThatIsAlsoSecret"),
            "the SK stays secret"
        );
        assert!(
            output.stdout.is_empty(),
            "{command}: no report when credentials are refused"
        );
    }
}

#[test]
fn missing_credentials_is_exit_2_listing_the_sources() {
    let output = rds_dr()
        .args([
            "check",
            "--target",
            "cn-north-4/0483b6b16e954cb88930a360d2c4e663",
        ])
        .args([
            "--endpoint",
            "http://127.0.0.1:9",
            "--iam-endpoint",
            "http://127.0.0.1:9",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("HUAWEICLOUD_SDK_AK"), "{stderr}");
}

#[test]
fn non_loopback_http_endpoint_is_refused() {
    let output = rds_dr()
        .args([
            "check",
            "--target",
            "cn-north-4/0483b6b16e954cb88930a360d2c4e663",
        ])
        .args(["--endpoint", "http://rds.example.invalid"])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("http://"), "{stderr}");
    assert!(stderr.contains("--insecure"), "{stderr}");
}

#[test]
fn no_secret_in_any_output_at_trace_level() {
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(demo_captures())
            .credentials(Credentials::new(AK, SK).with_security_token(TOKEN))
            .fault_rate(0.3)
            .seed(5),
    );
    let captures = demo_captures();
    let out = tempfile::tempdir().expect("tempdir");
    let mut runs: Vec<(Vec<String>, &str, Option<i32>)> = Vec::new();
    let mut check = strings(&["check", "-vvv"]);
    check.extend(target_args(sources(&captures)));
    runs.push((check, "trace", Some(1)));
    let mut check = strings(&["check"]);
    check.extend(target_args(sources(&captures)));
    runs.push((check, "trace", Some(1)));
    let mut fetch = strings(&["fetch", "-vvv", "--out"]);
    fetch.push(out.path().display().to_string());
    fetch.extend(target_args(sources(&captures)));
    runs.push((fetch, "trace", Some(0)));
    runs.push((
        strings(&[
            "relations",
            "-vvv",
            "--region",
            "cn-east-3",
            "--output",
            "table",
        ]),
        "trace",
        Some(0),
    ));
    for (args, rust_log, code) in runs {
        for token in [TOKEN, "aWrongTokenThatMustNotBePrintedEither"] {
            let output = live(&fake.url(), &args)
                .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", token)
                .env("RUST_LOG", rust_log)
                .output()
                .expect("runs");
            let stdout = stdout_of(&output);
            let stderr = stderr_of(&output);
            if token == TOKEN {
                assert_eq!(output.status.code(), code, "{args:?}: {stderr}");
                assert!(
                    stderr.contains("TRACE") || stderr.contains("DEBUG"),
                    "{args:?}: logs at trace"
                );
            } else {
                assert_eq!(
                    output.status.code(),
                    Some(2),
                    "{args:?}: a wrong token is refused"
                );
            }
            for secret in [SK, TOKEN, "aWrongTokenThatMustNotBePrintedEither"] {
                assert!(!stdout.contains(secret), "{args:?}: a secret on stdout");
                assert!(!stderr.contains(secret), "{args:?}: a secret on stderr");
            }
        }
    }
    for capture in read_captures(out.path()) {
        let text = serde_json::to_string(&capture).expect("encode");
        assert!(!text.contains(SK) && !text.contains(TOKEN));
    }
}

#[test]
fn relations_prints_the_body_as_received() {
    let fake = signed_demo_fake();
    let shanghai = demo_captures()
        .into_iter()
        .find(|c| c.source.region == "cn-east-3")
        .expect("the demo fleet has cn-east-3");
    // The project id is discovered through IAM (one project in cn-east-3).
    prints_body(
        &mut live(
            &fake.url(),
            &strings(&["relations", "--region", "cn-east-3"]),
        ),
        &shanghai.response,
    );

    // `--language` sends a signed X-Language; the signature-checking fake
    // accepts it and answers the same body.
    for language in ["zh-cn", "en-us"] {
        prints_body(
            &mut live(
                &fake.url(),
                &strings(&["relations", "--region", "cn-east-3", "--language", language]),
            ),
            &shanghai.response,
        );
    }

    let output = live(
        &fake.url(),
        &strings(&[
            "relations",
            "--region",
            "cn-east-3",
            "--project-id",
            &shanghai.source.project_id,
            "--output",
            "tsv",
        ]),
    )
    .output()
    .expect("runs");
    assert!(output.status.success());
    let tsv = stdout_of(&output);
    assert!(tsv.starts_with("instance\trole\tpeer\t"), "{tsv}");
    let relations: usize = shanghai
        .response
        .instance_dr_relations
        .iter()
        .filter_map(|r| r.valid())
        .map(|r| r.slave_instances.len() + usize::from(r.master_instance.is_some()))
        .sum();
    assert_eq!(
        tsv.lines().count(),
        relations + 1,
        "a row per relation and a header"
    );

    // cn-north-4 has two projects; like Huawei's IAM, the fake names only
    // the region's default one (its smallest id) after the region.
    let beijing: Vec<Capture> = demo_captures()
        .into_iter()
        .filter(|c| c.source.region == "cn-north-4")
        .collect();
    assert_eq!(beijing.len(), 2);
    let default = beijing
        .iter()
        .min_by(|a, b| a.source.cmp(&b.source))
        .expect("two");
    let other = beijing
        .iter()
        .max_by(|a, b| a.source.cmp(&b.source))
        .expect("two");
    prints_body(
        &mut live(
            &fake.url(),
            &strings(&["relations", "--region", "cn-north-4"]),
        ),
        &default.response,
    );

    // The environment's project id beats discovery.
    prints_body(
        live(
            &fake.url(),
            &strings(&["relations", "--region", "cn-north-4"]),
        )
        .env("HUAWEICLOUD_SDK_PROJECT_ID", &other.source.project_id),
        &other.response,
    );

    // A region without projects: discovery fails, exit 2, saying so.
    let output = live(
        &fake.url(),
        &strings(&["relations", "--region", "eu-west-101"]),
    )
    .output()
    .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("no project named eu-west-101"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn check_by_region_discovers_project_ids() {
    let fake = signed_demo_fake();
    let regions = ["ap-southeast-1", "ap-southeast-3", "cn-east-3"];
    let mut args = strings(&["check", "--format", "json"]);
    for region in regions {
        args.extend(["--region".to_owned(), region.to_owned()]);
    }
    let output = live(&fake.url(), &args).output().expect("runs");
    let report = check_json(&output);
    assert_eq!(report["summary"]["sources"], 3);

    // One configured project id cannot serve several regions.
    let output = live(&fake.url(), &args)
        .env(
            "HUAWEICLOUD_SDK_PROJECT_ID",
            "fde098ef137c9038e1307374cf525329",
        )
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("with several --region"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn targets_file_with_comments() {
    let fake = signed_demo_fake();
    let captures = demo_captures();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("targets.txt");
    let mut text = String::from("# the demo fleet\n\n");
    for source in sources(&captures) {
        text.push_str(&format!("{source}   # {}\n", source.region));
    }
    std::fs::write(&file, text).expect("write");
    let args = vec![
        "check".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
        "--targets-file".to_owned(),
        file.display().to_string(),
    ];
    let report = check_json(&live(&fake.url(), &args).output().expect("runs"));
    assert_eq!(report["summary"]["sources"], 5);
}

#[test]
fn fake_server_child_serves_a_fleet_with_signatures() {
    let fleet = demo_fleet_dir();
    let server = FakeServerChild::spawn(
        &["--fleet", fleet.to_str().expect("UTF-8"), "--ak", AK],
        &[("RDS_DR_FAKE_SK", SK)],
    );
    assert!(
        server.url().starts_with("http://127.0.0.1:"),
        "{}",
        server.url()
    );
    let captures = demo_captures();
    let mut args = strings(&["topology", "--format", "json"]);
    args.extend(target_args(sources(&captures)));
    let output = live(server.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let topology: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(topology["nodes"].as_array().map(Vec::len), Some(25));

    // A wrong secret is refused by the child too.
    let output = live(server.url(), &args)
        .env("HUAWEICLOUD_SDK_SK", "notTheSecret")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("APIGW.0301"));
}

#[test]
fn fake_server_synthetic_fleet_and_bad_options() {
    let server = FakeServerChild::spawn(&["--synthetic", "10", "--seed", "4"], &[]);
    let fleet = generate(&FleetSpec::new().seed(4).primaries(10));
    let regions: BTreeSet<&str> = fleet
        .captures
        .iter()
        .map(|c| c.source.region.as_str())
        .collect();
    assert!(!regions.is_empty());
    let mut args = strings(&["check", "--format", "json"]);
    args.extend(target_args(sources(&fleet.captures)));
    let output = live(server.url(), &args).output().expect("runs");
    let report = check_json(&output);
    assert_eq!(report["summary"]["sources"], fleet.captures.len());

    for bad in [
        &["fake-server", "--fleet", "x", "--listen", "0.0.0.0:0"][..],
        &["fake-server", "--fleet", "x", "--fault-rate", "2"][..],
        &["fake-server", "--fleet", "x", "--faults", "429,teapot"][..],
        &["fake-server", "--fleet", "/nonexistent/fleet"][..],
        &["fake-server"][..],
    ] {
        let output = rds_dr()
            .args(bad)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr_of(&output)
        );
    }
}
