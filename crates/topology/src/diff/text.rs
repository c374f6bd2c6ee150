//! The text of `rds-dr diff`: `+`/`-`/`~` lines grouped by nodes, edges and
//! findings, then one summary line, as `terraform plan` shows a plan.
//!
//! ```text
//! Nodes:
//!   + d2  (cn-east-3, dr)
//!   ~ p1
//!       region: "cn-north-4" -> "cn-east-3"
//! Edges:
//!   + p1 -> d2  (confirmed)
//! Findings:
//!   - warning same-region-dr: ...
//!
//! Nodes: 1 to add, 1 to change, 0 to remove. Edges: 1 to add, 0 to change, 0 to remove. Findings: 0 raised, 1 resolved.
//! ```
//!
//! Attribute values are written as JSON (`"cn-east-3"`, `true`, `null` for
//! unknown), so an unknown value and the text `null` cannot be confused.

use std::fmt::{self, Display, Formatter};

use super::{AttributeChange, Diff, DiffSummary};

impl Display for Diff {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "No changes: the same nodes, edges and findings.");
        }
        let nodes = &self.nodes;
        if !(nodes.added.is_empty() && nodes.removed.is_empty() && nodes.changed.is_empty()) {
            writeln!(f, "Nodes:")?;
            for n in &nodes.added {
                writeln!(f, "  + {}  ({}, {})", n.id, Region(&n.region), n.role)?;
            }
            for n in &nodes.removed {
                writeln!(f, "  - {}  ({}, {})", n.id, Region(&n.region), n.role)?;
            }
            for n in &nodes.changed {
                writeln!(f, "  ~ {}", n.id)?;
                changes(f, &n.changes)?;
            }
        }
        let edges = &self.edges;
        if !(edges.added.is_empty() && edges.removed.is_empty() && edges.changed.is_empty()) {
            writeln!(f, "Edges:")?;
            for e in &edges.added {
                writeln!(f, "  + {} -> {}  ({})", e.source, e.target, e.status)?;
            }
            for e in &edges.removed {
                writeln!(f, "  - {} -> {}  ({})", e.source, e.target, e.status)?;
            }
            for e in &edges.changed {
                writeln!(f, "  ~ {} -> {}", e.source, e.target)?;
                changes(f, &e.changes)?;
            }
        }
        let findings = &self.findings;
        if !(findings.raised.is_empty() && findings.resolved.is_empty()) {
            writeln!(f, "Findings:")?;
            for finding in &findings.raised {
                writeln!(f, "  + {finding}")?;
            }
            for finding in &findings.resolved {
                writeln!(f, "  - {finding}")?;
            }
        }
        writeln!(f)?;
        writeln!(f, "{}", self.summary)
    }
}

fn changes(f: &mut Formatter<'_>, changes: &[AttributeChange]) -> fmt::Result {
    for c in changes {
        writeln!(f, "      {}: {} -> {}", c.path, c.from, c.to)?;
    }
    Ok(())
}

struct Region<'a>(&'a Option<String>);

impl Display for Region<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or("region unknown"))
    }
}

impl Display for DiffSummary {
    /// `Nodes: 1 to add, 0 to change, 0 to remove. Edges: ... Findings: 1 raised, 0 resolved.`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Nodes: {} to add, {} to change, {} to remove. \
             Edges: {} to add, {} to change, {} to remove. \
             Findings: {} raised, {} resolved.",
            self.nodes_added,
            self.nodes_changed,
            self.nodes_removed,
            self.edges_added,
            self.edges_changed,
            self.edges_removed,
            self.findings_raised,
            self.findings_resolved
        )
    }
}
