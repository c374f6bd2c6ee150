//! ListDrInfos: the SDK's shapes, lenient records, lags as strings, the
//! infos envelope beside the relations one, and synthetic health.

use rds_dr_model::{
    Capture, EnvelopeOperation, InfosCapture, Lenient, ListDrInfosResponse, Operation,
    QueryDrInfoRequest,
};

use super::json;

/// The response example of the API page (rds_12_0007), with the fields of
/// the SDK's `InstanceDrInfo` (values made up where the page leaves them out).
const EXAMPLE: &str = r#"{
  "total_count": 2,
  "instance_dr_infos": [
    {"id": "2ef0b4a9-aa8c-4b56-9a7d-f8c6d1bb2d4f", "status": "normal",
     "failed_message": "", "replica_state": "0",
     "wal_write_receive_delay_in_mb": "0.0", "wal_write_replay_delay_in_mb": "0.25",
     "wal_receive_replay_delay_in_ms": "12",
     "master_instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03", "master_region": "cn-north-4",
     "slave_instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03", "slave_region": "cn-east-3",
     "build_process": "master", "time": 1733450000000},
    {"id": "7c2b3c1e-77f5-4a60-9d43-0a5a4ab9c111", "status": "failed",
     "failed_message": "replication slot is missing", "replica_state": "-1",
     "master_instance_id": "1a2b3c4d5e6f40718293a4b5c6d7e8f9in03", "master_region": "cn-north-4",
     "slave_instance_id": "9f8e7d6c5b4a43928170f6e5d4c3b2a1in03", "slave_region": "ap-southeast-1",
     "time": 1733450060000}
  ]
}"#;

fn decode(body: &str) -> ListDrInfosResponse {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("body does not decode: {e}\n{body}"))
}

#[test]
fn the_sdk_example_shape_decodes_field_by_field() {
    let response = decode(EXAMPLE);
    assert_eq!(response.total_count, Some(2));
    assert_eq!(response.instance_dr_infos.len(), 2);
    let first = response.instance_dr_infos[0].valid().expect("valid");
    assert_eq!(first.status.as_deref(), Some("normal"));
    assert_eq!(first.replica_state.as_deref(), Some("0"));
    assert_eq!(first.time, Some(1_733_450_000_000));
    assert_eq!(first.build_process.as_deref(), Some("master"));
    let lags = first.lags().expect("numeric lags");
    assert_eq!(
        (lags.send_mb, lags.replay_mb, lags.replay_delay_ms),
        (Some(0.0), Some(0.25), Some(12.0))
    );
    let second = response.instance_dr_infos[1].valid().expect("valid");
    assert_eq!(
        second.failed_message.as_deref(),
        Some("replication slot is missing")
    );
    let lags = second.lags().expect("absent lags are fine");
    assert_eq!(
        (lags.send_mb, lags.replay_mb, lags.replay_delay_ms),
        (None, None, None)
    );
}

#[test]
fn missing_optional_fields_and_empty_bodies() {
    let response = decode(r#"{"instance_dr_infos": [{"id": "x"}]}"#);
    assert_eq!(response.total_count, None);
    let record = response.instance_dr_infos[0].valid().expect("valid");
    assert_eq!(record.id.as_deref(), Some("x"));
    assert!(record.master_instance_id.is_none() && record.time.is_none());
    assert_eq!(decode("{}"), ListDrInfosResponse::default());
    assert_eq!(
        decode(r#"{"total_count": 0, "instance_dr_infos": null}"#).instance_dr_infos,
        vec![]
    );
}

#[test]
fn lags_are_read_from_strings_and_bad_ones_name_the_field() {
    let body = r#"{"instance_dr_infos": [
        {"id": "a", "wal_write_receive_delay_in_mb": "1e2", "wal_write_replay_delay_in_mb": " 3.5 ",
         "wal_receive_replay_delay_in_ms": ""},
        {"id": "b", "wal_write_replay_delay_in_mb": "n/a"},
        {"id": "c", "wal_receive_replay_delay_in_ms": "NaN"},
        {"id": "d", "wal_write_receive_delay_in_mb": "inf"},
        {"id": "e", "wal_write_receive_delay_in_mb": "-0.5"}
    ]}"#;
    let response = decode(body);
    let lags = |i: usize| response.instance_dr_infos[i].valid().expect("valid").lags();
    let a = lags(0).expect("numbers");
    assert_eq!(
        (a.send_mb, a.replay_mb, a.replay_delay_ms),
        (Some(100.0), Some(3.5), None)
    );
    let b = lags(1).unwrap_err();
    assert_eq!(
        (b.field, b.text.as_str()),
        ("wal_write_replay_delay_in_mb", "n/a")
    );
    assert_eq!(
        b.to_string(),
        r#"wal_write_replay_delay_in_mb is "n/a", not a number"#
    );
    assert_eq!(lags(2).unwrap_err().field, "wal_receive_replay_delay_in_ms");
    assert_eq!(lags(3).unwrap_err().field, "wal_write_receive_delay_in_mb");
    assert_eq!(lags(4).expect("a decimal").send_mb, Some(-0.5));
}

