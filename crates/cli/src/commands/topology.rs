//! `rds-dr topology INPUTS|TARGETS [--format tree|table|json]`.

use rds_dr_topology::Topology;
use rds_dr_topology::render;
use serde_json::{Value, json};

use crate::Outcome;
use crate::cli::{GlobalArgs, TopologyArgs, TopologyFormat};
use crate::error::CliError;

/// Prints the merged topology.
pub fn run(args: &TopologyArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let gathered = crate::gather::gather(&args.source, global)?;
    let topology = &gathered.topology;
    let text = match args.format {
        TopologyFormat::Tree => render::tree(&topology.view()),
        TopologyFormat::Table => render::table(&topology.view()),
        TopologyFormat::Json => json_document(topology)?,
    };
    crate::output::stdout_line(&text)?;
    Ok(gathered.finish(global))
}

/// `topology --format json`, as printed (with the final newline); `serve`'s
/// `/api/v1/topology` sends the same bytes.
pub fn json_document(topology: &Topology) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(&to_json(topology))
        .map_err(|e| CliError::Other(format!("cannot encode the topology: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// `{"summary", "nodes", "edges", "groups"}`: nodes and edges with the
/// export attributes (sorted by id, and by (source, target); each edge with
/// its `health` and the health attributes that are known), groups with
/// their root primary, members and depth (sorted by root).
pub fn to_json(topology: &Topology) -> Value {
    let view = topology.view();
    let nodes: Vec<Value> = view
        .nodes
        .iter()
        .map(|n| {
            json!({
                "id": n.id,
                "region": n.region,
                "project_id": n.project_id,
                "project_name": n.project_name,
                "role": n.role.as_str(),
                "group": n.group,
            })
        })
        .collect();
    let edges: Vec<Value> = view
        .edges
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    let mut groups: Vec<Value> = topology
        .groups()
        .map(|g| json!({"root": g.root, "members": g.members, "depth": g.depth}))
        .collect();
    groups.sort_by(|a, b| a["root"].as_str().cmp(&b["root"].as_str()));
    json!({
        "summary": topology.summary(),
        "nodes": nodes,
        "edges": edges,
        "groups": groups,
    })
}
