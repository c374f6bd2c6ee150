//! The read-only view of a merged topology that exports and reports consume:
//! nodes keyed by instance id and edges keyed by (primary, DR) id, both sorted.

use std::fmt;

/// An instance's place in the DR topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Has at least one DR and is not itself a DR.
    Primary,
    /// Is a DR and has no DR of its own.
    Dr,
    /// Is a DR and also the primary of another DR.
    Cascaded,
    /// Has no DR relation at all.
    Standalone,
}

impl Role {
    /// The contract's name: `primary`, `dr`, `cascaded`, `standalone`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Dr => "dr",
            Role::Cascaded => "cascaded",
            Role::Standalone => "standalone",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How well a primary -> DR edge is attested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeStatus {
    /// Both sides claim it.
    Confirmed,
    /// Only the primary's side claims it; the DR's side was queried.
    PrimaryOnly,
    /// Only the DR's side claims it; the primary's side was queried.
    DrOnly,
    /// One side claims it; the other side's (region, project) was not queried.
    Unverified,
}

impl EdgeStatus {
    /// The contract's name: `confirmed`, `primary-only`, `dr-only`, `unverified`.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeStatus::Confirmed => "confirmed",
            EdgeStatus::PrimaryOnly => "primary-only",
            EdgeStatus::DrOnly => "dr-only",
            EdgeStatus::Unverified => "unverified",
        }
    }
}

impl fmt::Display for EdgeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One instance, as exports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView<'a> {
    /// Instance id: the stable id in every export.
    pub id: &'a str,
    /// Region, if any source said it.
    pub region: Option<&'a str>,
    /// Project id, if any source said it.
    pub project_id: Option<&'a str>,
    /// Project name, if any source said it.
    pub project_name: Option<&'a str>,
    /// Role in the topology.
    pub role: Role,
    /// The root primary of its DR group (its own id when standalone).
    pub group: &'a str,
}

/// One primary -> DR edge, as exports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeView<'a> {
    /// The primary's instance id.
    pub source: &'a str,
    /// The DR's instance id.
    pub target: &'a str,
    /// How well the edge is attested.
    pub status: EdgeStatus,
    /// Whether the two ends are in different regions; `None` when a region is unknown.
    pub cross_region: Option<bool>,
}

/// Everything an export needs: nodes sorted by id, edges sorted by (source, target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphView<'a> {
    /// Nodes, sorted by id.
    pub nodes: Vec<NodeView<'a>>,
    /// Edges, sorted by (source, target).
    pub edges: Vec<EdgeView<'a>>,
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl serde::Serialize for EdgeStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
