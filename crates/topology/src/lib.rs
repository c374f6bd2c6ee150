//! Merge two-sided ListDrRelations captures into one validated DR graph;
//! analyse and export it.
//!
//! ListDrRelations describes every relation from the local side only: a
//! primary's record lists its DRs, each DR's record names its primary, and a
//! record's own region and project are those of the (region, project) that
//! was queried. A [`Topology`] merges any number of captures into one graph
//! (a node per instance id, an edge per (primary, DR) pair), keeps who
//! claimed what, and checks it: every finding code of the contract
//! ([`Code`]) with the instances it is about, a message naming the sources,
//! and machine-readable details. It also computes roles, DR groups and the
//! impact of losing regions.
//!
//! This crate does no IO and no async: callers read the bytes and hand them
//! over; the result is plain data.
//!
//! # Merge semantics
//!
//! - **Nodes.** One per instance id (the exact string; a blank id is a
//!   `malformed-record`). An instance's own record places it at the
//!   capture's `source`; a peer object places it where the object says.
//!   Every such claim keeps its provenance ([`Topology::location_claims`]).
//!   The node's location is its own record's source (the smallest, if
//!   several sources return it: that is a `location-conflict`), else the
//!   smallest complete peer claim; its project name is the smallest one
//!   claimed for that project.
//! - **Edges.** One per (primary, DR) pair, with every claim: the primary's
//!   record listing the DR (`primary` side) and the DR's record naming the
//!   primary (`dr` side), each with its source ([`Topology::edge`]). A record
//!   naming its own instance is a `self-relation`, not an edge.
//! - **Queried.** A side is queried when its instance's own record was
//!   returned by a captured source, or when its claimed (region, project)
//!   (the project alone, when no region is known) is a captured source.
//!   A failed target ([`TopologyBuilder::failed_target`]) is not queried.
//!   Status: `confirmed` (both sides), `primary-only` / `dr-only` (the other
//!   side was queried and is silent: `unconfirmed-edge`), `unverified` (the
//!   other side was not queried: `unverified-edge`).
//! - **Sources given more than once.** Claims are sets: a capture given
//!   twice changes nothing, and two different captures of one source are
//!   united (one source's records may be split over several captures).
//!   `duplicate-record` looks inside one capture only.
//! - **Order.** Nothing depends on the order of the captures: claims are
//!   sorted and deduplicated when the topology is built, and every list
//!   (nodes, edges, groups, findings, claims) is sorted by text.
//! - **Leniency.** A record or peer of the wrong shape is a
//!   `malformed-record` finding and its siblings still count. A peer object
//!   whose fields are all missing, null or blank (`"master_instance": {}`)
//!   counts as no peer at all.
//! - **Roles and groups.** Roles follow the edges ([`Role`]); a DR group is a
//!   weakly connected component named by its root primary ([`Group`]).
//!
//! # The graph for other tools
//!
//! [`Topology::to_petgraph`] returns the topology as a petgraph
//! `DiGraph<NodeView, EdgeView>` in [`Topology::view`]'s order, every edge
//! from primary to DR, so that any of petgraph's algorithms runs on it; the
//! crate re-exports [`petgraph`], so no version needs pinning. The example
//! `dr_chains` loads a directory of captures and finds the longest cascade
//! chain and the articulation points of the DR groups; `offline` builds a
//! topology from captures made in code.
//!
//! # Performance
//!
//! [`TopologyBuilder::capture_json`] decodes a capture file with borrowed
//! strings straight into compact claims (ids of the usual shape are packed
//! into 20 bytes, other strings interned), so memory grows with the number
//! of distinct instances, not with the input; hand it one file at a time.
//!
//! ```
//! use rds_dr_model::Capture;
//! use rds_dr_topology::{Code, EdgeStatus, Role, Topology};
//!
//! // The two sides of one relation, as two regions' captures report them.
//! let primary_side: Capture = serde_json::from_str(r#"{
//!   "source": {"region": "aRegion", "project_id": "08fd4e669e00d57d2ffec01352c7cb77"},
//!   "response": {"instance_dr_relations": [{
//!     "instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
//!     "slave_instances": [{"instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
//!       "region": "bRegion", "project_id": "054b61972980d4552f0bc00ac8d3f5cd",
//!       "project_name": "slaveProjectName"}]}]}}"#)?;
//! let dr_side: Capture = serde_json::from_str(r#"{
//!   "source": {"region": "bRegion", "project_id": "054b61972980d4552f0bc00ac8d3f5cd"},
//!   "response": {"instance_dr_relations": [{
//!     "instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
//!     "master_instance": {"instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
//!       "region": "aRegion", "project_id": "08fd4e669e00d57d2ffec01352c7cb77",
//!       "project_name": "masterProjectName"}}]}}"#)?;
//!
//! let topology = Topology::builder().capture(&primary_side).capture(&dr_side).build();
//! let view = topology.view();
//! assert_eq!(view.nodes.len(), 2);
//! assert_eq!(view.edges[0].status, EdgeStatus::Confirmed);
//! assert_eq!(view.nodes[0].role, Role::Dr); // b5e2... sorts first
//! assert_eq!(view.nodes[0].group, "fab4e3df67c24aa0a5b41bc2bcb41918in03");
//! assert!(topology.findings().is_empty());
//!
//! // Without the DR's side, the same edge is only claimed, and unverified.
//! let half = Topology::builder().capture(&primary_side).build();
//! assert_eq!(half.findings()[0].code, Code::UnverifiedEdge);
//! assert_eq!(half.report().summary.infos, 1);
//! # Ok::<(), serde_json::Error>(())
//! ```
#![deny(missing_docs)]

mod bucket;
mod builder;
mod claims;
mod decode;
pub mod diff;
mod edges;
pub mod export;
mod finding;
mod graph;
mod groups;
pub mod health;
mod ids;
pub mod impact;
mod locations;
mod merge;
mod prefetch;
mod records;
pub mod render;
mod rules;
mod strings;
mod topology;
pub mod view;

pub use petgraph;

pub use builder::{Side, TopologyBuilder};
pub use decode::Decoded;
pub use edges::{Edge, EdgeClaim};
pub use finding::{Code, Details, Finding, Report, Severity, Summary, details};
pub use graph::Node;
pub use groups::Group;
pub use health::{EdgeHealth, EdgeReplication, Health, HealthCounts, HealthSource, Thresholds};
pub use impact::{
    Degraded, DrRef, Impact, ImpactSummary, OwnRegionFailure, PrimaryImpact, Protection,
    RegionImpact,
};
pub use locations::{Location, LocationClaim, SourceRef, Via};
#[doc(hidden)]
pub use merge::Threads;
pub use topology::Topology;
pub use view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};
