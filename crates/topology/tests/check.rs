//! Data-driven validation tests: for every finding code, a minimal case that
//! triggers it and a near miss that must not.

mod common;

use common::{PA, PB, PC, PD, cap, peer};
use rds_dr_model::{Capture, Source};
use rds_dr_topology::{Code, EdgeStatus, Report, Role, Severity, Topology};
use serde_json::{Value, json};

fn primary(id: &str, drs: &[(&str, &str)]) -> Value {
    json!({"instance_id": id, "slave_instances": drs.iter().map(|(d, p)| peer(d, p)).collect::<Vec<_>>()})
}

fn dr(id: &str, master: &str, master_project: &str) -> Value {
    json!({"instance_id": id, "master_instance": peer(master, master_project)})
}

fn build(captures: &[Capture], failed: &[(&str, &str)]) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    for (target, message) in failed {
        builder.failed_target(target.parse::<Source>().expect("target"), *message);
    }
    builder.build()
}

/// Builds the captures and compares the findings, as (code, instances), in
/// report order; also checks the invariants every report keeps.
fn check_with(
    captures: &[Capture],
    failed: &[(&str, &str)],
    expected: &[(&str, &[&str])],
) -> Report {
    let topology = build(captures, failed);
    let report = topology.report();
    let got: Vec<(String, Vec<String>)> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str().to_owned(), f.instances.clone()))
        .collect();
    let mut want: Vec<(String, Vec<String>)> = expected
        .iter()
        .map(|(c, ids)| {
            let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
            ids.sort();
            ((*c).to_owned(), ids)
        })
        .collect();
    let mut sorted_got = got.clone();
    sorted_got.sort();
    want.sort();
    assert_eq!(sorted_got, want, "findings: {:#?}", report.findings);
    for f in &report.findings {
        assert_eq!(f.severity, f.code.severity());
        assert!(f.details.to_json().is_object(), "{f:?}");
        assert!(!f.message.is_empty());
        let mut ids = f.instances.clone();
        ids.sort();
        assert_eq!(ids, f.instances);
    }
    // Sorted by (severity, code, instances).
    for pair in report.findings.windows(2) {
        let key = |f: &rds_dr_topology::Finding| {
            (f.severity, f.code.as_str().to_owned(), f.instances.clone())
        };
        assert!(
            key(&pair[0]) <= key(&pair[1]),
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    let s = report.summary;
    let count = |sev| report.findings.iter().filter(|f| f.severity == sev).count();
    assert_eq!(
        (s.errors, s.warnings, s.infos),
        (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        )
    );
    // Order independence: reversed captures give the same report.
    let reversed: Vec<Capture> = captures.iter().rev().cloned().collect();
    assert_eq!(
        build(&reversed, failed).report(),
        report,
        "capture order changed the report"
    );
    // Idempotence: every capture given twice changes nothing.
    let twice: Vec<Capture> = captures.iter().chain(captures).cloned().collect();
    assert_eq!(
        build(&twice, failed).report(),
        report,
        "captures given twice changed the report"
    );
    report
}

fn check(captures: &[Capture], expected: &[(&str, &[&str])]) -> Report {
    check_with(captures, &[], expected)
}

/// A primary in PA with a DR in PB, both sides reported.
fn pair(p: &str, d: &str) -> [Capture; 2] {
    [
        cap(PA, json!([primary(p, &[(d, PB)])])),
        cap(PB, json!([dr(d, p, PA)])),
    ]
}

#[test]
fn seed_page_example_is_one_confirmed_edge() {
    // The API page's example body, split into the two sides that return it.
    let a = cap(
        PB,
        json!([{
            "instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
            "slave_instances": [{"instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03", "region": "bRegion",
                                 "project_id": PC, "project_name": "slaveProjectName"}]
        }]),
    );
    let a = Capture {
        source: Source::new("aRegion", PB),
        ..a
    };
    let b = cap(
        PC,
        json!([{
            "instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
            "master_instance": {"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03", "region": "aRegion",
                                "project_id": PB, "project_name": "masterProjectName"}
        }]),
    );
    let b = Capture {
        source: Source::new("bRegion", PC),
        ..b
    };
    let report = check(&[a.clone(), b.clone()], &[]);
    assert_eq!(report.summary.edges, 1);
    assert_eq!(report.summary.confirmed_edges, 1);
    assert_eq!(report.summary.instances, 2);
    assert_eq!(report.summary.sources, 2);
    let t = build(&[a, b], &[]);
    let node = t
        .node("fab4e3df67c24aa0a5b41bc2bcb41918in03")
        .expect("primary");
    assert_eq!(node.role, Role::Primary);
    assert_eq!(node.location.region, Some("aRegion"));
    assert_eq!(node.location.project_name, Some("masterProjectName"));
}

#[test]
fn query_failed() {
    let [a, b] = pair("p1", "d1");
    let report = check_with(
        &[a.clone(), b.clone()],
        &[("cn-east-3/054b61972980d4552f0bc00ac8d3f5cd", "HTTP 503")],
        &[("query-failed", &[])],
    );
    let f = &report.findings[0];
    assert!(
        f.message
            .contains("cn-east-3/054b61972980d4552f0bc00ac8d3f5cd")
            && f.message.contains("HTTP 503")
    );
    assert_eq!(
        f.details.to_json()["source"],
        "cn-east-3/054b61972980d4552f0bc00ac8d3f5cd"
    );
    // Near miss: nothing failed.
    check(&[a, b], &[]);
}

#[test]
fn failed_target_is_not_queried() {
    // The DR's side failed: the primary's claim is unverified, not unconfirmed.
    let report = check_with(
        &[cap(PA, json!([primary("p1", &[("d1", PB)])]))],
        &[(
            "ap-southeast-1/08fd4e669e00d57d2ffec01352c7cb77",
            "timed out",
        )],
        &[("query-failed", &[]), ("unverified-edge", &["p1", "d1"])],
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.code == Code::UnverifiedEdge)
        .expect("unverified");
    assert!(f.message.contains("could not be fetched"), "{}", f.message);
    assert_eq!(f.details.to_json()["other_side_failed"], true);
}

#[test]
fn malformed_record() {
    // A record without instance_id: the DR's claim is then one-sided too.
    check(
        &[
            cap(PA, json!([{"slave_instances": [peer("d1", PB)]}])),
            cap(PB, json!([dr("d1", "p1", PA)])),
        ],
        &[
            ("malformed-record", &["d1"]),
            ("unconfirmed-edge", &["p1", "d1"]),
        ],
    );
    // A peer without instance_id.
    let report = check(
        &[cap(
            PA,
            json!([{"instance_id": "p1", "slave_instances": [{"region": "x", "project_id": PB}]}]),
        )],
        &[("malformed-record", &["p1"])],
    );
    assert_eq!(
        report.findings[0].details.to_json()["field"],
        "slave_instances[0]"
    );
    assert_eq!(report.findings[0].details.to_json()["index"], 0);
    // A peer with a null instance_id, next to a good record that still counts.
    let [_, b] = pair("p1", "d1");
    check(
        &[
            cap(
                PA,
                json!([{"instance_id": "p1", "slave_instances": [peer("d1", PB), {"instance_id": null, "region": "r"}]}]),
            ),
            b.clone(),
        ],
        &[("malformed-record", &["p1"])],
    );
    // A record that is not an object; the rest of the body still counts.
    let report = check(
        &[
            cap(PA, json!([42, primary("p1", &[("d1", PB)])])),
            b.clone(),
        ],
        &[("malformed-record", &[])],
    );
    assert_eq!(report.summary.confirmed_edges, 1);
    assert!(
        report.findings[0]
            .message
            .contains("record 0 of cn-north-4/"),
        "{}",
        report.findings[0].message
    );
    // A master_instance of the wrong type.
    check(
        &[cap(
            PB,
            json!([{"instance_id": "d1", "master_instance": "p1"}]),
        )],
        &[("malformed-record", &["d1"])],
    );
    // Near miss: empty peer objects and nulls are absent, not malformed.
    check(
        &[
            cap(
                PA,
                json!([{"instance_id": "p1", "master_instance": {}, "slave_instances": [peer("d1", PB)]}]),
            ),
            cap(
                PB,
                json!([{"instance_id": "d1", "master_instance": peer("p1", PA), "slave_instances": null}]),
            ),
        ],
        &[],
    );
}

#[test]
fn unconfirmed_edge() {
    // The primary claims it; the DR's project was queried and is silent.
    let report = check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB)])])),
            cap(PB, json!([])),
        ],
        &[("unconfirmed-edge", &["p1", "d1"])],
    );
    let f = &report.findings[0];
    assert_eq!(f.details.to_json()["claimed_by"], "primary");
    assert_eq!(f.details.to_json()["status"], "primary-only");
    assert!(
        f.message
            .contains(&format!("cn-north-4/{PA} says primary p1 has DR d1")),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains(&format!("ap-southeast-1/{PB} (queried) does not list it")),
        "{}",
        f.message
    );
    // The DR claims it; the primary's project was queried and is silent.
    let report = check(
        &[cap(PA, json!([])), cap(PB, json!([dr("d1", "p1", PA)]))],
        &[("unconfirmed-edge", &["p1", "d1"])],
    );
    assert_eq!(report.findings[0].details.to_json()["claimed_by"], "dr");
    let t = build(
        &[cap(PA, json!([])), cap(PB, json!([dr("d1", "p1", PA)]))],
        &[],
    );
    assert_eq!(t.edge("p1", "d1").expect("edge").status, EdgeStatus::DrOnly);
    // Near miss: the other side lists it.
    check(&pair("p1", "d1"), &[]);
}

