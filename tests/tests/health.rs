//! ListDrInfos end to end: the real binary and HTTP client against the fake
//! cloud on 127.0.0.1, with signatures checked: `fetch` writing both files,
//! faults on both routes losing nothing, `dr-infos` paging through hundreds
//! of records, `--no-health`, and offline inputs of both kinds.

use std::collections::BTreeMap;

use rds_dr_fake::{Credentials, FakeCloud, Fault};
use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};
use rds_dr_model::{InfosCapture, InstanceDrInfo, Lenient, ListDrInfosResponse, Source};
use rds_dr_tests::{Fake, rds_dr, read_captures, read_infos, stderr_of, target_args};

const AK: &str = "E2EHEALTHACCESSKEY01";
const SK: &str = "e2eHealthSecretKeyThatMustNeverBePrinted";

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

/// Record ids by source, in the order served.
fn ids_by_source(captures: &[InfosCapture]) -> BTreeMap<Source, Vec<String>> {
    captures
        .iter()
        .map(|c| {
            let mut ids: Vec<String> = c
                .response
                .instance_dr_infos
                .iter()
                .map(|r| r.valid().and_then(|r| r.id.clone()).expect("an id"))
                .collect();
            ids.sort();
            (c.source.clone(), ids)
        })
        .collect()
}

#[test]
fn fetch_writes_both_files_and_faults_on_both_routes_lose_nothing() {
    let fleet = generate(&FleetSpec::new().seed(21).primaries(40));
    let infos = health(&fleet, &HealthSpec::new().every_defect(1));
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(fleet.captures.clone())
            .infos(infos.captures.clone())
            .credentials(Credentials::new(AK, SK))
            .fault_rate(0.3)
            .faults(&[
                Fault::TooManyRequests,
                Fault::InternalError,
                Fault::Unavailable,
                Fault::Reset,
                Fault::Truncate,
            ])
            .seed(9),
    );
    let out = tempfile::tempdir().expect("tempdir");
    let mut args = strings(&["fetch", "--retries", "6", "--out"]);
    args.push(out.path().display().to_string());
    args.extend(target_args(fleet.captures.iter().map(|c| c.source.clone())));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));

    // Relations: every target, exactly as served.
    let mut relations = read_captures(out.path());
    relations.sort_by(|a, b| a.source.cmp(&b.source));
    let mut expected = fleet.captures.clone();
    expected.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(relations.len(), expected.len());
    for (got, want) in relations.iter().zip(&expected) {
        assert_eq!((&got.source, &got.response), (&want.source, &want.response));
    }
    // Infos: one file per target, named REGION_PROJECTID.infos.json, every
    // record served, total_count their number.
    let fetched = read_infos(out.path());
    assert_eq!(fetched.len(), infos.captures.len());
    assert_eq!(ids_by_source(&fetched), ids_by_source(&infos.captures));
    for capture in &fetched {
        let name = format!(
            "{}_{}.infos.json",
            capture.source.region, capture.source.project_id
        );
        assert!(out.path().join(&name).is_file(), "{name}");
        assert_eq!(
            capture.response.total_count,
            Some(capture.response.instance_dr_infos.len() as i64)
        );
        assert!(capture.fetched_at.is_some());
    }

    // Offline, both kinds in one directory: check finds exactly the
    // fleet's defects and the injected health defects, nothing else.
    let offline = rds_dr()
        .args(["check", "--format", "json", "--fail-on", "never"])
        .arg(out.path())
        .output()
        .expect("runs");
    assert_eq!(offline.status.code(), Some(0), "{}", stderr_of(&offline));
    let report: serde_json::Value = serde_json::from_slice(&offline.stdout).expect("json");
    let mut found: Vec<(String, Vec<String>)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let instances = f["instances"].as_array().expect("instances");
            (
                f["code"].as_str().expect("code").to_owned(),
                instances
                    .iter()
                    .map(|i| i.as_str().expect("id").to_owned())
                    .collect(),
            )
        })
        .collect();
    found.sort();
    let mut want: Vec<(String, Vec<String>)> = fleet
        .defects
        .iter()
        .chain(&infos.defects)
        .map(|d| (d.kind.to_owned(), d.instances.clone()))
        .collect();
    want.sort();
    assert_eq!(found, want);
    let counts = &report["summary"]["edge_health"];
    for health in [
        "failed", "broken", "building", "lagging", "healthy", "unknown",
    ] {
        let expected = infos.health.iter().filter(|e| e.health == health).count();
        assert_eq!(counts[health], expected, "{health}");
    }

    // Without the infos files, every edge's health is unknown and no
    // health finding is raised.
    let relations_only = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(out.path()).expect("list") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".infos.json") {
            std::fs::copy(&path, relations_only.path().join(path.file_name().unwrap()))
                .expect("copy");
        }
    }
    let plain = rds_dr()
        .args(["check", "--format", "json", "--fail-on", "never"])
        .arg(relations_only.path())
        .output()
        .expect("runs");
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("json");
    assert_eq!(
        plain["summary"]["edge_health"]["unknown"],
        plain["summary"]["edges"]
    );
    assert_eq!(
        plain["findings"].as_array().map(Vec::len),
        Some(fleet.defects.len())
    );
}

