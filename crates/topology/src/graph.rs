//! The merged graph as petgraph holds it, and as library users get it.
//!
//! Internally: a [`petgraph::graph::DiGraph`] with one node per instance
//! (node `n` is the `n`-th id in id order) and one edge per (primary, DR)
//! pair (edge `k` is the `k`-th pair in (primary, DR) order). Nothing is
//! ever removed, so the indices are stable without a `StableGraph`. Each
//! node and edge carries the little the analyses settle ([`NodeState`],
//! [`EdgeState`]); everything else is in the flat arrays of [`Topology`].
//!
//! For library users: [`Topology::to_petgraph`], the same graph with the
//! public view types as weights.

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

use crate::builder::LocationId;
use crate::edges::EdgePairs;
use crate::locations::Location;
use crate::prefetch::{AHEAD, prefetch};
use crate::topology::Topology;
use crate::view::{EdgeStatus, EdgeView, NodeView, Role};

/// The graph the build makes and the accessors walk.
pub(crate) type Graph = DiGraph<NodeState, EdgeState, u32>;

/// What the build settles about an instance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeState {
    /// Where it is (see [`Topology::loc_at`]).
    pub(crate) place: LocationId,
    pub(crate) role: Role,
    /// Whether some captured source returned this instance's own record.
    pub(crate) has_own_record: bool,
}

/// What the build settles about an edge.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EdgeState {
    pub(crate) status: EdgeStatus,
    /// This edge's claims: `Topology::claims[start..end]`.
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Node number `n` as petgraph's index.
pub(crate) fn ix(n: u32) -> NodeIndex<u32> {
    NodeIndex::new(n as usize)
}

/// A node's number (its index in id order).
pub(crate) fn nid(n: NodeIndex<u32>) -> u32 {
    n.index() as u32
}

/// The graph's nodes, one per instance (their states filled in later), with
/// room for `edges` edges: all [`add_edges`] needs, made before.
pub(crate) fn with_nodes(n: usize, edges: usize, unknown: LocationId) -> Graph {
    let mut graph = Graph::with_capacity(n, edges);
    for _ in 0..n {
        graph.add_node(NodeState {
            place: unknown,
            role: Role::Standalone,
            has_own_record: false,
        });
    }
    graph
}

/// Where node `node` of `graph` lies in memory, for a prefetch: from
/// petgraph's public array of nodes (`raw_nodes`), computed without reading
/// it (a read would wait for the very miss the prefetch is meant to hide).
pub(crate) fn node_address(
    nodes: *const petgraph::graph::Node<NodeState, u32>,
    node: u32,
) -> *const u8 {
    nodes.wrapping_add(node as usize).cast()
}

/// Adds an edge per claimed pair (ascending) to the graph made by
/// [`with_nodes`], with its claims' range.
pub(crate) fn add_edges(graph: &mut Graph, edges: &EdgePairs) {
    // Each edge goes into the lists of both its nodes, and a DR's node is
    // far from the last one: ask for it a few edges ahead. Adding edges
    // never moves the nodes, so their addresses stay right.
    let nodes = graph.raw_nodes().as_ptr();
    let mut start = 0;
    for (k, (&(p, d), &end)) in edges.pairs.iter().zip(&edges.ends).enumerate() {
        if let Some(&(_, ahead)) = edges.pairs.get(k + AHEAD) {
            prefetch(node_address(nodes, ahead));
        }
        graph.add_edge(
            ix(p),
            ix(d),
            EdgeState {
                status: EdgeStatus::Confirmed,
                start,
                end,
            },
        );
        start = end;
    }
}

/// One instance of the merged topology.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Node<'a> {
    /// Instance id.
    pub id: &'a str,
    /// Its location: from its own record when a source returned one (the
    /// smallest such source), else the smallest complete peer claim; the
    /// project name is the smallest one claimed for that project.
    pub location: Location<'a>,
    /// Role in the topology.
    pub role: Role,
    /// Root primary of its DR group (its own id when standalone).
    pub group: &'a str,
    /// Whether a captured source returned its own record.
    pub has_own_record: bool,
}

impl Topology {
    /// What the build settled about node `node`.
    pub(crate) fn state(&self, node: u32) -> &NodeState {
        &self.graph[ix(node)]
    }

    /// Node number `node` as the public [`Node`].
    fn node_by_index(&self, node: u32) -> Node<'_> {
        let state = self.state(node);
        Node {
            id: self.id_str(node),
            location: self.location(self.loc_at(state.place)),
            role: state.role,
            group: self.id_str(self.group_state(node).root),
            has_own_record: state.has_own_record,
        }
    }

    /// One instance by id.
    pub fn node(&self, id: &str) -> Option<Node<'_>> {
        self.ids.find(id).map(|n| self.node_by_index(n))
    }

    /// Every instance, sorted by id.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = Node<'_>> + '_ {
        (0..self.ids.len() as u32).map(|n| self.node_by_index(n))
    }

    /// Every instance's role, in id order: the roles of
    /// [`nodes`](Self::nodes) without their ids, locations and groups, for
    /// counting over a large fleet.
    ///
    /// ```
    /// use rds_dr_topology::{Role, Topology};
    ///
    /// let source = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse().unwrap();
    /// let mut builder = Topology::builder();
    /// builder.records_json(&source, br#"{"instance_dr_relations": [{"instance_id": "p1",
    ///     "slave_instances": [{"instance_id": "d1", "region": "cn-south-1"}]}]}"#)?;
    /// let topology = builder.build();
    /// let roles: Vec<Role> = topology.roles().collect();
    /// assert_eq!(roles, [Role::Dr, Role::Primary]);
    /// assert!(topology.nodes().map(|n| n.role).eq(topology.roles()));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn roles(&self) -> impl ExactSizeIterator<Item = Role> + '_ {
        self.graph.raw_nodes().iter().map(|n| n.weight.role)
    }

    /// The topology as a petgraph graph of its view, for petgraph's
    /// algorithms: node `i` is `view().nodes[i]`, edge `j` is
    /// `view().edges[j]`, and every edge points primary -> DR.
    ///
    /// ```
    /// use rds_dr_model::synth::{generate, FleetSpec};
    /// use rds_dr_topology::Topology;
    /// use rds_dr_topology::petgraph::{algo::toposort, visit::EdgeRef};
    ///
    /// let fleet = generate(&FleetSpec::new().seed(7).primaries(20));
    /// let mut builder = Topology::builder();
    /// for capture in &fleet.captures {
    ///     builder.capture(capture);
    /// }
    /// let topology = builder.build();
    /// let graph = topology.to_petgraph();
    /// let view = topology.view();
    /// assert_eq!(graph.node_count(), view.nodes.len());
    /// for edge in graph.edge_references() {
    ///     assert_eq!(graph[edge.source()].id, edge.weight().source);
    ///     assert_eq!(graph[edge.target()].id, edge.weight().target);
    /// }
    /// // A fleet without cycles sorts topologically: primaries before their DRs.
    /// assert!(toposort(&graph, None).is_ok());
    /// ```
    pub fn to_petgraph(&self) -> DiGraph<NodeView<'_>, EdgeView<'_>> {
        let view = self.view();
        let mut graph = DiGraph::with_capacity(view.nodes.len(), view.edges.len());
        for node in view.nodes {
            graph.add_node(node);
        }
        // The view's edges are the graph's, in the same order.
        for (k, edge) in view.edges.into_iter().enumerate() {
            if let Some((p, d)) = self.graph.edge_endpoints(EdgeIndex::new(k)) {
                graph.add_edge(p, d, edge);
            }
        }
        graph
    }
}
