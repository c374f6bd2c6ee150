//! Findings, their codes and severities, and the `check --format json` report.
//!
//! The codes come from one table (the `codes!` macro); each code's details are a
//! type of [`details`].

pub mod details;

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

/// The one definition of the finding codes: for each, in the contract
/// table's order, its variant, its contract name, its severity and the type
/// of its details (in [`details`], named like the code). It makes [`Code`]
/// (with [`Code::ALL`], [`Code::as_str`], [`Code::severity`]) and
/// [`Details`]. Adding a code is one line here, its details type, and its
/// rule.
macro_rules! codes {
    ($($(#[doc = $doc:literal])* $code:ident = $name:literal, $severity:ident;)*) => {
        /// A finding code of the contract's table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum Code {
            $($(#[doc = $doc])* $code,)*
        }

        impl Code {
            /// Every code, in the contract table's order.
            pub const ALL: [Code; [$($name),*].len()] = [$(Code::$code),*];

            /// The contract's code, e.g. `unconfirmed-edge`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => $name,)*
                }
            }

            /// The contract's severity for this code.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$code => Severity::$severity,)*
                }
            }
        }

        /// A finding's machine-readable particulars: one type per code (see
        /// [`details`]). Serialises as that type's JSON object.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum Details {
            $($(#[doc = $doc])* $code(details::$code),)*
        }

        impl Details {
            /// The code these details belong to.
            pub fn code(&self) -> Code {
                match self {
                    $(Details::$code(_) => Code::$code,)*
                }
            }

            /// The details as the JSON object a report writes.
            pub fn to_json(&self) -> serde_json::Value {
                match self {
                    $(Details::$code(d) => serde_json::to_value(d),)*
                }
                .unwrap_or_default()
            }

            /// Reads `code`'s details from their JSON object.
            fn from_json(code: Code, value: serde_json::Value) -> serde_json::Result<Details> {
                match code {
                    $(Code::$code => serde_json::from_value(value).map(Details::$code),)*
                }
            }
        }

        $(impl From<details::$code> for Details {
            fn from(details: details::$code) -> Self {
                Details::$code(details)
            }
        })*
    };
}

codes! {
    /// A target could not be fetched; coverage is partial.
    QueryFailed = "query-failed", Error;
    /// A record or peer without a usable `instance_id`.
    MalformedRecord = "malformed-record", Error;
    /// One side claims primary -> DR, the other side was queried and does not.
    UnconfirmedEdge = "unconfirmed-edge", Error;
    /// One side claims an edge whose other side was not queried.
    UnverifiedEdge = "unverified-edge", Info;
    /// A DR with more than one claimed primary.
    ConflictingPrimary = "conflicting-primary", Error;
    /// An instance named as its own primary or DR.
    SelfRelation = "self-relation", Error;
    /// Primary -> DR edges form a cycle.
    Cycle = "cycle", Error;
    /// One instance reported with different regions or project ids.
    LocationConflict = "location-conflict", Error;
    /// One instance and project id reported with different project names.
    ProjectNameConflict = "project-name-conflict", Warning;
    /// A DR in the same region as its primary.
    SameRegionDr = "same-region-dr", Warning;
    /// A primary with no DR outside its own region.
    NoCrossRegionDr = "no-cross-region-dr", Warning;
    /// An instance that is both a DR and a primary.
    CascadedDr = "cascaded-dr", Warning;
    /// One instance id in several records of one response.
    DuplicateRecord = "duplicate-record", Warning;
    /// A record with neither `master_instance` nor any `slave_instances`.
    EmptyRecord = "empty-record", Warning;
    /// An edge whose replication health is `failed`.
    DrFailed = "dr-failed", Error;
    /// An edge whose replication health is `broken`.
    ReplicationBroken = "replication-broken", Error;
    /// An edge whose replication health is `lagging`.
    ReplicationLagging = "replication-lagging", Warning;
    /// An edge without a ListDrInfos record where ListDrInfos was captured.
    HealthMissing = "health-missing", Warning;
    /// A ListDrInfos record whose pair is no edge.
    HealthOrphan = "health-orphan", Warning;
    /// ListDrInfos records for one edge disagree.
    HealthConflict = "health-conflict", Warning;
}

impl Code {
    /// The code for a contract name, if it is one.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == name)
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// What kind of finding this is (always `details.code()` for findings
    /// made here).
    pub code: Code,
    /// How bad it is (always `code.severity()` for findings made here).
    pub severity: Severity,
    /// Every instance the finding is about, sorted (may be empty, e.g. for a
    /// failed query or a record that is not an object).
    pub instances: Vec<String>,
    /// A sentence for people: names the instances and the sources involved.
    pub message: String,
    /// Machine-readable particulars, typed by code; a JSON object.
    pub details: Details,
}

impl Finding {
    /// A finding with its details' code and that code's severity;
    /// `instances` are sorted and deduplicated.
    pub fn new(details: impl Into<Details>, mut instances: Vec<String>, message: String) -> Self {
        let details = details.into();
        let code = details.code();
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
    /// details (as JSON text) so that the order is total.
    pub fn report_order(&self, other: &Finding) -> Ordering {
        let json = |d: &Details| serde_json::to_string(d).unwrap_or_default();
        self.severity
            .cmp(&other.severity)
            .then_with(|| self.code.as_str().cmp(other.code.as_str()))
            .then_with(|| self.instances.cmp(&other.instances))
            .then_with(|| self.message.cmp(&other.message))
            .then_with(|| json(&self.details).cmp(&json(&other.details)))
    }
}

impl<'de> Deserialize<'de> for Finding {
    /// Reads the contract's finding object; `details` must be the object
    /// of `code`'s details type.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            code: Code,
            severity: Severity,
            instances: Vec<String>,
            message: String,
            details: serde_json::Value,
        }
        let raw = Raw::deserialize(deserializer)?;
        let details =
            Details::from_json(raw.code, raw.details).map_err(serde::de::Error::custom)?;
        Ok(Finding {
            code: raw.code,
            severity: raw.severity,
            instances: raw.instances,
            message: raw.message,
            details,
        })
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
#[non_exhaustive]
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
    /// Edges per replication health.
    #[serde(default)]
    pub edge_health: crate::health::HealthCounts,
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
