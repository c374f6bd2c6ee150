//! The attributes a diff compares: one table row per attribute, so that a
//! new attribute of the view is one line here.

use super::AttributeChange;
use crate::{EdgeView, NodeView};

/// An attribute's value, borrowed from the view (no allocation unless it
/// differs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Attr<'a> {
    /// Unknown.
    Null,
    Str(&'a str),
    Bool(bool),
    Num(f64),
}

impl<'a> Attr<'a> {
    fn text(value: Option<&'a str>) -> Self {
        value.map_or(Attr::Null, Attr::Str)
    }

    fn num(value: Option<f64>) -> Self {
        value.map_or(Attr::Null, Attr::Num)
    }

    fn flag(value: Option<bool>) -> Self {
        value.map_or(Attr::Null, Attr::Bool)
    }

    fn to_json(self) -> serde_json::Value {
        match self {
            Attr::Null => serde_json::Value::Null,
            Attr::Str(s) => s.into(),
            Attr::Bool(b) => b.into(),
            Attr::Num(n) => {
                serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into)
            }
        }
    }
}

/// A node attribute: its name (the path in a change) and how to read it.
pub(super) type NodeAttribute = (&'static str, for<'r, 'x> fn(&'r NodeView<'x>) -> Attr<'r>);

/// An edge attribute: its name (the path in a change) and how to read it.
pub(super) type EdgeAttribute = (&'static str, for<'r, 'x> fn(&'r EdgeView<'x>) -> Attr<'r>);

/// Node attributes, in the exports' order.
pub(super) const NODE: &[NodeAttribute] = &[
    ("region", |n| Attr::text(n.region)),
    ("project_id", |n| Attr::text(n.project_id)),
    ("project_name", |n| Attr::text(n.project_name)),
    ("role", |n| Attr::Str(n.role.as_str())),
    ("group", |n| Attr::Str(n.group)),
];

/// Edge attributes, in the exports' order (source and target are the key).
pub(super) const EDGE: &[EdgeAttribute] = &[
    ("status", |e| Attr::Str(e.status.as_str())),
    ("cross_region", |e| Attr::flag(e.cross_region)),
    ("health", |e| Attr::Str(e.health.as_str())),
    ("replica_state", |e| Attr::text(e.replica_state)),
    ("dr_status", |e| Attr::text(e.dr_status)),
    ("send_lag_mb", |e| Attr::num(e.send_lag_mb)),
    ("replay_lag_mb", |e| Attr::num(e.replay_lag_mb)),
    ("replay_delay_ms", |e| Attr::num(e.replay_delay_ms)),
    ("dr_since", |e| Attr::text(e.dr_since)),
];

/// The node attributes whose values differ between `old` and `new`.
pub(super) fn node_changes(old: &NodeView<'_>, new: &NodeView<'_>) -> Vec<AttributeChange> {
    changes(
        NODE.iter()
            .map(|(name, read)| (*name, read(old), read(new))),
    )
}

/// The edge attributes whose values differ between `old` and `new`.
pub(super) fn edge_changes(old: &EdgeView<'_>, new: &EdgeView<'_>) -> Vec<AttributeChange> {
    changes(
        EDGE.iter()
            .map(|(name, read)| (*name, read(old), read(new))),
    )
}

fn changes<'a>(
    values: impl Iterator<Item = (&'static str, Attr<'a>, Attr<'a>)>,
) -> Vec<AttributeChange> {
    values
        .filter(|(_, from, to)| from != to)
        .map(|(path, from, to)| AttributeChange {
            path,
            from: from.to_json(),
            to: to.to_json(),
        })
        .collect()
}
