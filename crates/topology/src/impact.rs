//! What a region failure does to the DR topology (`rds-dr impact`).
//!
//! The JSON document ([`Impact`]) looks like this:
//!
//! ```json
//! {"failed_regions": ["cn-north-4"],
//!  "summary": {"primaries": 2, "protected": 1, "unprotected": 1, "degraded": 1},
//!  "regions": [
//!   {"region": "cn-north-4", "instances": 5,
//!    "primaries": [
//!      {"id": "P1", "project_id": "...", "project_name": "...", "status": "protected",
//!       "surviving_drs": [{"id": "D1", "region": "ap-southeast-1", "project_id": "...",
//!                          "edge": "confirmed", "health": "healthy", "hops": 1}],
//!       "lost_drs": [], "unknown_drs": []},
//!      {"id": "P2", ..., "status": "unprotected", "surviving_drs": [], "lost_drs": [...], "unknown_drs": []}],
//!    "degraded": [
//!      {"id": "P3", "region": "cn-east-3", "project_id": "...",
//!       "lost_drs": [{"id": "D3", "region": "cn-north-4", ..., "hops": 1}],
//!       "remaining_drs": []}],
//!    "standalone": []}]}
//! ```
//!
//! - `failed_regions`: the regions asked for, sorted, without repeats.
//! - `regions[]`: one entry per failed region; `instances` counts the
//!   instances located there (0 usually means a misspelt region).
//! - `primaries`: every primary (an instance with DRs and no primary) located
//!   in the region. Its `surviving_drs` are the DRs reachable from it,
//!   directly (`hops` 1) or through cascades (`hops` 2+), located outside
//!   every failed region; `lost_drs` are those inside a failed region;
//!   `unknown_drs` those whose region is unknown. `status` is `protected`
//!   when at least one surviving DR protects, else `unprotected`: a DR
//!   protects when the health of every edge on the way to it is `healthy`,
//!   `lagging` or `unknown` (a `broken`, `failed` or `building` edge does
//!   not replicate). `edge` is the status of the edge into that DR (an
//!   `unverified` or one-sided edge is weaker protection than a `confirmed`
//!   one) and `health` its replication health.
//! - `degraded`: instances with DRs (primaries and cascaded DRs) outside every
//!   failed region that lose a direct DR in this region, with the direct DRs
//!   they keep (`remaining_drs`, possibly empty: then they are left without DR).
//! - `standalone`: instances in the region without any DR relation.
//! - `summary`: `primaries` in the failed regions, how many are `protected` and
//!   `unprotected`, and how many distinct instances are `degraded`.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::health::Health;
use crate::topology::Topology;
use crate::view::{EdgeStatus, Role};

/// The impact of losing some regions at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Impact {
    /// The failed regions, sorted, without repeats.
    pub failed_regions: Vec<String>,
    /// Counts over every failed region.
    pub summary: ImpactSummary,
    /// One entry per failed region, in `failed_regions` order.
    pub regions: Vec<RegionImpact>,
}

/// Counts of an [`Impact`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ImpactSummary {
    /// Primaries located in a failed region.
    pub primaries: usize,
    /// Of those, how many keep a DR outside the failed regions.
    pub protected: usize,
    /// Of those, how many keep none.
    pub unprotected: usize,
    /// Distinct instances outside the failed regions that lose a direct DR.
    pub degraded: usize,
}

/// What one failed region takes down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RegionImpact {
    /// The region.
    pub region: String,
    /// Instances located in it.
    pub instances: usize,
    /// Its primaries, sorted by id.
    pub primaries: Vec<PrimaryImpact>,
    /// Instances elsewhere that lose a DR in it, sorted by id.
    pub degraded: Vec<Degraded>,
    /// Its instances without any DR relation, sorted.
    pub standalone: Vec<String>,
}

/// Whether a failed primary keeps a copy outside the failed regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// At least one DR survives.
    Protected,
    /// No DR survives (or none is known to).
    Unprotected,
}