#[test]
fn unverified_edge() {
    let report = check(
        &[cap(PA, json!([primary("p1", &[("d1", PB)])]))],
        &[("unverified-edge", &["p1", "d1"])],
    );
    assert_eq!(report.findings[0].severity, Severity::Info);
    assert_eq!(report.summary.infos, 1);
    let t = build(&[cap(PA, json!([primary("p1", &[("d1", PB)])]))], &[]);
    assert_eq!(
        t.edge("p1", "d1").expect("edge").status,
        EdgeStatus::Unverified
    );
    // Near miss: the other side was queried and confirms it.
    check(&pair("p1", "d1"), &[]);
}

#[test]
fn conflicting_primary() {
    let report = check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB)])])),
            cap(PC, json!([primary("p2", &[("d1", PB)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
        ],
        &[
            ("conflicting-primary", &["d1", "p1", "p2"]),
            ("unconfirmed-edge", &["p2", "d1"]),
        ],
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.code == Code::ConflictingPrimary)
        .expect("finding");
    assert_eq!(f.details.to_json()["dr"], "d1");
    assert_eq!(
        f.details.to_json()["primaries"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(f.message.contains("p1") && f.message.contains("p2"));
    // Near miss: two primaries, two DRs.
    check(
        &[
            cap(
                PA,
                json!([primary("p1", &[("d1", PB)]), primary("p2", &[("d2", PB)])]),
            ),
            cap(PB, json!([dr("d1", "p1", PA), dr("d2", "p2", PA)])),
        ],
        &[],
    );
}

#[test]
fn self_relation() {
    check(
        &[cap(PA, json!([primary("x1", &[("x1", PA)])]))],
        &[("self-relation", &["x1"])],
    );
    let report = check(
        &[cap(PA, json!([dr("x1", "x1", PA)]))],
        &[("self-relation", &["x1"])],
    );
    assert_eq!(
        report.findings[0].details.to_json()["claims"][0]["field"],
        "master_instance"
    );
    let t = build(&[cap(PA, json!([dr("x1", "x1", PA)]))], &[]);
    assert_eq!(t.edge_count(), 0);
    assert_eq!(t.node("x1").expect("node").role, Role::Standalone);
    // Near miss: a different instance.
    check(&pair("x1", "x2"), &[]);
}

#[test]
fn cycle() {
    let report = check(
        &[
            cap(
                PA,
                json!([{"instance_id": "a1", "master_instance": peer("b1", PB), "slave_instances": [peer("b1", PB)]}]),
            ),
            cap(
                PB,
                json!([{"instance_id": "b1", "master_instance": peer("a1", PA), "slave_instances": [peer("a1", PA)]}]),
            ),
        ],
        &[
            ("cycle", &["a1", "b1"]),
            ("cascaded-dr", &["a1"]),
            ("cascaded-dr", &["b1"]),
        ],
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.code == Code::Cycle)
        .expect("cycle");
    assert_eq!(f.details.to_json()["path"], json!(["a1", "b1", "a1"]));
    // Three members, in three regions.
    check(
        &[
            cap(
                PA,
                json!([{"instance_id": "a1", "master_instance": peer("c1", PC), "slave_instances": [peer("b1", PB)]}]),
            ),
            cap(
                PB,
                json!([{"instance_id": "b1", "master_instance": peer("a1", PA), "slave_instances": [peer("c1", PC)]}]),
            ),
            cap(
                PC,
                json!([{"instance_id": "c1", "master_instance": peer("b1", PB), "slave_instances": [peer("a1", PA)]}]),
            ),
        ],
        &[
            ("cycle", &["a1", "b1", "c1"]),
            ("cascaded-dr", &["a1"]),
            ("cascaded-dr", &["b1"]),
            ("cascaded-dr", &["c1"]),
        ],
    );
    // Near miss: a chain is a cascade, not a cycle.
    check(
        &[
            cap(PA, json!([primary("a1", &[("b1", PB)])])),
            cap(
                PB,
                json!([{"instance_id": "b1", "master_instance": peer("a1", PA), "slave_instances": [peer("c1", PC)]}]),
            ),
            cap(PC, json!([dr("c1", "b1", PB)])),
        ],
        &[("cascaded-dr", &["b1"])],
    );
}

#[test]
fn location_conflict() {
    // The primary's peer object puts d1 in PC; PB's capture returned it.
    let report = check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PC)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
        ],
        &[("location-conflict", &["d1"])],
    );
    let f = &report.findings[0];
    assert!(
        f.message
            .contains(&format!("ap-southeast-1/{PB} by its own record")),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains(&format!("cn-east-3/{PC} by the record of p1")),
        "{}",
        f.message
    );
    assert_eq!(
        f.details.to_json()["claims"].as_array().map(Vec::len),
        Some(2)
    );
    // The local record wins for the node's location.
    let t = build(
        &[
            cap(PA, json!([primary("p1", &[("d1", PC)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
        ],
        &[],
    );
    assert_eq!(t.node("d1").expect("d1").location.project_id, Some(PB));
    assert_eq!(t.location_claims("d1").len(), 2);
    // One instance returned by two different sources.
    check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
            cap(PC, json!([dr("d1", "p1", PA)])),
        ],
        &[("location-conflict", &["d1"])],
    );
    // Near miss: everyone agrees.
    check(&pair("p1", "d1"), &[]);
}

#[test]
fn project_name_conflict() {
    let mut renamed = peer("p1", PA);
    renamed["project_name"] = json!("other-name");
    let report = check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB), ("d2", PC)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
            cap(
                PC,
                json!([{"instance_id": "d2", "master_instance": renamed}]),
            ),
        ],
        &[("project-name-conflict", &["p1"])],
    );
    assert_eq!(report.findings[0].details.to_json()["project_id"], PA);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    // Near miss: one peer leaves the name out.
    let mut unnamed = peer("p1", PA);
    unnamed["project_name"] = Value::Null;
    check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB), ("d2", PC)])])),
            cap(PB, json!([dr("d1", "p1", PA)])),
            cap(
                PC,
                json!([{"instance_id": "d2", "master_instance": unnamed}]),
            ),
        ],
        &[],
    );
}

