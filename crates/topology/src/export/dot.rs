//! Graphviz DOT, written by hand.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use super::escape::Dot;
use super::{NodeIndex, to_string};
use crate::view::{EdgeStatus, GraphView, NodeView, Role};

/// The view as a Graphviz `digraph`: one `subgraph cluster_<n>` per region
/// (regions sorted; instances with an unknown region outside any cluster),
/// boxes labelled with id and role and filled by role, edges solid
/// (confirmed), dashed (primary-only, dr-only) or dotted (unverified), and
/// coloured and labelled by their replication health when it needs
/// attention (`failed`, `broken`, `lagging` with its lag, `building`).
///
/// Every node and edge also carries the export attributes (`region`,
/// `project_id`, `project_name`, `role`, `group`; `status`, `cross_region`,
/// `health`, `replica_state`, `dr_status`, `send_lag_mb`, `replay_lag_mb`,
/// `replay_delay_ms`, `dr_since`)
/// as DOT attributes, omitted when unknown, so pydot or networkx's
/// `read_dot` get them back. Ids and labels are escaped (`\"`, `\\`, `\n`).
/// `group` is also a Graphviz layout attribute (edges between nodes of one
/// group are kept straight), which suits a DR group; the others are ignored
/// by Graphviz.
pub fn dot(view: &GraphView<'_>) -> String {
    to_string(|out| write_dot(view, out))
}

/// [`dot`] into `out`.
pub fn write_dot(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    out.write_str("digraph \"rds-dr\" {\n")?;
    out.write_str("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, labeljust=l];\n")?;
    out.write_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n",
    )?;
    out.write_str("  edge [fontname=\"Helvetica\", fontsize=9];\n")?;

    let mut regions: BTreeMap<&str, Vec<&NodeView<'_>>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for node in &view.nodes {
        match node.region {
            Some(region) => regions.entry(region).or_default().push(node),
            None => unknown.push(node),
        }
    }
    for (n, (region, nodes)) in regions.iter().enumerate() {
        writeln!(out, "\n  subgraph cluster_{n} {{")?;
        writeln!(out, "    label=\"{}\";", Dot(region))?;
        out.write_str("    style=\"rounded,dashed\";\n    color=\"#868e96\";\n")?;
        for node in nodes {
            out.write_str("    ")?;
            write_node(out, node)?;
        }
        out.write_str("  }\n")?;
    }
    if !unknown.is_empty() {
        out.write_str("\n")?;
        for node in unknown {
            out.write_str("  ")?;
            write_node(out, node)?;
        }
    }

    let index = NodeIndex::new(view);
    let mut first = true;
    for (_, _, edge) in index.edges(view) {
        if std::mem::take(&mut first) {
            out.write_str("\n")?;
        }
        let (style, color) = match edge.status {
            EdgeStatus::Confirmed => ("solid", "#343a40"),
            EdgeStatus::PrimaryOnly | EdgeStatus::DrOnly => ("dashed", "#d9480f"),
            EdgeStatus::Unverified => ("dotted", "#868e96"),
        };
        let color = super::health::colour(edge.health).unwrap_or(color);
        write!(
            out,
            "  \"{}\" -> \"{}\" [style={style}, color=\"{color}\"",
            Dot(edge.source),
            Dot(edge.target)
        )?;
        let mut label: Vec<String> = Vec::new();
        if edge.status != EdgeStatus::Confirmed {
            label.push(edge.status.to_string());
        }
        if let Some(health) = super::health::label(edge) {
            label.push(health);
            out.write_str(", penwidth=2")?;
        }
        if !label.is_empty() {
            write!(
                out,
                ", label=\"{}\", fontcolor=\"{color}\"",
                Dot(&label.join("\n"))
            )?;
        }
        write!(out, ", status=\"{}\"", edge.status)?;
        if let Some(cross) = edge.cross_region {
            write!(out, ", cross_region={cross}")?;
        }
        write!(out, ", health=\"{}\"", edge.health)?;
        for (name, value) in [
            ("replica_state", edge.replica_state),
            ("dr_status", edge.dr_status),
            ("dr_since", edge.dr_since),
        ] {
            if let Some(value) = value {
                write!(out, ", {name}=\"{}\"", Dot(value))?;
            }
        }
        for (name, value) in [
            ("send_lag_mb", edge.send_lag_mb),
            ("replay_lag_mb", edge.replay_lag_mb),
            ("replay_delay_ms", edge.replay_delay_ms),
        ] {
            if let Some(value) = value {
                write!(out, ", {name}={value}")?;
            }
        }
        out.write_str("];\n")?;
    }
    out.write_str("}\n")
}

fn write_node(out: &mut impl Write, node: &NodeView<'_>) -> fmt::Result {
    let fill = match node.role {
        Role::Primary => "#cfe2ff",
        Role::Dr => "#d1e7dd",
        Role::Cascaded => "#fff3cd",
        Role::Standalone => "#e9ecef",
    };
    write!(
        out,
        "\"{}\" [label=\"{}\\n{}",
        Dot(node.id),
        Dot(node.id),
        node.role
    )?;
    if node.region.is_none() {
        out.write_str("\\nregion unknown")?;
    }
    write!(out, "\", fillcolor=\"{fill}\"")?;
    if node.region.is_none() {
        out.write_str(", color=\"#868e96\", style=\"rounded,filled,dashed\"")?;
    }
    for (name, value) in [
        ("region", node.region),
        ("project_id", node.project_id),
        ("project_name", node.project_name),
    ] {
        if let Some(value) = value {
            write!(out, ", {name}=\"{}\"", Dot(value))?;
        }
    }
    writeln!(
        out,
        ", role=\"{}\", group=\"{}\"];",
        node.role,
        Dot(node.group)
    )
}
