//! `rds-dr demo` runs with nothing set up: exit 0, the SVG written into the
//! current directory, and the tour's sections printed.

use rds_dr_tests::{rds_dr, stderr_of, stdout_of};

#[test]
fn demo_runs_and_writes_the_picture() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let output = rds_dr()
        .arg("demo")
        .current_dir(cwd.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);

    let svg_path = cwd.path().join("rds-dr-demo.svg");
    let svg = std::fs::read_to_string(&svg_path).expect("the demo writes rds-dr-demo.svg");
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "a whole SVG"
    );
    let shown = std::fs::canonicalize(&svg_path).expect("canonical");
    assert!(
        stdout.contains(&format!("wrote {}", svg_path.display()))
            || stdout.contains(&format!("wrote {}", shown.display())),
        "the full path is printed: {stdout}"
    );

    assert!(stdout.contains("Fetched 5 of 5 projects"), "{stdout}");
    for finding in [
        "unconfirmed-edge",
        "same-region-dr",
        "unverified-edge",
        "cascaded-dr",
    ] {
        assert!(
            stdout.contains(finding),
            "the deliberate defect {finding} is reported"
        );
    }
    assert!(stdout.contains("If cn-north-4 fails"), "{stdout}");
    let last: Vec<&str> = stdout.lines().rev().take(2).collect();
    assert!(last[1].contains("export HUAWEICLOUD_SDK_AK="), "{stdout}");
    assert!(last[0].contains("rds-dr check --region"), "{stdout}");
}
