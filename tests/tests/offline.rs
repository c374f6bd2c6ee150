//! Offline commands on capture files: `check`, `topology`, `export`,
//! `impact`, exit codes, and bad input.

use std::path::Path;

use rds_dr_tests::{demo_fleet_dir, rds_dr, stderr_of, stdout_of};

fn run(args: &[&str]) -> std::process::Output {
    rds_dr().args(args).output().expect("runs")
}

fn dir_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

const P1: &str = "0483b6b16e954cb88930a360d2c4e663";
const P2: &str = "08fd4e669e00d57d2ffec01352c7cb77";
const PRIMARY: &str = "fab4e3df67c24aa0a5b41bc2bcb41918in03";
const DR: &str = "b5e2c7fcef8b4c2f8fd8d80d73344756in03";

/// A consistent pair: the primary in cn-north-4, its DR in ap-southeast-1,
/// both sides reporting it.
fn write_consistent_pair(dir: &Path) {
    let primary_side = format!(
        r#"{{"source": {{"region": "cn-north-4", "project_id": "{P1}"}},
            "response": {{"instance_dr_relations": [{{"instance_id": "{PRIMARY}",
              "slave_instances": [{{"instance_id": "{DR}", "region": "ap-southeast-1",
                                    "project_id": "{P2}", "project_name": "sg"}}]}}]}}}}"#
    );
    let dr_side = format!(
        r#"{{"source": {{"region": "ap-southeast-1", "project_id": "{P2}"}},
            "response": {{"instance_dr_relations": [{{"instance_id": "{DR}",
              "master_instance": {{"instance_id": "{PRIMARY}", "region": "cn-north-4",
                                   "project_id": "{P1}", "project_name": "bj"}}}}]}}}}"#
    );
    std::fs::write(dir.join("a.json"), primary_side).expect("write");
    std::fs::write(dir.join("b.json"), dr_side).expect("write");
}

#[test]
fn check_json_on_the_demo_fleet() {
    let output = run(&["check", "--format", "json", dir_str(&demo_fleet_dir())]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the demo fleet has an error finding"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["summary"]["sources"], 5);
    assert_eq!(report["summary"]["instances"], 25);
    // The exact bytes: key order as the contract shows it, findings sorted.
    insta::assert_snapshot!("check_json_demo_fleet", stdout_of(&output));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let fleet = demo_fleet_dir();
    let fleet = dir_str(&fleet);
    // The demo fleet: 2 errors, 4 warnings, 1 info.
    for (fail_on, code) in [("error", 1), ("warning", 1), ("info", 1), ("never", 0)] {
        let output = run(&["check", fleet, "--fail-on", fail_on]);
        assert_eq!(output.status.code(), Some(code), "--fail-on {fail_on}");
    }
    // A consistent pair has no finding at all.
    let dir = tempfile::tempdir().expect("tempdir");
    write_consistent_pair(dir.path());
    for fail_on in ["error", "warning", "info", "never"] {
        let output = run(&["check", dir_str(dir.path()), "--fail-on", fail_on]);
        assert_eq!(output.status.code(), Some(0), "--fail-on {fail_on}");
        assert!(stdout_of(&output).contains("1 edge (1 confirmed): no findings"));
    }
    // Only the primary's side: one info finding (unverified-edge).
    std::fs::remove_file(dir.path().join("b.json")).expect("remove");
    for (fail_on, code) in [("error", 0), ("warning", 0), ("info", 1), ("never", 0)] {
        let output = run(&["check", dir_str(dir.path()), "--fail-on", fail_on]);
        assert_eq!(output.status.code(), Some(code), "--fail-on {fail_on}");
    }
}

#[test]
fn bad_input_file_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_consistent_pair(dir.path());
    let bad = dir.path().join("zz-broken.json");
    std::fs::write(&bad, "{\"source\": {\"region\": \"cn-north-4\"").expect("write");
    let output = run(&["check", dir_str(dir.path())]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("zz-broken.json"), "{stderr}");
    assert!(stderr.contains("not JSON"), "{stderr}");
    assert!(output.stdout.is_empty(), "no partial report");

    std::fs::remove_file(&bad).expect("remove");
    std::fs::write(
        &bad,
        r#"{"source": {"region": "Mars", "project_id": "0483b6b16e954cb88930a360d2c4e663"}, "response": {}}"#,
    )
    .expect("write");
    let output = run(&["check", dir_str(dir.path())]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("zz-broken.json") && stderr.contains("Mars"),
        "the bad source is named with its file: {stderr}"
    );

    let missing = dir.path().join("missing.json");
    let output = run(&["topology", dir_str(&missing)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("missing.json"));

    let jsonl = dir.path().join("captures.jsonl");
    std::fs::write(&jsonl, "\n{\"not\": \"an envelope\"}\n").expect("write");
    let output = run(&["check", dir_str(&jsonl)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("captures.jsonl line 2"), "{stderr}");
    assert!(stderr.contains("not a capture envelope"), "{stderr}");
}

#[test]
fn no_input_and_no_target_is_a_usage_error() {
    let output = run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("nothing to read"));
}

#[test]
fn malformed_record_is_a_finding_and_the_rest_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_consistent_pair(dir.path());
    // Add a record without an instance id, and one that is not an object,
    // to the primary's side.
    let path = dir.path().join("a.json");
    let mut capture: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    let records = capture["response"]["instance_dr_relations"]
        .as_array_mut()
        .expect("records");
    records.push(serde_json::json!({"instance_id": null, "slave_instances": []}));
    records.push(serde_json::json!(42));
    std::fs::write(&path, capture.to_string()).expect("write");

    let output = run(&["check", "--format", "json", dir_str(dir.path())]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        ["malformed-record", "malformed-record"],
        "{report:#}"
    );
    assert_eq!(
        report["summary"]["instances"], 2,
        "the good records still count"
    );
    assert_eq!(report["summary"]["confirmed_edges"], 1);
}

