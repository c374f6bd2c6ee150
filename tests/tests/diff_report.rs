//! `rds-dr diff` and `rds-dr report` end to end: exit codes, the text and
//! JSON of a diff, the page written from files and from live targets, and
//! bad input.

use std::path::Path;

use rds_dr_fake::{Credentials, FakeCloud};
use rds_dr_tests::{
    Fake, demo_fleet_dir, rds_dr, read_captures, read_infos, stderr_of, stdout_of, target_args,
};

fn run(args: &[&str]) -> std::process::Output {
    rds_dr().args(args).output().expect("runs")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The demo fleet in `old/`, and in `new/` without its Singapore capture.
fn two_snapshots(dir: &Path) {
    for side in ["old", "new"] {
        let target = dir.join(side);
        std::fs::create_dir(&target).expect("mkdir");
        for entry in std::fs::read_dir(demo_fleet_dir()).expect("list") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name");
            if side == "new" && name == "prod-singapore.json" {
                continue;
            }
            std::fs::copy(&path, target.join(name)).expect("copy");
        }
    }
}

#[test]
fn diff_exit_codes_and_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_snapshots(dir.path());
    let old = dir.path().join("old");
    let new = dir.path().join("new");

    let same = run(&["diff", path_str(&old), path_str(&old)]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr_of(&same));
    assert_eq!(
        stdout_of(&same),
        "No changes: the same nodes, edges and findings.\n"
    );

    let changed = run(&["diff", path_str(&old), path_str(&new)]);
    assert_eq!(changed.status.code(), Some(1), "{}", stderr_of(&changed));
    let text = stdout_of(&changed);
    let last = text.lines().last().expect("a summary line");
    assert_eq!(
        last,
        "Nodes: 0 to add, 5 to change, 2 to remove. Edges: 0 to add, 6 to change, 1 to remove. \
         Findings: 6 raised, 1 resolved."
    );
    insta::assert_snapshot!("diff_text_demo_without_singapore", text);
}

#[test]
fn diff_json_counts_match_the_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_snapshots(dir.path());
    let output = run(&[
        "diff",
        "--format",
        "json",
        path_str(&dir.path().join("new")),
        path_str(&dir.path().join("old")),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["format_version"], "1");
    let summary = &json["summary"];
    for (group, kinds) in [
        ("nodes", ["added", "removed", "changed"].as_slice()),
        ("edges", ["added", "removed", "changed"].as_slice()),
        ("findings", ["raised", "resolved"].as_slice()),
    ] {
        for kind in kinds {
            let listed = json[group][kind].as_array().expect("a list").len();
            assert_eq!(summary[format!("{group}_{kind}")], listed, "{group} {kind}");
        }
    }
    // NEW -> OLD: Singapore's DR and the primary only it named come back.
    assert_eq!(summary["nodes_added"], 2);
    assert_eq!(json["findings"]["raised"][0]["code"], "unconfirmed-edge");
}

#[test]
fn diff_errors_exit_2_naming_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").expect("write");
    let fleet = demo_fleet_dir();
    for (old, new, named) in [
        (path_str(&fleet), path_str(&bad), "bad.json"),
        (path_str(&bad), path_str(&fleet), "bad.json"),
        (
            path_str(&fleet),
            "/nonexistent/rds-dr-missing",
            "rds-dr-missing",
        ),
    ] {
        let output = run(&["diff", old, new]);
        assert_eq!(output.status.code(), Some(2), "{old} {new}");
        assert!(stderr_of(&output).contains(named), "{}", stderr_of(&output));
        assert!(output.stdout.is_empty());
    }
    let output = run(&["diff", path_str(&fleet)]);
    assert_eq!(output.status.code(), Some(2), "NEW is required");
}

/// `<tr data-code="..."` rows of a page, in order.
fn finding_rows(html: &str) -> Vec<String> {
    html.lines()
        .filter_map(|l| l.strip_prefix("<tr data-code=\""))
        .map(|rest| rest.split('"').next().expect("code").to_owned())
        .collect()
}

fn check_codes(args: &[&str]) -> Vec<String> {
    let mut all = vec!["check", "--format", "json", "--fail-on", "never"];
    all.extend_from_slice(args);
    let output = run(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn report_writes_the_page_of_the_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.html");
    let fleet = demo_fleet_dir();
    let output = run(&["report", path_str(&fleet), "-o", path_str(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty(), "the page goes to the file only");
    let html = std::fs::read_to_string(&out).expect("written");
    assert_eq!(finding_rows(&html), check_codes(&[path_str(&fleet)]));
    assert!(html.contains(&format!("<li>input {}</li>", fleet.display())));
    assert!(html.contains("<time datetime=\"20"), "generated-at time");
    // Written atomically: the directory holds the page and nothing else.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(names.len(), 1);
    // A second run replaces it.
    let again = run(&["report", path_str(&fleet), "-o", path_str(&out)]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
}

#[test]
fn report_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[1, 2").expect("write");
    let out = dir.path().join("report.html");
    let output = run(&["report", path_str(&bad), "-o", path_str(&out)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("bad.json"),
        "{}",
        stderr_of(&output)
    );
    assert!(!out.exists());
    let missing_dir = dir.path().join("no/such/dir/report.html");
    let output = run(&[
        "report",
        path_str(&demo_fleet_dir()),
        "-o",
        path_str(&missing_dir),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("report.html"),
        "{}",
        stderr_of(&output)
    );
    let output = run(&["report", path_str(&demo_fleet_dir())]);
    assert_eq!(output.status.code(), Some(2), "-o is required");
}

const AK: &str = "E2EREPORTACCESSKEY01";
const SK: &str = "e2eReportSecretKeyThatMustNeverBePrinted";

#[test]
fn report_from_live_targets_lists_them() {
    let captures = read_captures(&demo_fleet_dir());
    let fake = Fake::start(
        FakeCloud::builder()
            .captures(captures.clone())
            .infos(read_infos(&demo_fleet_dir()))
            .credentials(Credentials::new(AK, SK)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("live.html");
    let mut args = vec![
        "report".to_owned(),
        "-o".to_owned(),
        path_str(&out).to_owned(),
    ];
    args.extend(target_args(captures.iter().map(|c| c.source.clone())));
    let output = rds_dr()
        .args(&args)
        .args(["--endpoint", &fake.url(), "--no-progress"])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let html = std::fs::read_to_string(&out).expect("written");
    for capture in &captures {
        assert!(
            html.contains(&format!("<li>target {}</li>", capture.source)),
            "{} listed",
            capture.source
        );
    }
    assert_eq!(
        finding_rows(&html),
        check_codes(&[path_str(&demo_fleet_dir())])
    );
    assert!(!html.contains(SK), "no secret on the page");
    assert!(!stderr_of(&output).contains(SK));
}
