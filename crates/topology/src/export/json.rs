//! The JSON formats: networkx node-link and Cytoscape.js elements.

use std::fmt::{self, Write};

use serde::Serialize;

use super::{NodeIndex, to_string};
use crate::view::{EdgeView, GraphView, NodeView};

#[derive(Serialize)]
struct NodeData<'a> {
    id: &'a str,
    region: Option<&'a str>,
    project_id: Option<&'a str>,
    project_name: Option<&'a str>,
    role: &'static str,
    group: &'a str,
}

impl<'a> NodeData<'a> {
    fn new(node: &NodeView<'a>) -> Self {
        NodeData {
            id: node.id,
            region: node.region,
            project_id: node.project_id,
            project_name: node.project_name,
            role: node.role.as_str(),
            group: node.group,
        }
    }
}

#[derive(Serialize)]
struct EdgeData<'a> {
    /// Cytoscape.js only: `"source->target"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    source: &'a str,
    target: &'a str,
    status: &'static str,
    cross_region: Option<bool>,
    health: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replica_state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dr_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_lag_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_lag_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_delay_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dr_since: Option<&'a str>,
}

impl<'a> EdgeData<'a> {
    fn new(edge: &EdgeView<'a>, with_id: bool) -> Self {
        EdgeData {
            id: with_id.then(|| format!("{}->{}", edge.source, edge.target)),
            source: edge.source,
            target: edge.target,
            status: edge.status.as_str(),
            cross_region: edge.cross_region,
            health: edge.health.as_str(),
            replica_state: edge.replica_state,
            dr_status: edge.dr_status,
            send_lag_mb: edge.send_lag_mb,
            replay_lag_mb: edge.replay_lag_mb,
            replay_delay_ms: edge.replay_delay_ms,
            dr_since: edge.dr_since,
        }
    }
}

/// An edge serialises with its export attributes, as `node-link` writes it
/// (without its `id`): `source`, `target`, `status`, `cross_region`,
/// `health`, and the health attributes that are known.
///
/// ```
/// use rds_dr_topology::{EdgeStatus, EdgeView};
///
/// let edge = EdgeView::new("p1", "d1", EdgeStatus::Confirmed, Some(true));
/// assert_eq!(
///     serde_json::to_string(&edge)?,
///     r#"{"source":"p1","target":"d1","status":"confirmed","cross_region":true,"health":"unknown"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
impl Serialize for EdgeView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EdgeData::new(self, false).serialize(serializer)
    }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct NodeLink<'a> {
    directed: bool,
    multigraph: bool,
    graph: Empty,
    nodes: Vec<NodeData<'a>>,
    edges: &'a [EdgeData<'a>],
    links: &'a [EdgeData<'a>],
}

#[derive(Serialize)]
struct Cytoscape<'a> {
    elements: Elements<'a>,
}

#[derive(Serialize)]
struct Elements<'a> {
    nodes: Vec<Data<NodeData<'a>>>,
    edges: Vec<Data<EdgeData<'a>>>,
}

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

fn edges<'a>(view: &GraphView<'a>, with_id: bool) -> Vec<EdgeData<'a>> {
    let index = NodeIndex::new(view);
    index
        .edges(view)
        .map(|(_, _, edge)| EdgeData::new(edge, with_id))
        .collect()
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> fmt::Result {
    // Plain structs of strings, booleans and options: serialising cannot fail.
    let text = serde_json::to_string_pretty(value).expect("export JSON always serialises");
    out.write_str(&text)?;
    out.write_char('\n')
}

/// The view as networkx node-link JSON, readable by
/// `networkx.node_link_graph` of networkx 3.4 (`"links"`) and 3.6
/// (`"edges"`): `{"directed": true, "multigraph": false, "graph": {},
/// "nodes": [{"id", "region", "project_id", "project_name", "role",
/// "group"}], "edges": [{"source", "target", "status", "cross_region",
/// "health", "replica_state", "dr_status", "send_lag_mb", "replay_lag_mb",
/// "replay_delay_ms", "dr_since"}], "links": <the same list>}`. Unknown
/// values are `null`, but the edges' health attributes other than `health`
/// are left out where unknown.
pub fn node_link(view: &GraphView<'_>) -> String {
    to_string(|out| write_node_link(view, out))
}

/// [`node_link`] into `out`.
pub fn write_node_link(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    let edges = edges(view, false);
    write_json(
        out,
        &NodeLink {
            directed: true,
            multigraph: false,
            graph: Empty {},
            nodes: view.nodes.iter().map(NodeData::new).collect(),
            edges: &edges,
            links: &edges,
        },
    )
}

/// The view as Cytoscape.js elements JSON: `{"elements": {"nodes":
/// [{"data": {"id", "region", "project_id", "project_name", "role",
/// "group"}}], "edges": [{"data": {"id": "source->target", "source",
/// "target", "status", "cross_region", "health", ...}}]}}` (the edges'
/// attributes as in [`node_link`]). Unknown values are `null`, but the
/// edges' health attributes other than `health` are left out where unknown.
///
/// Cytoscape.js wants element ids unique across nodes and edges; an edge id
/// could only clash with an instance id that itself contains `->`.
pub fn cytoscape(view: &GraphView<'_>) -> String {
    to_string(|out| write_cytoscape(view, out))
}

/// [`cytoscape`] into `out`.
pub fn write_cytoscape(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    write_json(
        out,
        &Cytoscape {
            elements: Elements {
                nodes: view
                    .nodes
                    .iter()
                    .map(|node| Data {
                        data: NodeData::new(node),
                    })
                    .collect(),
                edges: edges(view, true)
                    .into_iter()
                    .map(|data| Data { data })
                    .collect(),
            },
        },
    )
}
