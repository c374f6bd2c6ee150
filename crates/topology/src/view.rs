//! The read-only view of a merged topology that exports and reports consume:
//! nodes keyed by instance id and edges keyed by (primary, DR) id, both sorted.

use std::fmt;

use crate::health::{EdgeHealth, Health};
use crate::topology::Topology;

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
///
/// Made by [`Topology::view`]; to make one by hand, start from
/// [`NodeView::new`] and set the location fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
///
/// Made by [`Topology::view`], or by hand with [`EdgeView::new`] (health
/// `unknown`, no health attributes).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EdgeView<'a> {
    /// The primary's instance id.
    pub source: &'a str,
    /// The DR's instance id.
    pub target: &'a str,
    /// How well the edge is attested.
    pub status: EdgeStatus,
    /// Whether the two ends are in different regions; `None` when a region is unknown.
    pub cross_region: Option<bool>,
    /// Replication health (`unknown` without a ListDrInfos record).
    pub health: Health,
    /// `replica_state` as received, if known.
    pub replica_state: Option<&'a str>,
    /// The ListDrInfos `status` as received (raw text), if known.
    pub dr_status: Option<&'a str>,
    /// Send lag, MB, if known.
    pub send_lag_mb: Option<f64>,
    /// Replay lag, MB, if known.
    pub replay_lag_mb: Option<f64>,
    /// Replay delay, ms, if known.
    pub replay_delay_ms: Option<f64>,
    /// When the DR relation was created (RFC 3339), if known.
    pub dr_since: Option<&'a str>,
}

/// Everything an export needs: nodes sorted by id, edges sorted by (source, target).
///
/// Made by [`Topology::view`], or by hand with [`GraphView::new`].
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GraphView<'a> {
    /// Nodes, sorted by id.
    pub nodes: Vec<NodeView<'a>>,
    /// Edges, sorted by (source, target).
    pub edges: Vec<EdgeView<'a>>,
}

impl<'a> NodeView<'a> {
    /// A node of unknown location (set `region`, `project_id` and
    /// `project_name` afterwards).
    pub fn new(id: &'a str, role: Role, group: &'a str) -> Self {
        NodeView {
            id,
            region: None,
            project_id: None,
            project_name: None,
            role,
            group,
        }
    }

    /// The same node at a location.
    pub fn located(
        mut self,
        region: Option<&'a str>,
        project_id: Option<&'a str>,
        project_name: Option<&'a str>,
    ) -> Self {
        self.region = region;
        self.project_id = project_id;
        self.project_name = project_name;
        self
    }
}

impl<'a> EdgeView<'a> {
    /// An edge from primary `source` to DR `target`.
    pub fn new(
        source: &'a str,
        target: &'a str,
        status: EdgeStatus,
        cross_region: Option<bool>,
    ) -> Self {
        EdgeView {
            source,
            target,
            status,
            cross_region,
            health: Health::Unknown,
            replica_state: None,
            dr_status: None,
            send_lag_mb: None,
            replay_lag_mb: None,
            replay_delay_ms: None,
            dr_since: None,
        }
    }

    /// The same edge with the health attributes of `h`.
    pub fn with_health(mut self, h: &'a EdgeHealth) -> Self {
        self.health = h.health;
        self.replica_state = h.replica_state.as_deref();
        self.dr_status = h.dr_status.as_deref();
        self.send_lag_mb = h.send_lag_mb;
        self.replay_lag_mb = h.replay_lag_mb;
        self.replay_delay_ms = h.replay_delay_ms;
        self.dr_since = h.dr_since.as_deref();
        self
    }
}

impl<'a> GraphView<'a> {
    /// A view of `nodes` (to be sorted by id) and `edges` (to be sorted by
    /// (source, target)), as given.
    pub fn new(nodes: Vec<NodeView<'a>>, edges: Vec<EdgeView<'a>>) -> Self {
        GraphView { nodes, edges }
    }
}

impl Topology {
    /// The read-only view that exports and text renderings consume: nodes
    /// sorted by id, edges sorted by (source, target).
    pub fn view(&self) -> GraphView<'_> {
        let nodes = (0..self.ids.len() as u32)
            .map(|n| {
                let state = self.state(n);
                let loc = self.location(self.loc_at(state.place));
                NodeView {
                    id: self.id_str(n),
                    region: loc.region,
                    project_id: loc.project_id,
                    project_name: loc.project_name,
                    role: state.role,
                    group: self.id_str(self.group_state(n).root),
                }
            })
            .collect();
        let edges = self
            .graph
            .raw_edges()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (p, d) = (e.source().index() as u32, e.target().index() as u32);
                let edge = EdgeView::new(
                    self.id_str(p),
                    self.id_str(d),
                    e.weight.status,
                    self.cross_region(p, d),
                );
                match self.health_record(i) {
                    Some(h) => edge.with_health(h),
                    None => edge,
                }
            })
            .collect();
        GraphView { nodes, edges }
    }
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

impl<'de> serde::Deserialize<'de> for EdgeStatus {
    /// `confirmed`, `primary-only`, `dr-only` or `unverified`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        [
            EdgeStatus::Confirmed,
            EdgeStatus::PrimaryOnly,
            EdgeStatus::DrOnly,
            EdgeStatus::Unverified,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown edge status `{name}`")))
    }
}