/// End to end against the fake: a broken DR turns its primary unprotected.
#[test]
fn a_broken_dr_turns_its_primary_unprotected_in_impact() {
    let fleet = generate(
        &FleetSpec::new()
            .seed(4)
            .primaries(30)
            .drs_per_primary(1..=1),
    );
    let mut infos = health(&fleet, &HealthSpec::new());
    // Break one primary's only DR (its record is in the primary's capture).
    let (primary, region) = {
        let capture = infos
            .captures
            .iter_mut()
            .find(|c| !c.response.instance_dr_infos.is_empty())
            .expect("records");
        let region = capture.source.region.clone();
        let record = match &mut capture.response.instance_dr_infos[0] {
            rds_dr_model::Lenient::Valid(r) => r,
            rds_dr_model::Lenient::Malformed(_) => panic!("generated records are valid"),
        };
        record.replica_state = Some("-1".into());
        (record.master_instance_id.clone().expect("master"), region)
    };
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(fleet.captures.clone())
            .infos(infos.captures.clone())
            .credentials(Credentials::new(AK, SK)),
    );
    let mut args = strings(&["impact", "--format", "json", "--fail-region"]);
    args.push(region.clone());
    args.extend(target_args(fleet.captures.iter().map(|c| c.source.clone())));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr_of(&output)
    );
    let impact: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let primaries = impact["regions"][0]["primaries"]
        .as_array()
        .expect("primaries");
    let entry = primaries
        .iter()
        .find(|p| p["id"] == primary.as_str())
        .unwrap_or_else(|| panic!("{primary} is a primary of {region}: {impact}"));
    assert_eq!(entry["status"], "unprotected", "{entry}");
    assert_eq!(entry["surviving_drs"][0]["health"], "broken");
    // Every other primary there with a surviving DR is protected.
    for p in primaries.iter().filter(|p| p["id"] != primary.as_str()) {
        if !p["surviving_drs"].as_array().expect("drs").is_empty() {
            assert_eq!(p["status"], "protected", "{p}");
        }
    }
}

#[test]
fn no_health_calls_list_dr_relations_only() {
    let fleet = generate(&FleetSpec::new().seed(4).primaries(5));
    let infos = health(&fleet, &HealthSpec::new());
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(fleet.captures.clone())
            .infos(infos.captures)
            .credentials(Credentials::new(AK, SK)),
    );
    let out = tempfile::tempdir().expect("tempdir");
    let mut args = strings(&["fetch", "--no-health", "--out"]);
    args.push(out.path().display().to_string());
    args.extend(target_args(fleet.captures.iter().map(|c| c.source.clone())));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(read_captures(out.path()).len(), fleet.captures.len());
    assert!(read_infos(out.path()).is_empty());
    assert_eq!(
        fake.running().request_count(),
        fleet.captures.len() as u64,
        "one GET per target, no POST"
    );
}

