//! Where instances are: an instance claimed in several locations
//! (`location-conflict`) or under several project names
//! (`project-name-conflict`), and DRs that do not protect against a region
//! failure (`same-region-dr`, `no-cross-region-dr`).

use crate::builder::StatedLocation;
use crate::finding::Finding;
use crate::finding::details::{
    ClaimedLocation, ClaimedName, LocationConflict, NoCrossRegionDr, ProjectNameConflict,
    SameRegionDr,
};
use crate::locations::{Location, Provenance};
use crate::prefetch::{AHEAD, prefetch};
use crate::strings::Sym;
use crate::topology::Topology;

impl Topology {
    /// `location-conflict` for `node`, from every claim about it.
    pub(crate) fn location_conflict(
        &self,
        node: u32,
        claims: &[(StatedLocation, Provenance)],
    ) -> Finding {
        // Group the claims by what they say (region, project).
        let mut said: Vec<(Location<'_>, Vec<Provenance>)> = Vec::new();
        for (l, prov) in claims {
            let mut l = self.location(*l);
            l.project_name = None;
            match said.iter_mut().find(|(k, _)| *k == l) {
                Some((_, provs)) => provs.push(*prov),
                None => said.push((l, vec![*prov])),
            }
        }
        said.sort_by(|a, b| a.0.cmp(&b.0));
        let id = self.id(node);
        let (text, claimants) = self.attributed(&said, |l| l.to_string());
        let claims = said
            .iter()
            .zip(claimants)
            .map(|((l, _), claimed_by)| ClaimedLocation {
                claimed_by,
                project_id: l.project_id.map(str::to_owned),
                region: l.region.map(str::to_owned),
            })
            .collect();
        Finding::new(
            LocationConflict { claims },
            vec![id.to_owned()],
            format!(
                "{id} is reported in different locations: {}",
                text.join("; ")
            ),
        )
    }

    /// `project-name-conflict` for `node`, one per project it is claimed
    /// with several names in.
    pub(crate) fn name_conflicts(
        &self,
        node: u32,
        claims: &[(StatedLocation, Provenance)],
        findings: &mut Vec<Finding>,
    ) {
        let mut projects: Vec<Sym> = claims.iter().filter_map(|(l, _)| l.project).collect();
        projects.sort_by(|a, b| self.strs.get(*a).cmp(self.strs.get(*b)));
        projects.dedup();
        let id = self.id(node);
        for project in projects {
            let mut names: Vec<(&str, Vec<Provenance>)> = Vec::new();
            for (l, prov) in claims.iter().filter(|(l, _)| l.project == Some(project)) {
                let Some(name) = self.strs.opt(l.name) else {
                    continue;
                };
                match names.iter_mut().find(|(k, _)| *k == name) {
                    Some((_, provs)) => provs.push(*prov),
                    None => names.push((name, vec![*prov])),
                }
            }
            if names.len() < 2 {
                continue;
            }
            names.sort_by(|a, b| a.0.cmp(b.0));
            let project = self.strs.get(project);
            let (text, claimants) = self.attributed(&names, |name| format!("{name:?}"));
            let names = names
                .iter()
                .zip(claimants)
                .map(|((name, _), claimed_by)| ClaimedName {
                    claimed_by,
                    project_name: (*name).to_owned(),
                })
                .collect();
            findings.push(Finding::new(
                ProjectNameConflict {
                    names,
                    project_id: project.to_owned(),
                },
                vec![id.to_owned()],
                format!(
                    "{id} (project {project}) is reported with different project names: {}",
                    text.join("; ")
                ),
            ));
        }
    }

    /// `same-region-dr` when DR `d` is in the region of its primary `p`.
    pub(crate) fn same_region_dr(&self, p: u32, d: u32) -> Option<Finding> {
        let (Some(rp), Some(rd)) = (self.where_is(p).region, self.where_is(d).region) else {
            return None;
        };
        if rp != rd {
            return None;
        }
        let (pid, did, region) = (self.id(p), self.id(d), self.strs.get(rp));
        Some(Finding::new(
            SameRegionDr {
                dr: did.to_owned(),
                primary: pid.to_owned(),
                region: region.to_owned(),
            },
            vec![pid.to_owned(), did.to_owned()],
            format!("DR {did} is in the same region ({region}) as its primary {pid}"),
        ))
    }

    /// `no-cross-region-dr` for every primary (of a known region) whose DRs
    /// are all in its region, from the edges (`pairs`, ascending: a
    /// primary's DRs are a run of them). The DRs lie all over the graph:
    /// each is prefetched a few pairs ahead.
    pub(crate) fn no_cross_region_drs(&self, pairs: &[(u32, u32)], findings: &mut Vec<Finding>) {
        let nodes = self.graph.raw_nodes().as_ptr();
        let mut seen = 0;
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            for &(_, ahead) in pairs.iter().skip(seen + AHEAD).take(run.len()) {
                prefetch(crate::graph::node_address(nodes, ahead));
            }
            seen += run.len();
            let p = run[0].0;
            let Some(region) = self.where_is(p).region else {
                continue;
            };
            if run
                .iter()
                .all(|&(_, d)| self.where_is(d).region == Some(region))
            {
                let (id, region) = (self.id(p), self.strs.get(region));
                let drs = self.ids_of(run.iter().map(|&(_, d)| d));
                findings.push(Finding::new(
                    NoCrossRegionDr {
                        drs: drs.clone(),
                        region: region.to_owned(),
                    },
                    vec![id.to_owned()],
                    format!(
                        "primary {id} in {region} has no DR outside {region} (its DRs: {})",
                        drs.join(", ")
                    ),
                ));
            }
        }
    }
}