/// A primary in a failed region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PrimaryImpact {
    /// Instance id.
    pub id: String,
    /// Project id, if known.
    pub project_id: Option<String>,
    /// Project name, if known.
    pub project_name: Option<String>,
    /// `protected` or `unprotected`.
    pub status: Protection,
    /// DRs (direct or cascaded) outside the failed regions.
    pub surviving_drs: Vec<DrRef>,
    /// DRs inside a failed region.
    pub lost_drs: Vec<DrRef>,
    /// DRs whose region is unknown.
    pub unknown_drs: Vec<DrRef>,
}

/// An instance outside the failed regions that loses a direct DR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Degraded {
    /// Instance id.
    pub id: String,
    /// Its region, if known.
    pub region: Option<String>,
    /// Its project id, if known.
    pub project_id: Option<String>,
    /// Its direct DRs in this failed region.
    pub lost_drs: Vec<DrRef>,
    /// Its direct DRs outside every failed region (or of unknown region).
    pub remaining_drs: Vec<DrRef>,
}

/// A DR as the impact report names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct DrRef {
    /// Instance id.
    pub id: String,
    /// Region, if known.
    pub region: Option<String>,
    /// Project id, if known.
    pub project_id: Option<String>,
    /// Status of the edge into this DR.
    pub edge: EdgeStatus,
    /// Replication health of the edge into this DR.
    pub health: Health,
    /// DR hops from the primary: 1 for a direct DR, 2 for a DR of a DR, ...
    pub hops: usize,
}

/// A primary and what the failure of its own region alone does to it: what
/// [`Topology::impact`] of that region says of it, without the report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnRegionFailure<'a> {
    /// The primary's id.
    pub primary: String,
    /// Its region.
    pub region: &'a str,
    /// Whether a DR outside that region still protects it.
    pub status: Protection,
}

impl Topology {
    /// What losing every region in `failed_regions` at once does: see the
    /// [module documentation](crate::impact) for the JSON shape.
    ///
    /// ```
    /// use rds_dr_model::synth::{generate, FleetSpec};
    /// use rds_dr_topology::{Protection, Topology};
    ///
    /// let fleet = generate(&FleetSpec::new().seed(1).primaries(30).cross_region_probability(1.0));
    /// let mut builder = Topology::builder();
    /// for capture in &fleet.captures {
    ///     builder.capture(capture);
    /// }
    /// let topology = builder.build();
    /// let impact = topology.impact(&["cn-north-4"]);
    /// // Every DR is in another region: every primary of cn-north-4 survives.
    /// assert!(impact.summary.primaries > 0);
    /// assert_eq!(impact.summary.protected, impact.summary.primaries);
    /// assert!(impact.regions[0].primaries.iter().all(|p| p.status == Protection::Protected));
    /// ```
    pub fn impact<S: AsRef<str>>(&self, failed_regions: &[S]) -> Impact {
        let failed: BTreeSet<&str> = failed_regions.iter().map(AsRef::as_ref).collect();
        let n = self.node_count() as u32;
        let in_failed = |node: u32| self.region_of(node).is_some_and(|r| failed.contains(r));
        let mut summary = ImpactSummary::default();
        let mut degraded_all = BTreeSet::new();
        let mut regions = Vec::new();
        // Visited marks for the descendant walks, reset per primary.
        let mut seen: Vec<bool> = vec![false; n as usize];
        for &region in &failed {
            let mut entry = RegionImpact {
                region: region.to_owned(),
                instances: 0,
                primaries: Vec::new(),
                degraded: Vec::new(),
                standalone: Vec::new(),
            };
            for node in 0..n {
                let here = self.region_of(node) == Some(region);
                let data = self.state(node);
                if here {
                    entry.instances += 1;
                    match data.role {
                        Role::Primary => entry
                            .primaries
                            .push(self.primary_impact(node, &failed, &mut seen)),
                        Role::Standalone => entry.standalone.push(self.id(node).to_owned()),
                        Role::Dr | Role::Cascaded => {}
                    }
                } else if !in_failed(node) && matches!(data.role, Role::Primary | Role::Cascaded) {
                    let drs: Vec<(u32, EdgeStatus, Health)> = self.drs(node).collect();
                    if drs
                        .iter()
                        .any(|&(d, _, _)| self.region_of(d) == Some(region))
                    {
                        let mut lost = Vec::new();
                        let mut remaining = Vec::new();
                        for (d, status, health) in drs {
                            let dr = self.dr_ref(d, status, health, 1);
                            if self.region_of(d) == Some(region) {
                                lost.push(dr);
                            } else if !in_failed(d) {
                                remaining.push(dr);
                            }
                        }
                        lost.sort();
                        remaining.sort();
                        let loc = self.location(self.loc_at(data.place));
                        degraded_all.insert(node);
                        entry.degraded.push(Degraded {
                            id: self.id(node).to_owned(),
                            region: loc.region.map(str::to_owned),
                            project_id: loc.project_id.map(str::to_owned),
                            lost_drs: lost,
                            remaining_drs: remaining,
                        });
                    }
                }
            }
            summary.primaries += entry.primaries.len();
            for p in &entry.primaries {
                match p.status {
                    Protection::Protected => summary.protected += 1,
                    Protection::Unprotected => summary.unprotected += 1,
                }
            }
            regions.push(entry);
        }
        summary.degraded = degraded_all.len();
        Impact {
            failed_regions: failed.iter().map(|r| (*r).to_owned()).collect(),
            summary,
            regions,
        }
    }