#[test]
fn same_region_dr_and_no_cross_region_dr() {
    // Only DR in the primary's region (PA and PD share cn-north-4).
    check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PD)])])),
            cap(PD, json!([dr("d1", "p1", PA)])),
        ],
        &[
            ("same-region-dr", &["p1", "d1"]),
            ("no-cross-region-dr", &["p1"]),
        ],
    );
    // Near miss for no-cross-region-dr: another DR elsewhere.
    check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PD), ("d2", PB)])])),
            cap(PD, json!([dr("d1", "p1", PA)])),
            cap(PB, json!([dr("d2", "p1", PA)])),
        ],
        &[("same-region-dr", &["p1", "d1"])],
    );
    // Near miss for both: the DR's region is unknown.
    check(
        &[cap(
            PA,
            json!([{"instance_id": "p1", "slave_instances": [{"instance_id": "d1", "project_id": "ffffffffffffffffffffffffffffffff"}]}]),
        )],
        &[("unverified-edge", &["p1", "d1"])],
    );
}

#[test]
fn cascaded_dr() {
    let t_caps = [
        cap(PA, json!([primary("a1", &[("b1", PB)])])),
        cap(
            PB,
            json!([{"instance_id": "b1", "master_instance": peer("a1", PA), "slave_instances": [peer("c1", PC)]}]),
        ),
        cap(PC, json!([dr("c1", "b1", PB)])),
    ];
    check(&t_caps, &[("cascaded-dr", &["b1"])]);
    let t = build(&t_caps, &[]);
    assert_eq!(t.node("b1").expect("b1").role, Role::Cascaded);
    let group = t.group_of("c1").expect("group");
    assert_eq!((group.root, group.depth, group.members.len()), ("a1", 2, 3));
    // Near miss: two DRs of one primary.
    check(
        &[
            cap(PA, json!([primary("a1", &[("b1", PB), ("c1", PC)])])),
            cap(PB, json!([dr("b1", "a1", PA)])),
            cap(PC, json!([dr("c1", "a1", PA)])),
        ],
        &[],
    );
}

