//! ListDrInfos captures and the numbers inside its records.
//!
//! A ListDrInfos capture is told apart from a ListDrRelations one by its
//! envelope's `"operation"` (see [`Operation`]), never by its file name.
//! Its `response` holds every page of the target's list, merged: records
//! de-duplicated by `id`, and `total_count` their number.
//!
//! The lags of an [`InstanceDrInfo`] are decimal numbers sent as strings;
//! [`InstanceDrInfo::lags`] reads them, telling an absent (or empty) lag
//! from one that is not a number.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{InstanceDrInfo, ListDrInfosResponse, Operation, Source};

/// A whole ListDrInfos list of one (region, project), with where it came from.
///
/// ```
/// use rds_dr_model::{InfosCapture, Operation};
///
/// let text = r#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
///   "operation": "ListDrInfos",
///   "response": {"total_count": 1, "instance_dr_infos": [
///     {"id": "r1", "status": "normal", "master_instance_id": "p", "master_region": "cn-north-4",
///      "slave_instance_id": "d", "slave_region": "cn-east-3", "time": 1733450000000,
///      "replica_state": "0", "wal_write_receive_delay_in_mb": "1.5"}]}}"#;
/// let capture: InfosCapture = serde_json::from_str(text)?;
/// assert_eq!(capture.operation, Operation::ListDrInfos);
/// let record = capture.response.instance_dr_infos[0].valid().unwrap();
/// assert_eq!(record.lags().unwrap().send_mb, Some(1.5));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InfosCapture {
    /// The (region, project) that was queried.
    pub source: Source,
    /// When the list was fetched (RFC 3339, UTC), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    /// Always [`Operation::ListDrInfos`] when written; reading accepts only
    /// that value.
    #[serde(deserialize_with = "infos_operation")]
    pub operation: Operation,
    /// Every page of the list, merged.
    #[serde(default)]
    pub response: ListDrInfosResponse,
}

impl InfosCapture {
    /// A capture of `response` for `source`, without `fetched_at`.
    pub fn new(source: Source, response: ListDrInfosResponse) -> Self {
        InfosCapture {
            source,
            fetched_at: None,
            operation: Operation::ListDrInfos,
            response,
        }
    }
}

fn infos_operation<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Operation, D::Error> {
    match Operation::deserialize(d)? {
        Operation::ListDrInfos => Ok(Operation::ListDrInfos),
        other => Err(serde::de::Error::custom(format!(
            "`operation` is `{other}`, not `ListDrInfos`"
        ))),
    }
}

/// The lags of a ListDrInfos record, read from their strings. `None` is an
/// absent or empty lag.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Lags {
    /// `wal_write_receive_delay_in_mb`: WAL the DR has not received yet, MB.
    pub send_mb: Option<f64>,
    /// `wal_write_replay_delay_in_mb`: WAL the DR has not replayed yet, MB.
    pub replay_mb: Option<f64>,
    /// `wal_receive_replay_delay_in_ms`: the DR's replay delay, ms.
    pub replay_delay_ms: Option<f64>,
}

/// A lag that is present but not a finite decimal number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLag {
    /// The field, e.g. `wal_write_receive_delay_in_mb`.
    pub field: &'static str,
    /// Its text as received.
    pub text: String,
}

impl fmt::Display for BadLag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {:?}, not a number", self.field, self.text)
    }
}

impl std::error::Error for BadLag {}

impl InstanceDrInfo {
    /// The three lags as numbers. A lag that is absent, empty or only
    /// spaces is `None`; one that is not a finite decimal number (`"n/a"`,
    /// `"NaN"`, `"inf"`) is an error naming the field.
    ///
    /// ```
    /// use rds_dr_model::InstanceDrInfo;
    ///
    /// let mut info = InstanceDrInfo {
    ///     wal_write_replay_delay_in_mb: Some(" 12.25 ".into()),
    ///     wal_receive_replay_delay_in_ms: Some(String::new()),
    ///     ..Default::default()
    /// };
    /// let lags = info.lags().unwrap();
    /// assert_eq!((lags.send_mb, lags.replay_mb, lags.replay_delay_ms), (None, Some(12.25), None));
    /// info.wal_write_receive_delay_in_mb = Some("n/a".into());
    /// assert_eq!(info.lags().unwrap_err().field, "wal_write_receive_delay_in_mb");
    /// ```
    pub fn lags(&self) -> Result<Lags, BadLag> {
        Ok(Lags {
            send_mb: number(
                "wal_write_receive_delay_in_mb",
                &self.wal_write_receive_delay_in_mb,
            )?,
            replay_mb: number(
                "wal_write_replay_delay_in_mb",
                &self.wal_write_replay_delay_in_mb,
            )?,
            replay_delay_ms: number(
                "wal_receive_replay_delay_in_ms",
                &self.wal_receive_replay_delay_in_ms,
            )?,
        })
    }
}

fn number(field: &'static str, text: &Option<String>) -> Result<Option<f64>, BadLag> {
    text.as_deref()
        .map_or(Ok(None), |raw| Lags::parse(field, raw))
}

impl Lags {
    /// One lag's text, as received in `field`, read by the rule of
    /// [`InstanceDrInfo::lags`]: empty or only spaces is `None`, a finite
    /// decimal number is its value, anything else is an error naming the
    /// field. For readers that hold the text rather than a decoded record.
    ///
    /// ```
    /// use rds_dr_model::Lags;
    ///
    /// assert_eq!(Lags::parse("wal_write_replay_delay_in_mb", " 1e2 "), Ok(Some(100.0)));
    /// assert_eq!(Lags::parse("wal_write_replay_delay_in_mb", ""), Ok(None));
    /// assert!(Lags::parse("wal_write_replay_delay_in_mb", "NaN").is_err());
    /// ```
    pub fn parse(field: &'static str, text: &str) -> Result<Option<f64>, BadLag> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        // Rust also reads "inf" and "NaN"; a decimal has a digit and no
        // letter but an exponent's `e`.
        let decimal = trimmed.bytes().any(|b| b.is_ascii_digit())
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
        match trimmed.parse::<f64>() {
            Ok(value) if decimal && value.is_finite() => Ok(Some(value)),
            _ => Err(BadLag {
                field,
                text: text.to_owned(),
            }),
        }
    }
}