#[test]
fn raw_body_input_with_its_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = dir.path().join("body.json");
    std::fs::write(
        &body,
        format!(r#"{{"instance_dr_relations": [{{"instance_id": "{PRIMARY}", "slave_instances": [{{"instance_id": "{DR}", "region": "ap-southeast-1", "project_id": "{P2}"}}]}}]}}"#),
    )
    .expect("write");
    let spec = format!("cn-north-4/{P1}={}", body.display());
    let output = run(&["check", "--format", "json", &spec]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["summary"]["sources"], 1);
    assert_eq!(report["findings"][0]["code"], "unverified-edge");

    // The same body given as an envelope is refused with a hint.
    let output = run(&["check", dir_str(&body)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("REGION/PROJECT_ID=PATH"));
}

#[test]
fn topology_formats() {
    let fleet = demo_fleet_dir();
    let fleet = dir_str(&fleet);
    let tree = run(&["topology", fleet]);
    assert!(tree.status.success());
    let tree = stdout_of(&tree);
    let ids: std::collections::BTreeSet<&str> = tree
        .split_whitespace()
        .filter(|w| w.len() == 36 && w.ends_with("in03"))
        .collect();
    assert_eq!(ids.len(), 25, "every instance is in the tree: {tree}");
    assert!(
        tree.contains("[?] bc4113108b8075ad1a3f14e4cb661a79in03"),
        "the unverified DR"
    );

    let table = stdout_of(&run(&["topology", "--format", "table", fleet]));
    assert_eq!(
        table.lines().filter(|l| l.contains("in03")).count(),
        25,
        "{table}"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&run(&["topology", "--format", "json", fleet]).stdout)
            .expect("JSON");
    assert_eq!(json["nodes"].as_array().map(Vec::len), Some(25));
    assert_eq!(json["edges"].as_array().map(Vec::len), Some(15));
    assert_eq!(json["summary"]["confirmed_edges"], 13);
    // Every edge carries its health, and the counts agree with the summary.
    let edges = json["edges"].as_array().expect("edges");
    for health in [
        "healthy", "lagging", "broken", "failed", "building", "unknown",
    ] {
        let count = edges.iter().filter(|e| e["health"] == health).count();
        assert_eq!(
            json["summary"]["edge_health"][health].as_u64(),
            Some(count as u64),
            "{health}"
        );
    }
    let lagging = edges
        .iter()
        .find(|e| e["health"] == "lagging")
        .expect("the demo's lagging edge");
    assert!(lagging["replay_delay_ms"].is_number() || lagging["send_lag_mb"].is_number());
    assert!(lagging["dr_since"].is_string(), "{lagging}");
    let unknown = edges.iter().find(|e| e["health"] == "unknown");
    if let Some(unknown) = unknown {
        assert!(unknown.get("replica_state").is_none(), "{unknown}");
    }
    let first_group = &json["groups"][0];
    assert_eq!(first_group["root"], "1bd3194739339f89875aa95a12fdfd6din03");
    assert_eq!(first_group["depth"], 2, "a cascade");
}

#[test]
fn export_every_format() {
    let fleet = demo_fleet_dir();
    let fleet = dir_str(&fleet);
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, marker) in [
        ("dot", "digraph"),
        ("mermaid", "flowchart LR"),
        ("graphml", "<graphml"),
        ("node-link", "\"links\""),
        ("cytoscape", "\"elements\""),
        ("svg", "<svg"),
    ] {
        let stdout = run(&["export", fleet, "--format", format]);
        assert!(stdout.status.success(), "{format}");
        let stdout = stdout_of(&stdout);
        assert!(stdout.contains(marker), "{format} has {marker}");

        let file = dir.path().join(format!("out.{format}"));
        let output = run(&["export", fleet, "--format", format, "-o", dir_str(&file)]);
        assert!(output.status.success(), "{format} to a file");
        assert!(output.stdout.is_empty(), "nothing on stdout with -o");
        let written = std::fs::read_to_string(&file).expect("written");
        assert_eq!(
            written.trim_end(),
            stdout.trim_end(),
            "{format}: file and stdout agree"
        );
    }
    let node_link: serde_json::Value =
        serde_json::from_slice(&run(&["export", fleet, "--format", "node-link"]).stdout)
            .expect("JSON");
    assert_eq!(node_link["nodes"].as_array().map(Vec::len), Some(25));
}