#[test]
fn lags_sent_as_json_numbers_read_as_their_text_and_other_types_are_malformed() {
    let body = r#"{"instance_dr_infos": [
        {"id": "a", "wal_write_receive_delay_in_mb": 12.25, "wal_write_replay_delay_in_mb": 7,
         "wal_receive_replay_delay_in_ms": null},
        {"id": "b", "wal_receive_replay_delay_in_ms": -3e2},
        {"id": "c", "wal_write_receive_delay_in_mb": true},
        {"id": "d", "wal_write_replay_delay_in_mb": {"mb": 1}}
    ]}"#;
    let response = decode(body);
    let a = response.instance_dr_infos[0]
        .valid()
        .expect("numbers are valid");
    assert_eq!(a.wal_write_receive_delay_in_mb.as_deref(), Some("12.25"));
    assert_eq!(a.wal_write_replay_delay_in_mb.as_deref(), Some("7"));
    assert_eq!(a.wal_receive_replay_delay_in_ms, None);
    let lags = a.lags().expect("numbers");
    assert_eq!(
        (lags.send_mb, lags.replay_mb, lags.replay_delay_ms),
        (Some(12.25), Some(7.0), None)
    );
    let b = response.instance_dr_infos[1].valid().expect("valid");
    assert_eq!(b.lags().expect("a number").replay_delay_ms, Some(-300.0));
    for (i, field) in [
        (2, "wal_write_receive_delay_in_mb"),
        (3, "wal_write_replay_delay_in_mb"),
    ] {
        let bad = response.instance_dr_infos[i]
            .malformed()
            .expect("a lag of another type is malformed");
        assert!(bad.error.starts_with(field), "{}", bad.error);
    }
}

#[test]
fn a_record_of_the_wrong_shape_is_malformed_at_its_index_and_siblings_count() {
    let body = r#"{"total_count": 4, "instance_dr_infos": [
        {"id": "a", "status": "normal"},
        {"id": "b", "time": "yesterday"},
        [1, 2],
        {"id": "d", "replica_state": 0}
    ]}"#;
    let response = decode(body);
    let valid: Vec<bool> = response
        .instance_dr_infos
        .iter()
        .map(Lenient::is_valid)
        .collect();
    assert_eq!(valid, [true, false, false, false]);
    let bad = response.instance_dr_infos[1]
        .malformed()
        .expect("malformed");
    assert!(bad.error.starts_with("time:"), "{}", bad.error);
    // The raw value re-encodes unchanged.
    let again = serde_json::to_value(&response).unwrap();
    assert_eq!(again, json(body));
}

#[test]
fn unknown_status_text_and_unknown_fields_are_kept_or_ignored_never_fatal() {
    let body = r#"{"instance_dr_infos": [{"id": "a", "status": "Rebuilding-Ω", "new_field": {"x": [1]},
        "replica_state": "2"}], "next_marker": "abc"}"#;
    let record = decode(body).instance_dr_infos[0]
        .valid()
        .cloned()
        .expect("valid");
    assert_eq!(record.status.as_deref(), Some("Rebuilding-Ω"));
    assert_eq!(record.replica_state.as_deref(), Some("2"));
}