    /// Every primary with a known region, sorted by id, and whether it
    /// keeps a protecting DR if its own region alone fails: the `status`
    /// that `impact(&[region])` gives it, found in one pass over the
    /// primaries instead of one report per region. What `rds-dr serve`
    /// exports as `rds_dr_primary_protected` and
    /// `rds_dr_region_failure_unprotected_primaries`.
    ///
    /// ```
    /// use rds_dr_model::synth::{generate, FleetSpec};
    /// use rds_dr_topology::{Protection, Topology};
    ///
    /// let fleet = generate(&FleetSpec::new().seed(1).primaries(30).cross_region_probability(1.0));
    /// let mut builder = Topology::builder();
    /// for capture in &fleet.captures {
    ///     builder.capture(capture);
    /// }
    /// let topology = builder.build();
    /// let failures = topology.own_region_failures();
    /// let here: Vec<_> = failures.iter().filter(|f| f.region == "cn-north-4").collect();
    /// assert_eq!(here.len(), topology.impact(&["cn-north-4"]).summary.primaries);
    /// // Every DR is in another region: each primary survives its region.
    /// assert!(failures.iter().all(|f| f.status == Protection::Protected));
    /// ```
    pub fn own_region_failures(&self) -> Vec<OwnRegionFailure<'_>> {
        let n = self.node_count() as u32;
        let mut seen: Vec<bool> = vec![false; n as usize];
        let mut queue = Vec::new();
        let mut failures: Vec<OwnRegionFailure<'_>> = (0..n)
            .filter(|&node| self.state(node).role == Role::Primary)
            .filter_map(|node| {
                let region = self.region_of(node)?;
                let mut protecting = false;
                self.walk_copies(node, &mut seen, &mut queue, |d, _, _, protects| {
                    protecting |= protects && self.region_of(d).is_some_and(|r| r != region);
                });
                Some(OwnRegionFailure {
                    primary: self.id(node).to_owned(),
                    region,
                    status: if protecting {
                        Protection::Protected
                    } else {
                        Protection::Unprotected
                    },
                })
            })
            .collect();
        failures.sort_unstable_by(|a, b| a.primary.cmp(&b.primary));
        failures
    }

    /// Walks every copy of `node`'s data, breadth first: each DR reachable
    /// from it (directly or through cascades) once, with the status and
    /// health of the edge into it, its hops from `node`, and whether every
    /// edge on the way protects (replicates). `seen` (all false, one mark
    /// a node) and `queue` are scratch space, handed back as they came.
    fn walk_copies(
        &self,
        node: u32,
        seen: &mut [bool],
        queue: &mut Vec<(u32, usize, bool)>,
        mut each: impl FnMut(u32, (EdgeStatus, Health), usize, bool),
    ) {
        queue.clear();
        queue.push((node, 0, true));
        seen[node as usize] = true;
        let mut q = 0;
        while q < queue.len() {
            let (at, hops, path_protects) = queue[q];
            q += 1;
            for (d, status, health) in self.drs(at) {
                if seen[d as usize] {
                    continue;
                }
                seen[d as usize] = true;
                let protects = path_protects && health.protects();
                queue.push((d, hops + 1, protects));
                each(d, (status, health), hops + 1, protects);
            }
        }
        for &(at, _, _) in queue.iter() {
            seen[at as usize] = false;
        }
    }

    fn dr_ref(&self, node: u32, edge: EdgeStatus, health: Health, hops: usize) -> DrRef {
        let loc = self.location(self.where_is(node));
        DrRef {
            id: self.id(node).to_owned(),
            region: loc.region.map(str::to_owned),
            project_id: loc.project_id.map(str::to_owned),
            edge,
            health,
            hops,
        }
    }

    fn primary_impact(
        &self,
        node: u32,
        failed: &BTreeSet<&str>,
        seen: &mut [bool],
    ) -> PrimaryImpact {
        let mut surviving = Vec::new();
        let mut lost = Vec::new();
        let mut unknown = Vec::new();
        let mut protecting = 0;
        let mut queue = Vec::new();
        self.walk_copies(
            node,
            seen,
            &mut queue,
            |d, (status, health), hops, protects| {
                let dr = self.dr_ref(d, status, health, hops);
                match self.region_of(d) {
                    None => unknown.push(dr),
                    Some(r) if failed.contains(r) => lost.push(dr),
                    Some(_) => {
                        protecting += usize::from(protects);
                        surviving.push(dr);
                    }
                }
            },
        );
        let by_hops = |a: &DrRef, b: &DrRef| (a.hops, &a.id).cmp(&(b.hops, &b.id));
        surviving.sort_by(by_hops);
        lost.sort_by(by_hops);
        unknown.sort_by(by_hops);
        let loc = self.location(self.where_is(node));
        PrimaryImpact {
            id: self.id(node).to_owned(),
            project_id: loc.project_id.map(str::to_owned),
            project_name: loc.project_name.map(str::to_owned),
            status: if protecting == 0 {
                Protection::Unprotected
            } else {
                Protection::Protected
            },
            surviving_drs: surviving,
            lost_drs: lost,
            unknown_drs: unknown,
        }
    }
}

