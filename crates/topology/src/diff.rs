//! What changed between two topologies (`rds-dr diff`, and `serve`'s events).
//!
//! [`diff`] compares two [`Topology`] values on their own tables (ids
//! packed, attributes as the build keeps them, text written only for what
//! changed); [`diff_views`] compares two views and their findings, for
//! callers that hold nothing else, and gives the same result for the views
//! of two topologies. Both are pure functions: no IO, no clock, and the
//! result depends only on what the two sides contain, never on the order
//! the captures were merged in (the topology sorts everything it shows).
//!
//! - **Nodes** are matched by instance id. A node only in NEW is *added*, only
//!   in OLD *removed*, in both with some attribute different *changed*, with
//!   one `{"path", "from", "to"}` entry per attribute (`region`,
//!   `project_id`, `project_name`, `role`, `group`). A DR whose only relation
//!   is removed disappears from the graph, so it is removed too.
//! - **Edges** are matched by (source, target), changed with paths among the
//!   edge attributes (`status`, `cross_region`, `health`, `replica_state`,
//!   `dr_status`, the lags `send_lag_mb`, `replay_lag_mb` and
//!   `replay_delay_ms`, and `dr_since`).
//! - **Findings** are matched by their identity: code, instances, and the
//!   `source` and `operation` their details name (or, for a finding about no
//!   instance, its whole details). A finding whose message or other details
//!   moved (another error text for the same failed target, another lag for
//!   the same lagging edge) is the same finding still present. One only in
//!   NEW is *raised*, one only in OLD *resolved*, each shown as `check` shows
//!   it.
//!
//! The JSON document ([`Diff`]'s `Serialize`) is the contract's:
//!
//! ```json
//! {"format_version": "1",
//!  "summary": {"nodes_added": 0, "nodes_removed": 0, "nodes_changed": 0,
//!              "edges_added": 1, "edges_removed": 0, "edges_changed": 1,
//!              "findings_raised": 1, "findings_resolved": 0},
//!  "nodes": {"added": [], "removed": [], "changed": []},
//!  "edges": {"added": [{"source": "P", "target": "D"}], "removed": [],
//!            "changed": [{"source": "P", "target": "D2",
//!                         "changes": [{"path": "status", "from": "confirmed", "to": "primary-only"}]}]},
//!  "findings": {"raised": [{"code": "unconfirmed-edge", "...": "..."}], "resolved": []}}
//! ```
//!
//! Every list is sorted: nodes by id, edges by (source, target), findings as
//! `check` sorts them. [`Diff::events`] yields the same changes one by one,
//! each serialising as `{"kind": "edge-changed", ...}` with the kinds
//! `serve --events` writes; `Display` is the text `rds-dr diff` prints.
//!
//! ```
//! use rds_dr_model::Capture;
//! use rds_dr_topology::{Topology, diff};
//!
//! let capture = |drs: &str| -> Capture {
//!     serde_json::from_str(&format!(r#"{{
//!       "source": {{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}},
//!       "response": {{"instance_dr_relations": [{{"instance_id": "p1", "slave_instances": [{drs}]}}]}}}}"#))
//!     .unwrap()
//! };
//! let peer = |id: &str| format!(r#"{{"instance_id": "{id}", "region": "cn-east-3",
//!     "project_id": "054b61972980d4552f0bc00ac8d3f5cd"}}"#);
//! let old = Topology::builder().capture(&capture(&peer("d1"))).build();
//! let new = Topology::builder()
//!     .capture(&capture(&format!("{},{}", peer("d1"), peer("d2"))))
//!     .build();
//!
//! let changes = diff::diff(&old, &new);
//! assert_eq!(changes.summary.edges_added, 1);
//! assert_eq!(changes.edges.added[0].target, "d2");
//! assert_eq!(changes.nodes.added[0].id, "d2");
//! let kinds: Vec<&str> = changes.events().map(|e| e.kind()).collect();
//! assert_eq!(kinds, ["node-added", "edge-added", "finding-raised"]); // d2 is unverified too
//! let json = serde_json::to_value(&changes).unwrap();
//! assert_eq!(json["format_version"], "1");
//! assert_eq!(json["edges"]["added"][0], serde_json::json!({"source": "p1", "target": "d2"}));
//! assert!(diff::diff(&new, &new).is_empty());
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::Serialize;

