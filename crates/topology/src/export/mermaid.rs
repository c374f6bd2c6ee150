//! Mermaid flowchart.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use super::escape::Mermaid;
use super::{NodeIndex, to_string};
use crate::view::{EdgeStatus, GraphView, Role};

/// The view as a Mermaid `flowchart LR`.
///
/// Node ids are generated (`n0`, `n1`, ... in the view's order, i.e. sorted
/// by instance id) so no instance id can clash with Mermaid syntax or
/// keywords; each label is quoted and shows the instance id and the role,
/// escaped with Mermaid's entity codes (`"` as `#quot;`). One `subgraph`
/// per region (`r0`, `r1`, ... sorted by region, titled with the region);
/// instances with an unknown region stand outside. Edges are labelled with
/// their status: `-->` confirmed, `-.->` one-sided or unverified (unverified
/// ones also grey via `linkStyle`); an edge whose replication health needs
/// attention adds it (and its lag) to the label and is coloured by it
/// (`failed`, `broken`, `lagging`, `building`) with a thicker `linkStyle`.
/// Nodes are coloured by role with `classDef`/`class`.
pub fn mermaid(view: &GraphView<'_>) -> String {
    to_string(|out| write_mermaid(view, out))
}

/// [`mermaid`] into `out`.
pub fn write_mermaid(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    out.write_str("flowchart LR\n")?;

    let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (i, node) in view.nodes.iter().enumerate() {
        match node.region {
            Some(region) => regions.entry(region).or_default().push(i),
            None => unknown.push(i),
        }
    }
    let write_node = |out: &mut dyn Write, i: usize, indent: &str| {
        let node = &view.nodes[i];
        writeln!(
            out,
            "{indent}n{i}[\"{}<br/>{}\"]",
            Mermaid(node.id),
            node.role
        )
    };
    for (r, (region, members)) in regions.iter().enumerate() {
        writeln!(out, "  subgraph r{r} [\"{}\"]", Mermaid(region))?;
        for &i in members {
            write_node(out, i, "    ")?;
        }
        out.write_str("  end\n")?;
    }
    for i in unknown {
        write_node(out, i, "  ")?;
    }

    let index = NodeIndex::new(view);
    let mut unverified = Vec::new();
    let mut by_health: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (link, (s, t, edge)) in index.edges(view).enumerate() {
        let arrow = match edge.status {
            EdgeStatus::Confirmed => "-->",
            EdgeStatus::PrimaryOnly | EdgeStatus::DrOnly => "-.->",
            EdgeStatus::Unverified => {
                unverified.push(link);
                "-.->"
            }
        };
        match super::health::label(edge) {
            Some(health) => {
                if let Some(colour) = super::health::colour(edge.health) {
                    by_health.entry(colour).or_default().push(link);
                }
                writeln!(
                    out,
                    "  n{s} {arrow}|\"{}, {}\"| n{t}",
                    edge.status,
                    Mermaid(&health)
                )?;
            }
            None => writeln!(out, "  n{s} {arrow}|{}| n{t}", edge.status)?,
        }
    }
    if !unverified.is_empty() {
        out.write_str("  linkStyle ")?;
        write_list(out, unverified.iter().map(|link| format!("{link}")))?;
        out.write_str(" stroke:#868e96,stroke-dasharray:2 4\n")?;
    }
    for (colour, links) in &by_health {
        out.write_str("  linkStyle ")?;
        write_list(out, links.iter().map(|link| format!("{link}")))?;
        writeln!(out, " stroke:{colour},stroke-width:3px")?;
    }

    for (role, style) in [
        (Role::Primary, "fill:#cfe2ff,stroke:#084298"),
        (Role::Dr, "fill:#d1e7dd,stroke:#0f5132"),
        (Role::Cascaded, "fill:#fff3cd,stroke:#997404"),
        (Role::Standalone, "fill:#e9ecef,stroke:#495057"),
    ] {
        let members: Vec<usize> = (0..view.nodes.len())
            .filter(|&i| view.nodes[i].role == role)
            .collect();
        if members.is_empty() {
            continue;
        }
        writeln!(out, "  classDef {role} {style}")?;
        out.write_str("  class ")?;
        write_list(out, members.iter().map(|i| format!("n{i}")))?;
        writeln!(out, " {role}")?;
    }
    Ok(())
}

fn write_list(out: &mut impl Write, items: impl Iterator<Item = String>) -> fmt::Result {
    for (k, item) in items.enumerate() {
        if k > 0 {
            out.write_char(',')?;
        }
        out.write_str(&item)?;
    }
    Ok(())
}
