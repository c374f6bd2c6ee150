//! Tests of the wire models: one binary, one module per boundary.
//!
//! - `seed`: the API page's example body;
//! - `lenient`: unknown fields, `null`, absence, and malformed records;
//! - `capture`: the capture envelope;
//! - `health`: ListDrInfos bodies, their lags, the infos envelope and synthetic health;
//! - `target`: `REGION/PROJECT_ID` parsing;
//! - `props`: property tests (round trips, no panics on any input).

mod capture;
mod health;
mod lenient;
mod props;
mod seed;
mod target;

use rds_dr_model::ListDrRelationsResponse;

/// Parses JSON text that the test itself wrote.
#[track_caller]
fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test JSON does not parse: {e}\n{text}"))
}

/// Decodes a body that must decode.
#[track_caller]
fn decode(body: &str) -> ListDrRelationsResponse {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("body does not decode: {e}\n{body}"))
}

/// Re-encodes a model value as a JSON value.
#[track_caller]
fn encode<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_else(|e| panic!("value does not encode: {e}"))
}
