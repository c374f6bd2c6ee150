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

/// Whether `old` and `new` agree on every row of [`EDGE`] (their ids
/// aside), as [`edge_changes`] would find, without going through the
/// table: the fast path's test of the many edges that did not change.
/// Every field is named, so that a field added to the view does not
/// compile here until it is compared.
pub(super) fn same_edge(old: &EdgeView<'_>, new: &EdgeView<'_>) -> bool {
    let EdgeView {
        source: _,
        target: _,
        status,
        cross_region,
        health,
        replica_state,
        dr_status,
        send_lag_mb,
        replay_lag_mb,
        replay_delay_ms,
        dr_since,
    } = old;
    // Lags compare as the table's `Attr::Num` does: a lag that is not a
    // number equals nothing.
    *status == new.status
        && *cross_region == new.cross_region
        && *health == new.health
        && *replica_state == new.replica_state
        && *dr_status == new.dr_status
        && *send_lag_mb == new.send_lag_mb
        && *replay_lag_mb == new.replay_lag_mb
        && *replay_delay_ms == new.replay_delay_ms
        && *dr_since == new.dr_since
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EdgeStatus;
    use crate::health::Health;

    #[test]
    fn same_edge_agrees_with_the_table_row_by_row() {
        let base = EdgeView::new("p", "d", EdgeStatus::Confirmed, Some(true));
        let mut variants: Vec<(&str, EdgeView<'_>)> = Vec::new();
        let mut with = |path: &'static str, change: fn(&mut EdgeView<'_>)| {
            let mut edge = base.clone();
            change(&mut edge);
            variants.push((path, edge));
        };
        with("status", |e| e.status = EdgeStatus::PrimaryOnly);
        with("cross_region", |e| e.cross_region = None);
        with("health", |e| e.health = Health::Broken);
        with("replica_state", |e| e.replica_state = Some("0"));
        with("dr_status", |e| e.dr_status = Some("normal"));
        with("send_lag_mb", |e| e.send_lag_mb = Some(1.0));
        with("replay_lag_mb", |e| e.replay_lag_mb = Some(1.0));
        with("replay_delay_ms", |e| e.replay_delay_ms = Some(1.0));
        with("dr_since", |e| e.dr_since = Some("2026-01-01T00:00:00Z"));
        assert_eq!(variants.len(), EDGE.len(), "one variant per row");
        for (path, edge) in &variants {
            assert!(!same_edge(&base, edge), "{path}");
            let changes = edge_changes(&base, edge);
            assert_eq!(changes.len(), 1, "{path}");
            assert_eq!(changes[0].path, *path);
        }
        let renamed = EdgeView::new("q", "e", EdgeStatus::Confirmed, Some(true));
        assert!(same_edge(&base, &renamed), "ids are not attributes");
        assert!(edge_changes(&base, &renamed).is_empty());
        let mut nan = base.clone();
        nan.send_lag_mb = Some(f64::NAN);
        assert_eq!(same_edge(&nan, &nan), edge_changes(&nan, &nan).is_empty());
    }
}
