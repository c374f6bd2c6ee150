//! `REGION/PROJECT_ID` targets.

use rds_dr_model::{Source, Target};

const PROJECT: &str = "0483b6b16e954cb88930a360d2c4e663";

#[track_caller]
fn check(input: &str, expected: Result<(&str, &str), &str>) {
    let actual = input.parse::<Target>();
    match (actual, expected) {
        (Ok(target), Ok((region, project_id))) => {
            assert_eq!(target, Source::new(region, project_id), "{input:?}");
            assert_eq!(target.to_string(), format!("{region}/{project_id}"));
            assert_eq!(target.validate(), Ok(()));
        }
        (Err(err), Err(reason)) => {
            assert_eq!(err.reason(), reason, "{input:?}");
            assert_eq!(err.input(), input);
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid target `{input}`: {reason} (expected REGION/PROJECT_ID, e.g. \
                     cn-north-4/0483b6b16e954cb88930a360d2c4e663)"
                )
            );
        }
        (actual, expected) => panic!("{input:?}: got {actual:?}, expected {expected:?}"),
    }
}

#[test]
fn good_targets() {
    check(
        "cn-north-4/0483b6b16e954cb88930a360d2c4e663",
        Ok(("cn-north-4", PROJECT)),
    );
    check(
        "  cn-north-4/0483b6b16e954cb88930a360d2c4e663\n",
        Ok(("cn-north-4", PROJECT)),
    );
    check(
        "\tap-southeast-1 / 0483B6B16E954CB88930A360D2C4E663 ",
        Ok(("ap-southeast-1", "0483B6B16E954CB88930A360D2C4E663")),
    );
    check(
        "eu-west-101/054b61972980d4552f0bc00ac8d3f5cd",
        Ok(("eu-west-101", "054b61972980d4552f0bc00ac8d3f5cd")),
    );
}

#[test]
fn bad_targets() {
    check(
        "cn-north-4",
        Err("missing `/` between region and project id"),
    );
    check("", Err("missing `/` between region and project id"));
    check(
        "/0483b6b16e954cb88930a360d2c4e663",
        Err("the region is empty"),
    );
    check(
        "CN-north-4/0483b6b16e954cb88930a360d2c4e663",
        Err("the region `CN-north-4` must start with a lowercase letter"),
    );
    check(
        "cn-North-4/0483b6b16e954cb88930a360d2c4e663",
        Err("the region `cn-North-4` has `N`: only lowercase letters, digits and `-` are allowed"),
    );
    check(
        "4-north/0483b6b16e954cb88930a360d2c4e663",
        Err("the region `4-north` must start with a lowercase letter"),
    );
    check("cn-north-4/", Err("the project id is empty"));
    check(
        "cn-north-4/0483b6b16e954cb88930a360d2c4e66",
        Err("the project id `0483b6b16e954cb88930a360d2c4e66` is not 32 hexadecimal characters"),
    );
    check(
        "cn-north-4/0483b6b16e954cb88930a360d2c4e66g",
        Err("the project id `0483b6b16e954cb88930a360d2c4e66g` is not 32 hexadecimal characters"),
    );
    check(
        "cn-north-4/0483b6b16e954cb88930a360d2c4e663/x",
        Err("the project id `0483b6b16e954cb88930a360d2c4e663/x` is not 32 hexadecimal characters"),
    );
    let long = "a".repeat(65);
    check(
        &format!("{long}/{PROJECT}"),
        Err("the region is 65 characters long (at most 64)"),
    );
}

#[test]
fn a_source_serializes_as_an_object() {
    let source = Source::new("cn-north-4", PROJECT);
    assert_eq!(
        serde_json::to_value(&source).unwrap(),
        serde_json::json!({"region": "cn-north-4", "project_id": PROJECT})
    );
}
