//! The capture envelope: what `fetch` writes and every `--input` reads.

use rds_dr_model::{Capture, Lenient, ListDrRelationsResponse, Source};

use crate::seed::SEED_EXAMPLE;
use crate::{encode, json};

#[track_caller]
fn check(text: &str, expected: &Capture) {
    let capture: Capture = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("capture does not decode: {e}\n{text}"));
    assert_eq!(&capture, expected);
    // Round trip: what was read is written back as the same JSON value.
    assert_eq!(encode(&capture), json(text));
}

fn source() -> Source {
    Source::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663")
}

fn seed_response() -> ListDrRelationsResponse {
    serde_json::from_str(SEED_EXAMPLE).unwrap()
}

#[test]
fn an_envelope_with_fetched_at() {
    let text = format!(
        r#"{{"source": {{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}},
            "fetched_at": "2026-11-28T10:00:00Z",
            "response": {SEED_EXAMPLE}}}"#
    );
    check(
        &text,
        &Capture {
            source: source(),
            fetched_at: Some("2026-11-28T10:00:00Z".into()),
            response: seed_response(),
        },
    );
}

#[test]
fn an_envelope_without_fetched_at() {
    let text = format!(
        r#"{{"source": {{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}},
            "response": {SEED_EXAMPLE}}}"#
    );
    check(
        &text,
        &Capture {
            source: source(),
            fetched_at: None,
            response: seed_response(),
        },
    );
}

#[test]
fn an_envelope_keeps_malformed_records_and_unknown_fields_are_ignored() {
    let text = r#"{"source": {"region": "eu-west-101", "project_id": "054b61972980d4552f0bc00ac8d3f5cd"},
                   "response": {"instance_dr_relations": [42, {"instance_id": "p1"}]},
                   "tool_version": "0.1.0"}"#;
    let capture: Capture = serde_json::from_str(text).unwrap();
    assert_eq!(capture.source.region, "eu-west-101");
    let records = &capture.response.instance_dr_relations;
    assert!(matches!(records[0], Lenient::Malformed(_)));
    assert_eq!(
        records[1].valid().and_then(|r| r.instance_id.as_deref()),
        Some("p1")
    );
    // Re-encoded: the malformed record comes back, the unknown field does not.
    assert_eq!(
        encode(&capture),
        json(
            r#"{"source": {"region": "eu-west-101", "project_id": "054b61972980d4552f0bc00ac8d3f5cd"},
                "response": {"instance_dr_relations": [42, {"instance_id": "p1"}]}}"#
        )
    );
}

#[test]
fn a_capture_round_trips_through_bytes() {
    let capture = Capture {
        source: source(),
        fetched_at: Some("2026-11-28T10:00:00Z".into()),
        response: seed_response(),
    };
    let bytes = serde_json::to_vec(&capture).unwrap();
    assert_eq!(serde_json::from_slice::<Capture>(&bytes).unwrap(), capture);
    let pretty = serde_json::to_string_pretty(&capture).unwrap();
    assert_eq!(serde_json::from_str::<Capture>(&pretty).unwrap(), capture);
}

#[test]
fn the_response_may_be_absent_but_the_source_may_not() {
    let capture: Capture = serde_json::from_str(
        r#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}}"#,
    )
    .unwrap();
    assert_eq!(capture.response, ListDrRelationsResponse::default());

    let err = serde_json::from_str::<Capture>(r#"{"response": {}}"#).unwrap_err();
    assert!(
        err.to_string().starts_with("missing field `source`"),
        "{err}"
    );
    let err =
        serde_json::from_str::<Capture>(r#"{"source": {"region": "cn-north-4"}}"#).unwrap_err();
    assert!(
        err.to_string().starts_with("missing field `project_id`"),
        "{err}"
    );
}

#[test]
fn a_truncated_capture_is_an_error() {
    let text = format!(
        r#"{{"source": {{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}},
            "response": {SEED_EXAMPLE}}}"#
    );
    for end in 0..text.len() {
        let err = serde_json::from_str::<Capture>(&text[..end])
            .expect_err("a truncated capture must not decode");
        assert!(err.is_eof(), "cut at {end}: {err}");
    }
}

#[test]
fn the_source_is_not_validated_when_decoding_but_can_be() {
    // A capture is data: decoding keeps what the file says; callers validate.
    let capture: Capture =
        serde_json::from_str(r#"{"source": {"region": "CN", "project_id": "x"}}"#).unwrap();
    let err = capture.source.validate().unwrap_err();
    assert_eq!(
        err.reason(),
        "the region `CN` must start with a lowercase letter"
    );
}