#[test]
fn impact_text_and_json() {
    let fleet = demo_fleet_dir();
    let fleet = dir_str(&fleet);
    let output = run(&[
        "impact",
        fleet,
        "--fail-region",
        "cn-north-4",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let impact: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(impact["failed_regions"], serde_json::json!(["cn-north-4"]));
    assert_eq!(impact["summary"]["primaries"], 4);
    assert_eq!(impact["summary"]["unprotected"], 1);
    let unprotected: Vec<&str> = impact["regions"][0]["primaries"]
        .as_array()
        .expect("primaries")
        .iter()
        .filter(|p| p["status"] == "unprotected")
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        unprotected,
        ["f1a7d87d473bc691dd137bb48756f872in03"],
        "the same-region pair"
    );

    let text = stdout_of(&run(&["impact", fleet, "--fail-region", "cn-north-4"]));
    assert!(
        text.contains("UNPROTECTED  f1a7d87d473bc691dd137bb48756f872in03"),
        "{text}"
    );

    let output = run(&["impact", fleet, "--fail-region", "mars-north-1"]);
    assert!(output.status.success());
    assert!(stderr_of(&output).contains("no instance of the input is in region mars-north-1"));
}

/// Terminal cells of `text`: two for the CJK ideographs and full-width forms
/// the test uses, one for anything else (an independent count, not the
/// renderer's).
fn cells(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '\u{4E00}'..='\u{9FFF}' | '\u{FF01}'..='\u{FF60}' => 2,
            _ => 1,
        })
        .sum()
}

#[test]
fn topology_table_keeps_columns_aligned_with_chinese_project_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = format!(
        r#"{{"source": {{"region": "cn-north-4", "project_id": "{P1}"}},
            "response": {{"instance_dr_relations": [{{"instance_id": "{PRIMARY}",
              "slave_instances": [{{"instance_id": "{DR}", "region": "ap-southeast-1",
                                    "project_id": "{P2}", "project_name": "华南-广州（生产）"}}]}}]}}}}"#
    );
    std::fs::write(dir.path().join("a.json"), capture).expect("write");
    let output = run(&["topology", "--format", "table", dir_str(dir.path())]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let table = stdout_of(&output);
    let lines: Vec<&str> = table.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("INSTANCE"))
        .expect("a header");
    // Where ROLE starts, in cells, is the same on every row.
    let role_at = |line: &str| {
        let byte = ["ROLE", "primary", "dr"]
            .iter()
            .filter_map(|word| line.find(&format!("  {word}")).map(|i| i + 2))
            .min()
            .unwrap_or_else(|| panic!("no role in {line:?}"));
        cells(&line[..byte])
    };
    let expected = role_at(lines[header]);
    for line in &lines[header + 1..] {
        assert_eq!(role_at(line), expected, "{table}");
    }
    insta::assert_snapshot!("topology_table_chinese_project_name", table);
}
