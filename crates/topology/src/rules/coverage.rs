//! What was and was not seen: failed targets (`query-failed`) and edges
//! that only one side claims (`unconfirmed-edge`, `unverified-edge`).

use std::collections::HashSet;

use crate::builder::Side;
use crate::edges::Claim;
use crate::finding::Finding;
use crate::finding::details::{OtherSide, QueryFailed, UnconfirmedEdge, UnverifiedEdge};
use crate::topology::Topology;
use crate::view::EdgeStatus;

impl Topology {
    /// Reports failed targets (one finding per target, its errors joined);
    /// returns them as (region, project) strings.
    pub(crate) fn failed_targets(
        &self,
        mut failed: Vec<(rds_dr_model::Source, String)>,
        findings: &mut Vec<Finding>,
    ) -> HashSet<(String, String)> {
        failed.sort();
        failed.dedup();
        let mut set = HashSet::new();
        for chunk in failed.chunk_by(|a, b| a.0 == b.0) {
            let target = &chunk[0].0;
            let messages: Vec<&str> = chunk.iter().map(|(_, m)| m.as_str()).collect();
            let message = messages.join("; ");
            findings.push(Finding::new(
                QueryFailed {
                    message: message.clone(),
                    operation: None,
                    source: target.to_string(),
                },
                Vec::new(),
                format!(
                    "{target} could not be fetched ({message}); relations seen only from there are missing, so coverage is partial"
                ),
            ));
            set.insert((target.region.clone(), target.project_id.clone()));
        }
        set
    }

    /// The finding for an edge from `p` to `d` that only one side claims
    /// (`claims`), of status `status`: `unverified-edge` when the other
    /// side was not queried (`failed` tells whether it was given and could
    /// not be fetched), else `unconfirmed-edge`.
    pub(crate) fn one_sided(
        &self,
        p: u32,
        d: u32,
        status: EdgeStatus,
        claims: &[Claim],
        failed: &HashSet<(String, String)>,
    ) -> Finding {
        let side = if claims.iter().any(|c| c.side == Side::Primary) {
            Side::Primary
        } else {
            Side::Dr
        };
        let sources: Vec<String> = claims
            .iter()
            .filter(|c| c.side == side)
            .map(|c| self.source_text(c.source))
            .collect();
        let (pid, did) = (self.id(p), self.id(d));
        let said = match side {
            Side::Primary => format!("{} says primary {pid} has DR {did}", sources.join(", ")),
            Side::Dr => format!("{} says DR {did} has primary {pid}", sources.join(", ")),
        };
        let other = match side {
            Side::Primary => d,
            Side::Dr => p,
        };
        let other_loc = self.location(self.where_is(other));
        let other_text = other_loc.to_string();
        let other_side = OtherSide {
            project_id: other_loc.project_id.map(str::to_owned),
            region: other_loc.region.map(str::to_owned),
        };
        let instances = vec![pid.to_owned(), did.to_owned()];
        if status == EdgeStatus::Unverified {
            let was_failed = match (other_loc.region, other_loc.project_id) {
                (Some(r), Some(pr)) => failed.contains(&(r.to_owned(), pr.to_owned())),
                (None, Some(pr)) => failed.iter().any(|(_, fp)| fp == pr),
                _ => false,
            };
            let why = if was_failed {
                "which could not be fetched"
            } else {
                "which was not queried"
            };
            Finding::new(
                UnverifiedEdge {
                    claimed_by: side,
                    dr: did.to_owned(),
                    other_side,
                    other_side_failed: was_failed,
                    primary: pid.to_owned(),
                    sources,
                },
                instances,
                format!(
                    "{said}; the other side is in {other_text}, {why}, so the relation is unverified"
                ),
            )
        } else {
            Finding::new(
                UnconfirmedEdge {
                    claimed_by: side,
                    dr: did.to_owned(),
                    other_side,
                    primary: pid.to_owned(),
                    sources,
                    status,
                },
                instances,
                format!("{said}, but {other_text} (queried) does not list it"),
            )
        }
    }
}
