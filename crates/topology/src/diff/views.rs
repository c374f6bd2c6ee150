//! The comparison of two views ([`diff_views`](super::diff_views)), for
//! callers that hold views rather than topologies: nodes and edges sorted
//! by their ids as text (unless already sorted) and walked side by side.
//! It gives what [`diff`](super::diff) gives for the views of two
//! topologies (a proptest checks it), at the cost of the views.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{EdgeChange, EdgeChanges, EdgeRef, NodeChange, NodeChanges, NodeRef, attributes};
use crate::{EdgeView, GraphView, NodeView};

/// The nodes and edges that differ between two views, in any order.
pub(super) fn changes(old: &GraphView<'_>, new: &GraphView<'_>) -> (NodeChanges, EdgeChanges) {
    let nodes = diff_nodes(
        &ordered(&old.nodes, node_order),
        &ordered(&new.nodes, node_order),
    );
    let edges = diff_edges(
        &ordered(&old.edges, edge_order),
        &ordered(&new.edges, edge_order),
    );
    (nodes, edges)
}

fn node_order(a: &NodeView<'_>, b: &NodeView<'_>) -> Ordering {
    a.id.cmp(b.id)
}

fn edge_order(a: &EdgeView<'_>, b: &EdgeView<'_>) -> Ordering {
    (a.source, a.target).cmp(&(b.source, b.target))
}

/// The items in order: borrowed when already sorted, else a sorted copy.
fn ordered<T: Clone>(items: &[T], order: fn(&T, &T) -> Ordering) -> Cow<'_, [T]> {
    if items.is_sorted_by(|a, b| order(a, b) != Ordering::Greater) {
        Cow::Borrowed(items)
    } else {
        let mut sorted = items.to_vec();
        sorted.sort_by(order);
        Cow::Owned(sorted)
    }
}

/// Walks two sorted lists side by side: `f(Some(old), None)` for an item
/// only in OLD, `(None, Some(new))` only in NEW, `(Some, Some)` in both.
fn merge_join<'v, T>(
    old: &'v [T],
    new: &'v [T],
    order: fn(&T, &T) -> Ordering,
    mut f: impl FnMut(Option<&'v T>, Option<&'v T>),
) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let step = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => order(a, b),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match step {
            Ordering::Less => {
                f(Some(&old[i]), None);
                i += 1;
            }
            Ordering::Greater => {
                f(None, Some(&new[j]));
                j += 1;
            }
            Ordering::Equal => {
                f(Some(&old[i]), Some(&new[j]));
                i += 1;
                j += 1;
            }
        }
    }
}

fn diff_nodes(old: &[NodeView<'_>], new: &[NodeView<'_>]) -> NodeChanges {
    let mut out = NodeChanges::default();
    let node_ref = |n: &NodeView<'_>| NodeRef {
        id: n.id.to_owned(),
        region: n.region.map(str::to_owned),
        role: n.role,
    };
    merge_join(old, new, node_order, |a, b| match (a, b) {
        (Some(a), None) => out.removed.push(node_ref(a)),
        (None, Some(b)) => out.added.push(node_ref(b)),
        (Some(a), Some(b)) => {
            let changes = attributes::node_changes(a, b);
            if !changes.is_empty() {
                out.changed.push(NodeChange {
                    id: b.id.to_owned(),
                    changes,
                });
            }
        }
        (None, None) => {}
    });
    out
}

fn diff_edges(old: &[EdgeView<'_>], new: &[EdgeView<'_>]) -> EdgeChanges {
    let mut out = EdgeChanges::default();
    let edge_ref = |e: &EdgeView<'_>| EdgeRef {
        source: e.source.to_owned(),
        target: e.target.to_owned(),
        status: e.status,
    };
    merge_join(old, new, edge_order, |a, b| match (a, b) {
        (Some(a), None) => out.removed.push(edge_ref(a)),
        (None, Some(b)) => out.added.push(edge_ref(b)),
        (Some(a), Some(b)) => {
            let changes = attributes::edge_changes(a, b);
            if !changes.is_empty() {
                out.changed.push(EdgeChange {
                    source: b.source.to_owned(),
                    target: b.target.to_owned(),
                    changes,
                });
            }
        }
        (None, None) => {}
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::diff_views;
    use crate::{EdgeStatus, EdgeView, GraphView, NodeView, Role};

    fn node<'a>(id: &'a str, region: Option<&'a str>, role: Role) -> NodeView<'a> {
        NodeView {
            id,
            region,
            project_id: None,
            project_name: None,
            role,
            group: id,
        }
    }

    fn edge<'a>(source: &'a str, target: &'a str, status: EdgeStatus) -> EdgeView<'a> {
        EdgeView::new(source, target, status, Some(true))
    }

    #[test]
    fn unsorted_views_give_the_sorted_diff() {
        let old = GraphView {
            nodes: vec![
                node("c", None, Role::Standalone),
                node("a", Some("r1"), Role::Standalone),
            ],
            edges: vec![
                edge("p", "d2", EdgeStatus::Confirmed),
                edge("p", "d1", EdgeStatus::Confirmed),
            ],
        };
        let new = GraphView {
            nodes: vec![
                node("b", None, Role::Standalone),
                node("a", Some("r2"), Role::Standalone),
            ],
            edges: vec![
                edge("p", "d1", EdgeStatus::Unverified),
                edge("p", "d0", EdgeStatus::Confirmed),
            ],
        };
        let d = diff_views(&old, &[], &new, &[]);
        assert_eq!(d.nodes.added[0].id, "b");
        assert_eq!(d.nodes.removed[0].id, "c");
        assert_eq!(d.nodes.changed[0].id, "a");
        assert_eq!(d.nodes.changed[0].changes[0].path, "region");
        assert_eq!(d.nodes.changed[0].changes[0].from, "r1");
        assert_eq!(d.nodes.changed[0].changes[0].to, "r2");
        assert_eq!(d.edges.added[0].target, "d0");
        assert_eq!(d.edges.removed[0].target, "d2");
        assert_eq!(d.edges.changed[0].target, "d1");
        assert_eq!(d.edges.changed[0].changes[0].to, "unverified");
        let reversed = GraphView {
            nodes: old.nodes.iter().rev().cloned().collect(),
            edges: old.edges.iter().rev().cloned().collect(),
        };
        assert_eq!(diff_views(&reversed, &[], &new, &[]), d);
    }

    #[test]
    fn events_follow_the_lists_and_serialise_with_their_kind() {
        let old = GraphView {
            nodes: vec![node("a", None, Role::Standalone)],
            edges: vec![],
        };
        let new = GraphView {
            nodes: vec![node("b", None, Role::Standalone)],
            edges: vec![edge("a", "b", EdgeStatus::Confirmed)],
        };
        let d = diff_views(&old, &[], &new, &[]);
        let events: Vec<serde_json::Value> = d
            .events()
            .map(|e| serde_json::to_value(e).expect("serialises"))
            .collect();
        assert_eq!(
            events,
            [
                serde_json::json!({"kind": "node-added", "id": "b"}),
                serde_json::json!({"kind": "node-removed", "id": "a"}),
                serde_json::json!({"kind": "edge-added", "source": "a", "target": "b"}),
            ]
        );
        for (event, json) in d.events().zip(&events) {
            assert_eq!(json["kind"], event.kind());
        }
    }
}