#[test]
fn duplicate_record() {
    let report = check(
        &[
            cap(
                PA,
                json!([primary("p1", &[("d1", PB)]), primary("p1", &[("d1", PB)])]),
            ),
            cap(PB, json!([dr("d1", "p1", PA)])),
        ],
        &[("duplicate-record", &["p1"])],
    );
    assert_eq!(report.findings[0].details.to_json()["records"], 2);
    // Near miss: one source's records split over two captures.
    check(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB)])])),
            cap(
                PA,
                json!([primary("p1", &[("d1", PB)]), primary("p2", &[("d2", PB)])]),
            ),
            cap(PB, json!([dr("d1", "p1", PA)])),
            cap(PB, json!([dr("d2", "p2", PA)])),
        ],
        &[],
    );
}

#[test]
fn empty_record() {
    let report = check(
        &[cap(PA, json!([{"instance_id": "x1"}]))],
        &[("empty-record", &["x1"])],
    );
    assert_eq!(report.summary.instances, 1);
    let t = build(
        &[cap(
            PA,
            json!([{"instance_id": "x1", "slave_instances": []}]),
        )],
        &[],
    );
    assert_eq!(t.node("x1").expect("x1").role, Role::Standalone);
    assert_eq!(
        t.node("x1").expect("x1").location.region,
        Some("cn-north-4")
    );
    // Near miss: a record with a primary.
    check(&pair("p1", "d1"), &[]);
}

