//! GraphML.

use std::fmt::{self, Write};

use super::escape::Xml;
use super::{NodeIndex, to_string};
use crate::view::GraphView;

/// Edge attributes after `status` and `cross_region`: (key, GraphML type).
const EDGE_HEALTH_KEYS: [(&str, &str); 7] = [
    ("health", "string"),
    ("replica_state", "string"),
    ("dr_status", "string"),
    ("send_lag_mb", "double"),
    ("replay_lag_mb", "double"),
    ("replay_delay_ms", "double"),
    ("dr_since", "string"),
];

/// Node attributes other than `id` (which is the node's own `id`).
const NODE_KEYS: [&str; 5] = ["region", "project_id", "project_name", "role", "group"];

/// The view as GraphML: `<graph edgedefault="directed">`, the instance id
/// as each node's `id`, the edge's ends as `source`/`target`, and every
/// other attribute declared once as a `<key>` (key ids are the attribute
/// names: `region`, `project_id`, `project_name`, `role`, `group` for nodes
/// of `attr.type="string"`; `status` (string) and `cross_region` (boolean)
/// for edges, then the replication health: `health`, `replica_state`,
/// `dr_status`, `dr_since` (string) and `send_lag_mb`, `replay_lag_mb`,
/// `replay_delay_ms` (double)). An unknown value has no `<data>` element.
///
/// Well-formed XML 1.0; ids with characters outside XML's `NMTOKEN` (which
/// real instance ids never have) are escaped and well-formed, though not
/// valid against the GraphML schema.
pub fn graphml(view: &GraphView<'_>) -> String {
    to_string(|out| write_graphml(view, out))
}

/// [`graphml`] into `out`.
pub fn write_graphml(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    out.write_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\"",
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
        " xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns",
        " http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    ))?;
    for key in NODE_KEYS {
        writeln!(
            out,
            "  <key id=\"{key}\" for=\"node\" attr.name=\"{key}\" attr.type=\"string\"/>"
        )?;
    }
    out.write_str(
        "  <key id=\"status\" for=\"edge\" attr.name=\"status\" attr.type=\"string\"/>\n",
    )?;
    out.write_str(
        "  <key id=\"cross_region\" for=\"edge\" attr.name=\"cross_region\" attr.type=\"boolean\"/>\n",
    )?;
    for (key, kind) in EDGE_HEALTH_KEYS {
        writeln!(
            out,
            "  <key id=\"{key}\" for=\"edge\" attr.name=\"{key}\" attr.type=\"{kind}\"/>"
        )?;
    }
    out.write_str("  <graph id=\"rds-dr\" edgedefault=\"directed\">\n")?;

    for node in &view.nodes {
        writeln!(out, "    <node id=\"{}\">", Xml(node.id))?;
        let values = [
            node.region,
            node.project_id,
            node.project_name,
            Some(node.role.as_str()),
            Some(node.group),
        ];
        for (key, value) in NODE_KEYS.iter().zip(values) {
            if let Some(value) = value {
                writeln!(out, "      <data key=\"{key}\">{}</data>", Xml(value))?;
            }
        }
        out.write_str("    </node>\n")?;
    }

    let index = NodeIndex::new(view);
    for (_, _, edge) in index.edges(view) {
        writeln!(
            out,
            "    <edge source=\"{}\" target=\"{}\">",
            Xml(edge.source),
            Xml(edge.target)
        )?;
        writeln!(out, "      <data key=\"status\">{}</data>", edge.status)?;
        if let Some(cross) = edge.cross_region {
            writeln!(out, "      <data key=\"cross_region\">{cross}</data>")?;
        }
        let number = |v: Option<f64>| v.map(|v| v.to_string());
        let values = [
            Some(edge.health.as_str().to_owned()),
            edge.replica_state.map(str::to_owned),
            edge.dr_status.map(str::to_owned),
            number(edge.send_lag_mb),
            number(edge.replay_lag_mb),
            number(edge.replay_delay_ms),
            edge.dr_since.map(str::to_owned),
        ];
        for ((key, _), value) in EDGE_HEALTH_KEYS.iter().zip(values) {
            if let Some(value) = value {
                writeln!(out, "      <data key=\"{key}\">{}</data>", Xml(&value))?;
            }
        }
        out.write_str("    </edge>\n")?;
    }
    out.write_str("  </graph>\n</graphml>\n")
}
