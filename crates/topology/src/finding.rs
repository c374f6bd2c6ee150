//! Findings, their codes and severities, and the `check --format json` report.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a finding is. Orders as the report sorts: errors first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The topology is wrong or incomplete.
    Error,
    /// The topology is valid but risky or unusual.
    Warning,
    /// Worth knowing; nothing is wrong in what was seen.
    Info,
}

impl Severity {
    /// The contract's name: `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    /// `error`, `warning` or `info` (as `--fail-on` takes them).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" => Ok(Severity::Warning),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding code of the contract's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// A target could not be fetched; coverage is partial.
    QueryFailed,
    /// A record or peer without a usable `instance_id`.
    MalformedRecord,
    /// One side claims primary -> DR, the other side was queried and does not.
    UnconfirmedEdge,
    /// One side claims an edge whose other side was not queried.
    UnverifiedEdge,
    /// A DR with more than one claimed primary.
    ConflictingPrimary,
    /// An instance named as its own primary or DR.
    SelfRelation,
    /// Primary -> DR edges form a cycle.
    Cycle,
    /// One instance reported with different regions or project ids.
    LocationConflict,
    /// One instance and project id reported with different project names.
    ProjectNameConflict,
    /// A DR in the same region as its primary.
    SameRegionDr,
    /// A primary with no DR outside its own region.
    NoCrossRegionDr,
    /// An instance that is both a DR and a primary.
    CascadedDr,
    /// One instance id in several records of one response.
    DuplicateRecord,
    /// A record with neither `master_instance` nor any `slave_instances`.
    EmptyRecord,
}

impl Code {
    /// Every code, in the contract table's order.
    pub const ALL: [Code; 14] = [
        Code::QueryFailed,
        Code::MalformedRecord,
        Code::UnconfirmedEdge,
        Code::UnverifiedEdge,
        Code::ConflictingPrimary,
        Code::SelfRelation,
        Code::Cycle,
        Code::LocationConflict,
        Code::ProjectNameConflict,
        Code::SameRegionDr,
        Code::NoCrossRegionDr,
        Code::CascadedDr,
        Code::DuplicateRecord,
        Code::EmptyRecord,
    ];

    /// The contract's code, e.g. `unconfirmed-edge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::QueryFailed => "query-failed",
            Code::MalformedRecord => "malformed-record",
            Code::UnconfirmedEdge => "unconfirmed-edge",
            Code::UnverifiedEdge => "unverified-edge",
            Code::ConflictingPrimary => "conflicting-primary",
            Code::SelfRelation => "self-relation",
            Code::Cycle => "cycle",
            Code::LocationConflict => "location-conflict",
            Code::ProjectNameConflict => "project-name-conflict",
            Code::SameRegionDr => "same-region-dr",
            Code::NoCrossRegionDr => "no-cross-region-dr",
            Code::CascadedDr => "cascaded-dr",
            Code::DuplicateRecord => "duplicate-record",
            Code::EmptyRecord => "empty-record",
        }
    }

    /// The code for a contract name, if it is one.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The contract's severity for this code.
    pub fn severity(self) -> Severity {
        match self {
            Code::QueryFailed
            | Code::MalformedRecord
            | Code::UnconfirmedEdge
            | Code::ConflictingPrimary
            | Code::SelfRelation
            | Code::Cycle
            | Code::LocationConflict => Severity::Error,
            Code::ProjectNameConflict
            | Code::SameRegionDr
            | Code::NoCrossRegionDr
            | Code::CascadedDr
            | Code::DuplicateRecord
            | Code::EmptyRecord => Severity::Warning,
            Code::UnverifiedEdge => Severity::Info,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or notable fact) about the merged topology.
///
/// Serialises as the contract's finding object:
/// `{"code", "severity", "instances", "message", "details"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What kind of finding this is.
    pub code: Code,
    /// How bad it is (always `code.severity()` for findings made here).
    pub severity: Severity,
    /// Every instance the finding is about, sorted (may be empty, e.g. for a
    /// failed query or a record that is not an object).
    pub instances: Vec<String>,
    /// A sentence for people: names the instances and the sources involved.
    pub message: String,
    /// Machine-readable particulars: always a JSON object.
    pub details: serde_json::Value,
}

impl Finding {
    /// A finding with the code's severity; `instances` are sorted and deduplicated.
    pub fn new(
        code: Code,
        mut instances: Vec<String>,
        message: String,
        details: serde_json::Value,
    ) -> Self {
        instances.sort();
        instances.dedup();
        Finding {
            code,
            severity: code.severity(),
            instances,
            message,
            details,
        }
    }

    /// The report's order: severity, code name, instances, then message and
    /// details so that the order is total.
    pub fn report_order(&self, other: &Finding) -> Ordering {
        self.severity
            .cmp(&other.severity)
            .then_with(|| self.code.as_str().cmp(other.code.as_str()))
            .then_with(|| self.instances.cmp(&other.instances))
            .then_with(|| self.message.cmp(&other.message))
            .then_with(|| self.details.to_string().cmp(&other.details.to_string()))
    }
}

impl fmt::Display for Finding {
    /// `error unconfirmed-edge: <message>`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)
    }
}

/// Counts over a merged topology and its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Distinct (region, project) sources captured (failed targets excluded).
    pub sources: usize,
    /// Distinct instances.
    pub instances: usize,
    /// Distinct primary -> DR edges.
    pub edges: usize,
    /// Edges claimed by both sides.
    pub confirmed_edges: usize,
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity info.
    pub infos: usize,
}

/// The `check --format json` document: a summary and the sorted findings.
///
/// ```
/// use rds_dr_topology::{Code, Report, Topology};
///
/// let topology = Topology::builder()
///     .failed_target("cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse().unwrap(), "HTTP 503")
///     .build();
/// let report: Report = topology.report();
/// assert_eq!(report.summary.errors, 1);
/// assert_eq!(report.findings[0].code, Code::QueryFailed);
/// let json = serde_json::to_value(&report).unwrap();
/// assert_eq!(json["findings"][0]["code"], "query-failed");
/// assert_eq!(json["summary"]["sources"], 0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Counts.
    pub summary: Summary,
    /// Findings, sorted (severity, code, instances).
    pub findings: Vec<Finding>,
}

impl Report {
    /// The most severe finding's severity, if there is any finding.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }

    /// Whether any finding is at or above `threshold` (`--fail-on`).
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.worst().is_some_and(|worst| worst <= threshold)
    }
}