#[test]
fn the_request_body_sends_only_what_is_set() {
    let request = QueryDrInfoRequest {
        offset: Some(200),
        limit: Some(100),
        status: Some("normal".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json(r#"{"status": "normal", "offset": 200, "limit": 100}"#)
    );
    assert_eq!(
        serde_json::to_string(&QueryDrInfoRequest::default()).unwrap(),
        "{}"
    );
}

const SOURCE: &str =
    r#"{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}"#;

#[test]
fn envelopes_are_told_apart_by_operation() {
    let operation = |text: &str| {
        serde_json::from_str::<EnvelopeOperation>(text).map(EnvelopeOperation::operation)
    };
    let old = format!(r#"{{"source": {SOURCE}, "response": {{"instance_dr_relations": []}}}}"#);
    let relations =
        format!(r#"{{"source": {SOURCE}, "operation": "ListDrRelations", "response": {{}}}}"#);
    let infos = format!(
        r#"{{"source": {SOURCE}, "response": {{"instance_dr_infos": []}}, "operation": "ListDrInfos"}}"#
    );
    assert_eq!(operation(&old).unwrap(), Operation::ListDrRelations);
    assert_eq!(operation(&relations).unwrap(), Operation::ListDrRelations);
    assert_eq!(operation(&infos).unwrap(), Operation::ListDrInfos);
    assert_eq!(
        operation(r#"{"operation": null}"#).unwrap(),
        Operation::ListDrRelations
    );
    assert!(operation(r#"{"operation": "ListDrThings"}"#).is_err());
    assert!(operation(r#"{"operation": 3}"#).is_err());
}

#[test]
fn the_infos_envelope_round_trips_and_requires_its_operation() {
    let text = format!(
        r#"{{"source": {SOURCE}, "fetched_at": "2026-12-06T10:00:00Z", "operation": "ListDrInfos",
            "response": {EXAMPLE}}}"#
    );
    let capture: InfosCapture = serde_json::from_str(&text).expect("infos envelope");
    assert_eq!(capture.response.instance_dr_infos.len(), 2);
    assert_eq!(serde_json::to_value(&capture).unwrap(), json(&text));
    // Without `operation`, or with the other one, it is not an infos capture.
    let relations = format!(r#"{{"source": {SOURCE}, "response": {EXAMPLE}}}"#);
    assert!(serde_json::from_str::<InfosCapture>(&relations).is_err());
    let wrong =
        format!(r#"{{"source": {SOURCE}, "operation": "ListDrRelations", "response": {{}}}}"#);
    let err = serde_json::from_str::<InfosCapture>(&wrong)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not `ListDrInfos`"), "{err}");
}

#[test]
fn an_old_relations_capture_reads_exactly_as_before() {
    let text = format!(
        r#"{{"source": {SOURCE}, "response": {{"instance_dr_relations": [
            {{"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03"}}]}}}}"#
    );
    let capture: Capture = serde_json::from_str(&text).unwrap();
    assert_eq!(capture.response.instance_dr_relations.len(), 1);
    assert_eq!(serde_json::to_value(&capture).unwrap(), json(&text));
}

#[cfg(feature = "synth")]
mod synthetic {
    use std::collections::BTreeSet;

    use rds_dr_model::synth::{Defect, FleetSpec, HealthDefect, HealthSpec, generate, health};

    fn spec() -> FleetSpec {
        FleetSpec::new().seed(11).primaries(40).cascaded(2)
    }

    #[test]
    fn a_healthy_fleet_has_one_healthy_record_per_edge_in_every_project() {
        let fleet = generate(&spec());
        let infos = health(&fleet, &HealthSpec::new());
        assert!(infos.defects.is_empty());
        assert_eq!(infos.captures.len(), fleet.captures.len());
        assert_eq!(infos.record_count(), infos.health.len());
        assert!(infos.health.iter().all(|e| e.health == "healthy"));
        let pairs: BTreeSet<(String, String)> = infos
            .captures
            .iter()
            .flat_map(|c| c.response.instance_dr_infos.iter())
            .map(|r| {
                let r = r.valid().expect("valid");
                (
                    r.master_instance_id.clone().unwrap(),
                    r.slave_instance_id.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(pairs.len(), infos.record_count(), "one record per edge");
        for capture in &infos.captures {
            assert_eq!(
                capture.response.total_count,
                Some(capture.response.instance_dr_infos.len() as i64)
            );
        }
        assert_eq!(health(&fleet, &HealthSpec::new()), infos, "deterministic");
    }

    #[test]
    fn every_health_defect_is_injected_once_on_its_own_edge() {
        let fleet = generate(&spec().every_defect(1));
        let healthy = health(&fleet, &HealthSpec::new());
        let infos = health(&fleet, &HealthSpec::new().every_defect(1));
        let kinds: Vec<&str> = infos.defects.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                "dr-failed",
                "health-conflict",
                "health-missing",
                "health-orphan",
                "replication-broken",
                "replication-lagging"
            ]
        );
        let count = |h: &str| infos.health.iter().filter(|e| e.health == h).count();
        assert_eq!(
            (
                count("failed"),
                count("broken"),
                count("building"),
                count("lagging"),
                count("unknown")
            ),
            (1, 1, 1, 1, 1)
        );
        // Missing removes one record; orphan and conflict add one each.
        assert_eq!(infos.record_count(), healthy.record_count() + 1);
        // No health defect lands on an instance of a relations defect.
        let relations: BTreeSet<&String> =
            fleet.defects.iter().flat_map(|d| &d.instances).collect();
        for defect in &infos.defects {
            assert!(
                defect.instances.iter().all(|i| !relations.contains(i)),
                "{defect:?}"
            );
        }
        let _ = Defect::ALL;
        assert_eq!(HealthDefect::ALL.iter().filter_map(|d| d.code()).count(), 6);
    }
}