#[test]
fn every_code_has_a_case() {
    // The cases above cover every code of the contract table; keep them in step.
    let covered = [
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
        // Replication health: their cases are in tests/health.rs.
        "dr-failed",
        "replication-broken",
        "replication-lagging",
        "health-missing",
        "health-orphan",
        "health-conflict",
    ];
    for code in Code::ALL {
        assert!(covered.contains(&code.as_str()), "{code}");
        assert_eq!(Code::from_name(code.as_str()), Some(code));
    }
    assert_eq!(covered.len(), Code::ALL.len());
}

#[test]
fn report_serialises_exactly_as_the_contract() {
    let t = build(
        &[
            cap(PA, json!([primary("p1", &[("d1", PB)])])),
            cap(PB, json!([])),
        ],
        &[],
    );
    let text = serde_json::to_string(&t.report()).expect("serialises");
    let prefix = r#"{"summary":{"sources":2,"instances":2,"edges":1,"confirmed_edges":0,"errors":1,"warnings":0,"infos":0,"edge_health":{"healthy":0,"lagging":0,"broken":0,"failed":0,"building":0,"unknown":1}},"findings":[{"code":"unconfirmed-edge","severity":"error","instances":["d1","p1"],"message":""#;
    assert!(text.starts_with(prefix), "{text}");
    assert!(text.contains(r#""details":{"#), "{text}");
    // And it reads back.
    let back: Report = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, t.report());
    assert!(back.fails_at(Severity::Error));
    assert!(back.fails_at("info".parse().expect("severity")));
    assert!("fatal".parse::<Severity>().is_err());
    assert!(
        !Report {
            findings: Vec::new(),
            ..back
        }
        .fails_at(Severity::Info)
    );
}

#[test]
fn view_is_sorted_and_complete() {
    let caps = [
        cap(
            PA,
            json!([primary("p1", &[("d1", PB), ("d2", PC)]), {"instance_id": "s1"}]),
        ),
        cap(PB, json!([dr("d1", "p1", PA)])),
        cap(PC, json!([dr("d2", "p1", PA)])),
        cap(
            PD,
            json!([primary("q1", &[("e1", "ffffffffffffffffffffffffffffffff")])]),
        ),
    ];
    let t = build(&caps, &[]);
    let view = t.view();
    let ids: Vec<&str> = view.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec!["d1", "d2", "e1", "p1", "q1", "s1"]);
    let groups: Vec<&str> = view.nodes.iter().map(|n| n.group).collect();
    assert_eq!(groups, vec!["p1", "p1", "q1", "p1", "q1", "s1"]);
    let roles: Vec<Role> = view.nodes.iter().map(|n| n.role).collect();
    assert_eq!(
        roles,
        vec![
            Role::Dr,
            Role::Dr,
            Role::Dr,
            Role::Primary,
            Role::Primary,
            Role::Standalone
        ]
    );
    let edges: Vec<(&str, &str, EdgeStatus, Option<bool>)> = view
        .edges
        .iter()
        .map(|e| (e.source, e.target, e.status, e.cross_region))
        .collect();
    assert_eq!(
        edges,
        vec![
            ("p1", "d1", EdgeStatus::Confirmed, Some(true)),
            ("p1", "d2", EdgeStatus::Confirmed, Some(true)),
            ("q1", "e1", EdgeStatus::Unverified, Some(true)),
        ]
    );
    // e1's region comes from q1's peer object; a peer without region leaves it unknown.
    assert_eq!(view.nodes[2].region, Some("xx-unknown-1"));
    let groups: Vec<(String, usize, usize)> = t
        .groups()
        .map(|g| (g.root.to_owned(), g.members.len(), g.depth))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("p1".into(), 3, 1),
            ("q1".into(), 2, 1),
            ("s1".into(), 1, 0)
        ]
    );
    let edge = t.edge("p1", "d1").expect("edge");
    assert_eq!(edge.claims.len(), 2);
    assert_eq!(t.drs_of("p1"), vec!["d1", "d2"]);
    assert_eq!(t.primaries_of("d2"), vec!["p1"]);
    assert_eq!(t.sources().len(), 4);
}
