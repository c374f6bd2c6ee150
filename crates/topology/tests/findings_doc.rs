//! `docs/findings.md` states each code's details: every code has a section
//! whose `*Details:*` object names exactly the keys its findings carry.

use std::collections::BTreeSet;

use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};
use rds_dr_topology::{Code, Finding, Topology};

/// The top-level keys of the first `{...}` after `*Details:* ` in `section`.
fn documented_keys(section: &str) -> Option<BTreeSet<String>> {
    let at = section.find("*Details:* `")? + "*Details:* `".len();
    let mut keys = BTreeSet::new();
    let mut depth = 0;
    let mut chars = section[at..].chars();
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(keys);
                }
            }
            '"' => {
                let key: String = chars.by_ref().take_while(|&c| c != '"').collect();
                if depth == 1 {
                    keys.insert(key);
                }
            }
            _ => {}
        }
    }
    None
}

/// One finding of every code that a fleet with every injected defect and a
/// failed target gives.
fn one_of_each() -> Vec<Finding> {
    let fleet = generate(
        &FleetSpec::new()
            .seed(5)
            .region_count(3)
            .projects_per_region(2)
            .primaries(60)
            .cascaded(3)
            .every_defect(1),
    );
    let infos = health(&fleet, &HealthSpec::new().seed(5).every_defect(1));
    let mut builder = Topology::builder();
    for c in &fleet.captures {
        builder.capture(c);
    }
    for c in &infos.captures {
        builder.infos_capture(c);
    }
    builder.failed_target(
        "xx-nowhere-1/0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d"
            .parse()
            .expect("a target"),
        "HTTP 503",
    );
    let topology = builder.build();
    Code::ALL
        .iter()
        .filter_map(|&code| topology.findings().iter().find(|f| f.code == code))
        .cloned()
        .collect()
}

/// `code`'s section of the document.
fn section(doc: &str, code: Code) -> &str {
    let head = format!("\n## {code}\n");
    let start = doc
        .find(&head)
        .unwrap_or_else(|| panic!("no section for {code}"));
    let rest = &doc[start + head.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn every_code_documents_its_details() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/findings.md"
    ))
    .expect("docs/findings.md");
    for code in Code::ALL {
        assert!(
            documented_keys(section(&doc, code)).is_some(),
            "{code}: no *Details:* object"
        );
    }
    let found = one_of_each();
    // Every code occurs in the fleet and its health side, so
    // their documented keys are checked against real details.
    let checked: Vec<&str> = found.iter().map(|f| f.code.as_str()).collect();
    for code in [
        "query-failed",
        "malformed-record",
        "unconfirmed-edge",
        "unverified-edge",
        "conflicting-primary",
        "self-relation",
        "cycle",
        "location-conflict",
        "project-name-conflict",
        "same-region-dr",
        "no-cross-region-dr",
        "cascaded-dr",
        "duplicate-record",
        "empty-record",
        "dr-failed",
        "replication-broken",
        "replication-lagging",
        "health-missing",
        "health-orphan",
        "health-conflict",
    ] {
        assert!(checked.contains(&code), "the fleet has no {code}");
    }
    for finding in found {
        let documented = documented_keys(section(&doc, finding.code)).unwrap_or_default();
        let json = finding.details.to_json();
        let actual: BTreeSet<String> = json
            .as_object()
            .unwrap_or_else(|| panic!("{}: details are not an object", finding.code))
            .keys()
            .cloned()
            .collect();
        assert_eq!(documented, actual, "{}", finding.code);
        assert_eq!(finding.details.code(), finding.code);
    }
}

#[test]
fn details_read_back_as_their_type() {
    for finding in one_of_each() {
        let text = serde_json::to_string(&finding).expect("encodes");
        let back: Finding = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, finding);
    }
    // Details of the wrong shape for their code are an error, not a guess.
    let wrong = r#"{"code": "empty-record", "severity": "warning", "instances": [],
        "message": "m", "details": {"records": 2}}"#;
    assert!(serde_json::from_str::<Finding>(wrong).is_err());
}