/// 350 records for one project, with unknown fields, one record without an
/// id and one that is not an object.
fn big_list(source: &Source) -> InfosCapture {
    let mut records: Vec<Lenient<InstanceDrInfo>> = (0..350)
        .map(|i| {
            Lenient::Valid(InstanceDrInfo {
                id: Some(format!("rec-{i:04}")),
                status: Some(if i % 3 == 0 { "normal" } else { "Syncing" }.into()),
                master_instance_id: Some(format!("{i:032x}in03")),
                master_region: Some(source.region.clone()),
                slave_instance_id: Some(format!("{:032x}in03", i + 10_000)),
                slave_region: Some("ap-southeast-1".into()),
                time: Some(1_733_000_000_000 + i),
                replica_state: Some("0".into()),
                wal_write_receive_delay_in_mb: Some(format!("{}.5", i % 7)),
                ..Default::default()
            })
        })
        .collect();
    let raw: rds_dr_model::Value =
        serde_json::from_str(r#"{"status": "normal", "future_field": {"nested": [1, 2]}}"#)
            .expect("JSON");
    records.push(Lenient::Malformed(rds_dr_model::Malformed {
        error: "hand-made".into(),
        raw,
    }));
    InfosCapture::new(
        source.clone(),
        ListDrInfosResponse {
            total_count: Some(records.len() as i64),
            instance_dr_infos: records,
        },
    )
}

#[test]
fn dr_infos_prints_every_page_as_received_and_filters() {
    let source = Source::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663");
    let list = big_list(&source);
    let relations = rds_dr_model::Capture {
        source: source.clone(),
        fetched_at: None,
        response: Default::default(),
    };
    let fake = Fake::start(
        FakeCloud::builder()
            .capture(relations)
            .infos([list.clone()])
            .credentials(Credentials::new(AK, SK))
            .fault_rate(0.2)
            .faults(&[Fault::TooManyRequests, Fault::Unavailable, Fault::Truncate])
            .seed(5),
    );
    let base = [
        "dr-infos",
        "--region",
        "cn-north-4",
        "--project-id",
        "0483b6b16e954cb88930a360d2c4e663",
        "--retries",
        "6",
    ];
    let output = live(&fake.url(), &strings(&base)).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let records = body["instance_dr_infos"].as_array().expect("records");
    assert_eq!(records.len(), 351, "four pages, nothing lost or repeated");
    assert_eq!(body["total_count"], 351);
    // Exactly as recorded, unknown fields kept (the API's default order is
    // newest first; rds-dr asks oldest first).
    let expected: serde_json::Value = serde_json::to_value(&list.response).expect("encode");
    let mut want: Vec<String> = expected["instance_dr_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    let mut got: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert!(records.iter().any(|r| r["future_field"]["nested"][1] == 2));

    // A filter goes to the API; the table has one row per record.
    let mut args = strings(&base);
    args.extend(strings(&["--status", "normal", "--output", "table"]));
    let output = live(&fake.url(), &args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    // 117 of the made records are normal, and the hand-made one.
    assert_eq!(text.lines().count(), 1 + 117 + 1, "{text}");
    assert!(text.lines().next().unwrap().starts_with("ID"));
}

/// The thresholds decide which edges are lagging.
#[test]
fn thresholds_on_the_command_line_decide_lagging() {
    let dir = rds_dr_tests::demo_fleet_dir();
    let run = |extra: &[&str]| -> serde_json::Value {
        let output = rds_dr()
            .args(["check", "--format", "json", "--fail-on", "never"])
            .arg(&dir)
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        serde_json::from_slice(&output.stdout).expect("json")
    };
    let default = run(&[]);
    assert_eq!(default["summary"]["edge_health"]["lagging"], 1);
    let relaxed = run(&["--max-lag-mb", "1000", "--max-delay-ms", "100000"]);
    assert_eq!(relaxed["summary"]["edge_health"]["lagging"], 0);
    let strict = run(&["--max-lag-mb", "0.01"]);
    assert!(strict["summary"]["edge_health"]["lagging"].as_u64() > Some(1));
    let bad = rds_dr()
        .args(["check", "--max-lag-mb", "-3"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}
