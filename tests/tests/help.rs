//! `rds-dr --help` and every subcommand's `--help`, as snapshots: the
//! command line is an interface, and a change to it should be seen.

use rds_dr_tests::{rds_dr, stdout_of};

const SUBCOMMANDS: [&str; 11] = [
    "relations",
    "fetch",
    "check",
    "topology",
    "export",
    "impact",
    "diff",
    "report",
    "fake-server",
    "demo",
    "completions",
];

fn help(args: &[&str]) -> String {
    let output = rds_dr().args(args).output().expect("runs");
    assert!(output.status.success(), "{args:?} exits 0");
    assert!(
        output.stderr.is_empty(),
        "{args:?} prints nothing on stderr"
    );
    stdout_of(&output)
}

#[test]
fn top_level_help() {
    let text = help(&["--help"]);
    for subcommand in SUBCOMMANDS {
        assert!(text.contains(subcommand), "{subcommand} is listed");
    }
    insta::assert_snapshot!("help", text);
}

#[test]
fn subcommand_help() {
    for subcommand in SUBCOMMANDS {
        let text = help(&[subcommand, "--help"]);
        assert!(
            text.contains(&format!("Usage: rds-dr {subcommand}")),
            "{text}"
        );
        insta::assert_snapshot!(format!("help_{subcommand}"), text);
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["check", "--fail-on", "sometimes"][..],
        &["nonsense"][..],
        &["impact", "x.json"][..],
        &["fetch", "--target", "cn-north-4/abc", "--out", "d"][..],
        &["--concurrency", "0", "check", "x.json"][..],
    ] {
        let output = rds_dr().args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn completions_for_bash() {
    let output = rds_dr()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let script = stdout_of(&output);
    assert!(script.contains("_rds__dr()"), "a bash completion function");
    assert!(script.contains("fake-server"));
}