use crate::{EdgeStatus, Finding, GraphView, Role, Topology};

mod attributes;
mod edges;
mod findings;
mod nodes;
mod text;
mod views;

/// The version of the JSON document; it changes only when a reader would
/// have to change.
pub const FORMAT_VERSION: &str = "1";

/// Everything that differs between OLD and NEW. Serialises as the
/// contract's JSON document; `Display` writes the text of `rds-dr diff`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Diff {
    /// Always [`FORMAT_VERSION`].
    pub format_version: &'static str,
    /// How many of each.
    pub summary: DiffSummary,
    /// Instances added, removed and changed.
    pub nodes: NodeChanges,
    /// Primary -> DR edges added, removed and changed.
    pub edges: EdgeChanges,
    /// Findings raised and resolved.
    pub findings: FindingChanges,
}

/// The counts of a [`Diff`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DiffSummary {
    /// Instances only in NEW.
    pub nodes_added: usize,
    /// Instances only in OLD.
    pub nodes_removed: usize,
    /// Instances in both, with some attribute different.
    pub nodes_changed: usize,
    /// Edges only in NEW.
    pub edges_added: usize,
    /// Edges only in OLD.
    pub edges_removed: usize,
    /// Edges in both, with some attribute different.
    pub edges_changed: usize,
    /// Findings only in NEW.
    pub findings_raised: usize,
    /// Findings only in OLD.
    pub findings_resolved: usize,
}

/// Instances added, removed and changed, each list sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NodeChanges {
    /// Only in NEW.
    pub added: Vec<NodeRef>,
    /// Only in OLD.
    pub removed: Vec<NodeRef>,
    /// In both, with the attributes that differ.
    pub changed: Vec<NodeChange>,
}

/// Edges added, removed and changed, each list sorted by (source, target).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EdgeChanges {
    /// Only in NEW.
    pub added: Vec<EdgeRef>,
    /// Only in OLD.
    pub removed: Vec<EdgeRef>,
    /// In both, with the attributes that differ.
    pub changed: Vec<EdgeChange>,
}

/// Findings raised and resolved, each list in report order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FindingChanges {
    /// In NEW and not in OLD (as NEW has it).
    pub raised: Vec<Finding>,
    /// In OLD and not in NEW (as OLD had it).
    pub resolved: Vec<Finding>,
}

/// An instance added or removed. Serialises as `{"id"}`; the region and
/// role (as the side that has it says) are there for the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NodeRef {
    /// Instance id.
    pub id: String,
    /// Its region, if known.
    #[serde(skip)]
    pub region: Option<String>,
    /// Its role.
    #[serde(skip)]
    pub role: Role,
}

/// An edge added or removed. Serialises as `{"source", "target"}`; the
/// status is there for the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EdgeRef {
    /// The primary's instance id.
    pub source: String,
    /// The DR's instance id.
    pub target: String,
    /// Its status, as the side that has it says.
    #[serde(skip)]
    pub status: EdgeStatus,
}

/// An instance whose attributes differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NodeChange {
    /// Instance id.
    pub id: String,
    /// The attributes that differ, in the exports' attribute order.
    pub changes: Vec<AttributeChange>,
}

/// An edge whose attributes differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EdgeChange {
    /// The primary's instance id.
    pub source: String,
    /// The DR's instance id.
    pub target: String,
    /// The attributes that differ, in the exports' attribute order.
    pub changes: Vec<AttributeChange>,
}

/// One attribute's old and new value (`null` when unknown).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AttributeChange {
    /// The attribute's name, as the exports name it (`region`, `status`, ...).
    pub path: &'static str,
    /// In OLD.
    pub from: serde_json::Value,
    /// In NEW.
    pub to: serde_json::Value,
}