impl fmt::Display for DrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}",
            self.id,
            self.region.as_deref().unwrap_or("unknown region")
        )?;
        if self.hops > 1 {
            write!(f, ", {} hops", self.hops)?;
        }
        if self.edge != EdgeStatus::Confirmed {
            write!(f, ", {}", self.edge)?;
        }
        if !matches!(self.health, Health::Healthy | Health::Unknown) {
            write!(f, ", {}", self.health)?;
        }
        f.write_str(")")
    }
}

fn list(drs: &[DrRef]) -> String {
    if drs.is_empty() {
        return "none".to_owned();
    }
    drs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Impact {
    /// A plain-text report, one block per failed region.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        writeln!(
            f,
            "failing {}: {} primaries ({} protected, {} unprotected), {} degraded elsewhere",
            self.failed_regions.join(", "),
            s.primaries,
            s.protected,
            s.unprotected,
            s.degraded
        )?;
        for region in &self.regions {
            writeln!(f)?;
            writeln!(f, "{} ({} instances)", region.region, region.instances)?;
            for p in &region.primaries {
                match p.status {
                    Protection::Protected => writeln!(
                        f,
                        "  protected    {}  survives in {}",
                        p.id,
                        list(&p.surviving_drs)
                    )?,
                    Protection::Unprotected if p.surviving_drs.is_empty() => {
                        writeln!(f, "  UNPROTECTED  {}  no DR survives", p.id)?
                    }
                    Protection::Unprotected => writeln!(
                        f,
                        "  UNPROTECTED  {}  no surviving DR replicates: {}",
                        p.id,
                        list(&p.surviving_drs)
                    )?,
                }
            }
            for d in &region.degraded {
                writeln!(
                    f,
                    "  degraded     {} ({})  loses {}; keeps {}",
                    d.id,
                    d.region.as_deref().unwrap_or("unknown region"),
                    list(&d.lost_drs),
                    list(&d.remaining_drs)
                )?;
            }
            for id in &region.standalone {
                writeln!(f, "  standalone   {id}  has no DR")?;
            }
        }
        Ok(())
    }
}
