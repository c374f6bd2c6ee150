//! The capture envelope (`fetch` writes it, every `--input` reads it), the
//! operation that tells its two kinds apart, and the `REGION/PROJECT_ID`
//! target syntax.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ListDrRelationsResponse;

/// One ListDrRelations answer together with where it came from.
///
/// The records in `response` describe their instances from the local side
/// only; the local instance's region and project are `source`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// The (region, project) that was queried.
    pub source: Source,
    /// When the answer was fetched (RFC 3339, UTC), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    /// The API body exactly as the service returned it.
    #[serde(default)]
    pub response: ListDrRelationsResponse,
}

/// Which API answered in a capture envelope: its `"operation"` member.
///
/// An envelope without `operation` is a ListDrRelations capture, as every
/// capture written before ListDrInfos existed. Readers tell the kinds apart
/// by this member, never by a file name.
///
/// ```
/// use rds_dr_model::{EnvelopeOperation, Operation};
///
/// let old: EnvelopeOperation = serde_json::from_str(r#"{"source": {}, "response": {}}"#)?;
/// assert_eq!(old.operation(), Operation::ListDrRelations);
/// let infos: EnvelopeOperation =
///     serde_json::from_str(r#"{"response": {}, "operation": "ListDrInfos"}"#)?;
/// assert_eq!(infos.operation(), Operation::ListDrInfos);
/// assert!(serde_json::from_str::<EnvelopeOperation>(r#"{"operation": "Other"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[non_exhaustive]
pub enum Operation {
    /// `GET .../disaster-recovery-relation`: who is paired with whom.
    #[default]
    ListDrRelations,
    /// `POST .../disaster-recovery-infos`: replication state and lag.
    ListDrInfos,
}

impl Operation {
    /// The operation id, as written in an envelope.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ListDrRelations => "ListDrRelations",
            Operation::ListDrInfos => "ListDrInfos",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Only the `"operation"` of an envelope (every other member skipped):
/// read it to decide how to read the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EnvelopeOperation {
    #[serde(default)]
    operation: Option<Operation>,
}

impl EnvelopeOperation {
    /// The envelope's operation; [`Operation::ListDrRelations`] when absent
    /// (or `null`).
    pub fn operation(self) -> Operation {
        self.operation.unwrap_or_default()
    }
}

/// A (region, project) pair: where a capture came from, or what to query.
///
/// Its text form is `REGION/PROJECT_ID`:
///
/// ```
/// use rds_dr_model::Source;
///
/// let target: Source = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// assert_eq!(target.region, "cn-north-4");
/// assert_eq!(target.to_string(), "cn-north-4/0483b6b16e954cb88930a360d2c4e663");
/// assert!("cn-north-4".parse::<Source>().is_err());
/// # Ok::<(), rds_dr_model::ParseTargetError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    /// Region id, e.g. `cn-north-4`.
    pub region: String,
    /// Project id: 32 hexadecimal characters.
    pub project_id: String,
}

/// What to query: the same (region, project) pair as a capture's [`Source`].
pub type Target = Source;

impl Source {
    /// A pair from its parts, unchecked (see [`Source::validate`]).
    pub fn new(region: impl Into<String>, project_id: impl Into<String>) -> Self {
        Source {
            region: region.into(),
            project_id: project_id.into(),
        }
    }

    /// Checks both parts: a region id (lowercase letters, digits and `-`,
    /// starting with a letter) and a project id of 32 hexadecimal characters.
    pub fn validate(&self) -> Result<(), ParseTargetError> {
        validate_region(&self.region)
            .map_err(|reason| ParseTargetError::new(&self.to_string(), reason))?;
        validate_project_id(&self.project_id)
            .map_err(|reason| ParseTargetError::new(&self.to_string(), reason))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.region, self.project_id)
    }
}

impl FromStr for Source {
    type Err = ParseTargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let Some((region, project_id)) = text.split_once('/') else {
            return Err(ParseTargetError::new(
                s,
                "missing `/` between region and project id".into(),
            ));
        };
        let source = Source::new(region.trim(), project_id.trim());
        source
            .validate()
            .map_err(|e| ParseTargetError::new(s, e.reason))?;
        Ok(source)
    }
}

/// Checks a region id: non-empty, at most 64 characters, lowercase ASCII
/// letters, digits and `-`, starting with a letter.
pub fn validate_region(region: &str) -> Result<(), String> {
    if region.is_empty() {
        return Err("the region is empty".into());
    }
    if region.len() > 64 {
        return Err(format!(
            "the region is {} characters long (at most 64)",
            region.len()
        ));
    }
    if !region.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!(
            "the region `{region}` must start with a lowercase letter"
        ));
    }
    if let Some(bad) = region
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "the region `{region}` has `{bad}`: only lowercase letters, digits and `-` are allowed"
        ));
    }
    Ok(())
}

/// Checks a project id: 32 hexadecimal characters.
pub fn validate_project_id(project_id: &str) -> Result<(), String> {
    if project_id.is_empty() {
        return Err("the project id is empty".into());
    }
    if project_id.len() != 32 || !project_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "the project id `{project_id}` is not 32 hexadecimal characters"
        ));
    }
    Ok(())
}

/// A `REGION/PROJECT_ID` text that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTargetError {
    input: String,
    reason: String,
}

impl ParseTargetError {
    fn new(input: &str, reason: String) -> Self {
        ParseTargetError {
            input: input.to_owned(),
            reason,
        }
    }

    /// The text that was parsed.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ParseTargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid target `{}`: {} (expected REGION/PROJECT_ID, e.g. cn-north-4/0483b6b16e954cb88930a360d2c4e663)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseTargetError {}