/// One change, as `serve --events` writes it: serialises as the change's
/// fields with its `kind` first, e.g.
/// `{"kind": "edge-changed", "source", "target", "changes"}` or
/// `{"kind": "finding-raised", "code", "severity", "instances", ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event<'a> {
    /// An instance only in NEW.
    NodeAdded(&'a NodeRef),
    /// An instance only in OLD.
    NodeRemoved(&'a NodeRef),
    /// An instance whose attributes differ.
    NodeChanged(&'a NodeChange),
    /// An edge only in NEW.
    EdgeAdded(&'a EdgeRef),
    /// An edge only in OLD.
    EdgeRemoved(&'a EdgeRef),
    /// An edge whose attributes differ.
    EdgeChanged(&'a EdgeChange),
    /// A finding only in NEW.
    FindingRaised(&'a Finding),
    /// A finding only in OLD.
    FindingResolved(&'a Finding),
}

impl Event<'_> {
    /// The contract's kind: `node-added`, `edge-changed`, `finding-raised`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Event::NodeAdded(_) => "node-added",
            Event::NodeRemoved(_) => "node-removed",
            Event::NodeChanged(_) => "node-changed",
            Event::EdgeAdded(_) => "edge-added",
            Event::EdgeRemoved(_) => "edge-removed",
            Event::EdgeChanged(_) => "edge-changed",
            Event::FindingRaised(_) => "finding-raised",
            Event::FindingResolved(_) => "finding-resolved",
        }
    }
}

impl Diff {
    /// Whether OLD and NEW are the same (nothing added, removed, changed,
    /// raised or resolved).
    pub fn is_empty(&self) -> bool {
        self.summary == DiffSummary::default()
    }

    /// Every change one by one: nodes (added, removed, changed), then edges,
    /// then findings (raised, resolved), each group in its list's order.
    pub fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        let nodes = self.nodes.added.iter().map(Event::NodeAdded).chain(
            self.nodes
                .removed
                .iter()
                .map(Event::NodeRemoved)
                .chain(self.nodes.changed.iter().map(Event::NodeChanged)),
        );
        let edges = self.edges.added.iter().map(Event::EdgeAdded).chain(
            self.edges
                .removed
                .iter()
                .map(Event::EdgeRemoved)
                .chain(self.edges.changed.iter().map(Event::EdgeChanged)),
        );
        let findings = self
            .findings
            .raised
            .iter()
            .map(Event::FindingRaised)
            .chain(self.findings.resolved.iter().map(Event::FindingResolved));
        nodes.chain(edges).chain(findings)
    }
}

/// What changed from `old` to `new`: see the [module documentation](self).
///
/// Compares the topologies' own tables, not their views: nodes matched by
/// id through the two id tables, edges by (source, target) through that
/// matching, attributes read from the columns; ids are written out only for
/// what is reported. On large topologies the edges are compared on a second
/// scoped thread while the nodes and findings are.
pub fn diff(old: &Topology, new: &Topology) -> Diff {
    let matching = nodes::Matching::of(old, new);
    let parallel = old.node_count().max(new.node_count()) >= PARALLEL_NODES;
    let (edges, (nodes, findings)) = both(
        parallel,
        || edges::changes(old, new, &matching),
        || {
            (
                nodes::changes(old, new, &matching),
                // A topology's findings are in report order.
                findings::diff_findings(old.findings(), new.findings(), true),
            )
        },
    );
    assemble(nodes, edges, findings)
}

/// What changed from one view and its findings to another: the same result
/// as [`diff`] of the topologies they were made from, for callers that hold
/// only views (made by hand, or read back). The views' nodes and edges may
/// come in any order; findings too.
pub fn diff_views(
    old: &GraphView<'_>,
    old_findings: &[Finding],
    new: &GraphView<'_>,
    new_findings: &[Finding],
) -> Diff {
    let parallel = old.nodes.len().max(new.nodes.len()) >= PARALLEL_NODES;
    let ((nodes, edges), findings) = both(
        parallel,
        || views::changes(old, new),
        || findings::diff_findings(old_findings, new_findings, false),
    );
    assemble(nodes, edges, findings)
}

/// From how many nodes a diff uses a second thread.
const PARALLEL_NODES: usize = 20_000;

/// The document of the three lists, with their counts.
fn assemble(nodes: NodeChanges, edges: EdgeChanges, findings: FindingChanges) -> Diff {
    let summary = DiffSummary {
        nodes_added: nodes.added.len(),
        nodes_removed: nodes.removed.len(),
        nodes_changed: nodes.changed.len(),
        edges_added: edges.added.len(),
        edges_removed: edges.removed.len(),
        edges_changed: edges.changed.len(),
        findings_raised: findings.raised.len(),
        findings_resolved: findings.resolved.len(),
    };
    Diff {
        format_version: FORMAT_VERSION,
        summary,
        nodes,
        edges,
        findings,
    }
}

/// `(a(), b())`, `a` on a scoped thread of its own when `parallel`.
fn both<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        let a = a
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}
