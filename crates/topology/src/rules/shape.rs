//! The shape of the graph: a DR with several primaries
//! (`conflicting-primary`), an instance that is a DR and a primary
//! (`cascaded-dr`), and cycles (`cycle`).

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeFiltered};

use crate::builder::Side;
use crate::finding::Finding;
use crate::finding::details::{CascadedDr, ClaimedPrimary, ConflictingPrimary, Cycle};
use crate::graph::{ix, nid};
use crate::groups::Degree;
use crate::topology::Topology;
use crate::view::Role;

impl Topology {
    /// `conflicting-primary` and `cascaded-dr`, from each node's
    /// [`Degree`]: the graph is walked only for the (few) instances with
    /// several primaries or with both a primary and DRs.
    pub(crate) fn shape(&self, degrees: &[Degree], findings: &mut Vec<Finding>) {
        for (node, d) in (0..).zip(degrees) {
            if d.has(Degree::SEVERAL_PRIMARIES) {
                findings.push(self.conflicting_primary(node));
            }
            if d.role() == Role::Cascaded {
                findings.push(self.cascaded_dr(node));
            }
        }
    }

    fn conflicting_primary(&self, dr: u32) -> Finding {
        let did = self.id(dr);
        let mut entries: Vec<(String, Vec<Side>, Vec<String>)> = Vec::new();
        for e in self.graph.edges_directed(ix(dr), Incoming) {
            let claims = self.claims_of(e.weight());
            let mut sides: Vec<Side> = claims.iter().map(|c| c.side).collect();
            // By name, as the details list them.
            sides.sort_by_key(|s| s.as_str());
            sides.dedup();
            let mut sources: Vec<String> =
                claims.iter().map(|c| self.source_text(c.source)).collect();
            sources.sort();
            sources.dedup();
            entries.push((self.id(nid(e.source())).to_owned(), sides, sources));
        }
        entries.sort_by(|a, b| {
            let names = |s: &[Side]| s.iter().map(|s| s.as_str()).collect::<Vec<_>>();
            (&a.0, names(&a.1), &a.2).cmp(&(&b.0, names(&b.1), &b.2))
        });
        let text: Vec<String> = entries
            .iter()
            .map(|(p, _, sources)| format!("{p} (claimed by {})", sources.join(", ")))
            .collect();
        let mut instances: Vec<String> = entries.iter().map(|(p, _, _)| p.clone()).collect();
        instances.push(did.to_owned());
        let count = entries.len();
        let primaries = entries
            .into_iter()
            .map(|(id, claimed_by, sources)| ClaimedPrimary {
                claimed_by,
                id,
                sources,
            })
            .collect();
        Finding::new(
            ConflictingPrimary {
                dr: did.to_owned(),
                primaries,
            },
            instances,
            format!(
                "DR {did} has {count} claimed primaries: {}",
                text.join("; ")
            ),
        )
    }

    fn cascaded_dr(&self, node: u32) -> Finding {
        let id = self.id(node);
        let mut primaries = self.ids_of(self.graph.neighbors_directed(ix(node), Incoming).map(nid));
        let mut drs = self.ids_of(self.graph.neighbors_directed(ix(node), Outgoing).map(nid));
        primaries.sort();
        drs.sort();
        let message = format!(
            "{id} is a DR of {} and also the primary of {}",
            primaries.join(", "),
            drs.join(", ")
        );
        Finding::new(CascadedDr { drs, primaries }, vec![id.to_owned()], message)
    }

    /// `cycle` for every strongly connected component of two or more
    /// instances. Only instances with both a primary and a DR can be on a
    /// cycle, so only they are searched (the roles must be set); Kosaraju's
    /// algorithm is iterative, so long chains cannot overflow the stack.
    pub(crate) fn cycles(&self, findings: &mut Vec<Finding>) {
        let both = NodeFiltered::from_fn(&self.graph, |n: NodeIndex<u32>| {
            self.graph[n].role == Role::Cascaded
        });
        for scc in kosaraju_scc(&both) {
            if scc.len() < 2 {
                continue;
            }
            let mut members: Vec<u32> = scc.into_iter().map(nid).collect();
            members.sort_unstable();
            let path = self.simple_cycle(&members);
            let ids = self.ids_of(members.iter().copied());
            let message = match &path {
                Some(path) => format!(
                    "primary -> DR relations form a cycle: {}",
                    path.join(" -> ")
                ),
                None => format!(
                    "primary -> DR relations form cycles among {} instances: {}",
                    ids.len(),
                    ids.join(", ")
                ),
            };
            findings.push(Finding::new(
                Cycle {
                    members: ids.clone(),
                    path,
                },
                ids,
                message,
            ));
        }
    }

    /// The ring `a -> b -> ... -> a` when the members form exactly one
    /// simple cycle.
    fn simple_cycle(&self, members: &[u32]) -> Option<Vec<String>> {
        let inside = |n: u32| members.binary_search(&n).is_ok();
        let mut path = vec![members[0]];
        let mut at = members[0];
        loop {
            let mut next = self
                .graph
                .neighbors_directed(ix(at), Outgoing)
                .map(nid)
                .filter(|&n| inside(n));
            let step = next.next()?;
            if next.next().is_some() {
                return None;
            }
            if step == members[0] {
                break;
            }
            if path.len() >= members.len() {
                return None;
            }
            path.push(step);
            at = step;
        }
        if path.len() != members.len() {
            return None;
        }
        path.push(members[0]);
        Some(self.ids_of(path))
    }
}
