//! Synthetic fleets: deterministic, realistic sets of [`Capture`]s for tests,
//! benches, demos and the fake server (cargo feature `synth`, off by default).
//!
//! A fleet is a set of regions, each with a few projects (a project id belongs
//! to exactly one region), and DR groups: a primary with one to three DRs,
//! mostly in other regions, sometimes with a cascaded DR. Every
//! (region, project) of the fleet gets one capture, and every relation is
//! reported consistently from both sides, exactly as ListDrRelations does:
//! the primary's record lists its DRs in `slave_instances`, each DR's record
//! names the primary in `master_instance`.
//!
//! Defects can be injected on purpose ([`Defect`]); each one is built on
//! fresh instances so that defects never interfere with each other.
//! [`Fleet::defects`] then lists every finding a correct checker must report on
//! the fleet (code and instances), including the side effects of an injection
//! (a second primary claiming a DR is also an unconfirmed edge) and the
//! warnings that follow from the spec itself (same-region DRs when the
//! cross-region probability is below 1, cascaded DRs, standalone instances,
//! which the API lists as empty records).
//!
//! Generation is pure (no IO, no clock): the same spec gives the same fleet.
//!
//! ```
//! use rds_dr_model::synth::{generate, Defect, FleetSpec};
//!
//! let spec = FleetSpec::new()
//!     .seed(7)
//!     .region_count(3)
//!     .projects_per_region(2)
//!     .primaries(10)
//!     .cross_region_probability(1.0)
//!     .defect(Defect::UnconfirmedEdge, 1);
//! let fleet = generate(&spec);
//! assert_eq!(fleet.captures.len(), 6); // one per (region, project)
//! assert_eq!(fleet.defects.len(), 1);
//! assert_eq!(fleet.defects[0].kind, "unconfirmed-edge");
//! assert_eq!(fleet.defects[0].instances.len(), 2); // the primary and its DR
//! assert!(fleet.defects[0].instances[0].ends_with("in03"));
//! // Deterministic: the same spec gives the same fleet.
//! assert_eq!(generate(&spec), fleet);
//! ```

use crate::{
    Capture, DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse, Malformed, Source, Value,
};

/// Real Huawei Cloud region ids, used (in this order) by
/// [`FleetSpec::region_count`]; beyond them, names `xx-region-N` are made up.
pub const REGIONS: &[&str] = &[
    "cn-north-4",
    "ap-southeast-1",
    "cn-east-3",
    "cn-south-1",
    "ap-southeast-3",
    "cn-north-1",
    "cn-east-2",
    "cn-southwest-2",
    "ap-southeast-2",
    "af-south-1",
    "la-north-2",
    "la-south-2",
    "sa-brazil-1",
    "na-mexico-1",
    "me-east-1",
    "tr-west-1",
    "eu-west-101",
    "eu-west-0",
    "ru-northwest-2",
    "cn-north-9",
    "cn-east-4",
    "cn-south-2",
    "cn-north-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "af-north-1",
    "cn-north-11",
    "cn-north-12",
    "my-kualalumpur-1",
    "ae-ad-1",
];

/// A defect that [`generate`] can inject, named after the finding it causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Defect {
    /// One side of a primary -> DR edge is dropped (alternately the DR's
    /// record and the primary's); both sides are in the fleet.
    UnconfirmedEdge,
    /// An edge whose other end lives in a project that is not in the fleet
    /// (alternately the DR's and the primary's).
    UnverifiedEdge,
    /// A second primary also lists a DR (which names the first one); the
    /// second claim is also an `unconfirmed-edge`.
    ConflictingPrimary,
    /// An instance lists itself as its own DR (or, alternately, primary).
    SelfRelation,
    /// Two or three instances that are each other's primary in a ring (each
    /// member is also reported as `cascaded-dr`).
    Cycle,
    /// A peer object reports a DR (or primary) in a project other than the
    /// one whose capture returns it.
    LocationConflict,
    /// Two DRs report their common primary with different project names.
    ProjectNameConflict,
    /// A primary with a DR in its own region (and one in another region).
    SameRegionDr,
    /// One record appears twice in its capture.
    DuplicateRecord,
    /// A record with neither `master_instance` nor `slave_instances`.
    EmptyRecord,
    /// In turn: a DR peer without `instance_id`; a record without
    /// `instance_id` (its DR's claim is then also an `unconfirmed-edge`); a
    /// record that is not an object.
    MalformedRecord,
}

impl Defect {
    /// Every defect kind.
    pub const ALL: [Defect; 11] = [
        Defect::UnconfirmedEdge,
        Defect::UnverifiedEdge,
        Defect::ConflictingPrimary,
        Defect::SelfRelation,
        Defect::Cycle,
        Defect::LocationConflict,
        Defect::ProjectNameConflict,
        Defect::SameRegionDr,
        Defect::DuplicateRecord,
        Defect::EmptyRecord,
        Defect::MalformedRecord,
    ];

    /// The finding code this defect causes (the contract's name).
    pub fn code(self) -> &'static str {
        match self {
            Defect::UnconfirmedEdge => "unconfirmed-edge",
            Defect::UnverifiedEdge => "unverified-edge",
            Defect::ConflictingPrimary => "conflicting-primary",
            Defect::SelfRelation => "self-relation",
            Defect::Cycle => "cycle",
            Defect::LocationConflict => "location-conflict",
            Defect::ProjectNameConflict => "project-name-conflict",
            Defect::SameRegionDr => "same-region-dr",
            Defect::DuplicateRecord => "duplicate-record",
            Defect::EmptyRecord => "empty-record",
            Defect::MalformedRecord => "malformed-record",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A generated fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct Fleet {
    /// One capture per (region, project) of the fleet, in region order.
    pub captures: Vec<Capture>,
    /// Every finding a correct checker must report on these captures
    /// (`query-failed` aside), sorted by kind then instances.
    pub defects: Vec<InjectedDefect>,
}

impl Fleet {
    /// Total number of records over all captures.
    pub fn record_count(&self) -> usize {
        self.captures
            .iter()
            .map(|c| c.response.instance_dr_relations.len())
            .sum()
    }
}

/// A finding the generated fleet must produce.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InjectedDefect {
    /// The finding code, e.g. `unconfirmed-edge`.
    pub kind: &'static str,
    /// Every instance the finding is about, sorted.
    pub instances: Vec<String>,
}

mod health;
mod spec;

pub use health::{EdgeHealth, HealthDefect, HealthFleet, HealthSpec, health};
pub use spec::FleetSpec;

/// Generates the fleet that `spec` describes.
pub fn generate(spec: &FleetSpec) -> Fleet {
    let spec = spec.normalized();
    let mut g = Gen::new(&spec);
    g.groups(&spec);
    for _ in 0..spec.standalone {
        let p = g.any_project();
        let x = g.instance(p);
        g.push(p, g.record(x, None, &[]));
        g.expect("empty-record", &[x]);
    }
    for defect in Defect::ALL {
        for n in 0..spec.defects[defect.index()] {
            g.inject(defect, n);
        }
    }
    g.finish()
}

/// The shared SplitMix64 ([`crate::random`]) and the ids synthesis draws.
#[derive(Clone, Debug)]
struct Rng(crate::random::SplitMix64);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng(crate::random::SplitMix64::new(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.0.unit()
    }

    fn hex32(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(36);
        for _ in 0..2 {
            let v = self.next();
            for shift in (0..16).rev() {
                s.push(HEX[((v >> (shift * 4)) & 0xf) as usize] as char);
            }
        }
        s
    }
}

struct Project {
    region: usize,
    id: String,
    name: String,
}

struct Instance {
    id: String,
    project: usize,
}

const PROJECT_SUFFIXES: &[&str] = &["prod", "dr", "analytics", "staging", "payments", "crm"];

struct Gen {
    rng: Rng,
    regions: Vec<String>,
    projects: Vec<Project>,
    /// Fleet projects (those with a capture) per region.
    by_region: Vec<Vec<usize>>,
    fleet_projects: usize,
    instances: Vec<Instance>,
    records: Vec<Vec<Lenient<InstanceDrRelation>>>,
    /// Every primary -> DR relation a checker will see as an edge.
    edges: Vec<(usize, usize)>,
    defects: Vec<InjectedDefect>,
    cross_region: f64,
    drs: (usize, usize),
}

impl Gen {
    fn new(spec: &FleetSpec) -> Gen {
        let mut rng = Rng::seeded(spec.seed ^ 0x5eed_f1ee_7000_0000);
        let mut projects = Vec::new();
        let mut by_region = Vec::new();
        for (r, region) in spec.regions.iter().enumerate() {
            let mut here = Vec::new();
            for p in 0..spec.projects_per_region {
                let name = if p == 0 {
                    region.clone()
                } else {
                    let suffix = PROJECT_SUFFIXES[(p - 1) % PROJECT_SUFFIXES.len()];
                    match (p - 1) / PROJECT_SUFFIXES.len() {
                        0 => format!("{region}_{suffix}"),
                        n => format!("{region}_{suffix}{}", n + 1),
                    }
                };
                here.push(projects.len());
                projects.push(Project {
                    region: r,
                    id: rng.hex32(),
                    name,
                });
            }
            by_region.push(here);
        }
        let fleet_projects = projects.len();
        let expected_instances = spec.primaries * (2 + spec.drs_per_primary.1) / 2;
        Gen {
            rng,
            regions: spec.regions.clone(),
            records: (0..fleet_projects).map(|_| Vec::new()).collect(),
            projects,
            by_region,
            fleet_projects,
            instances: Vec::with_capacity(expected_instances),
            edges: Vec::with_capacity(expected_instances),
            defects: Vec::new(),
            cross_region: spec.cross_region,
            drs: spec.drs_per_primary,
        }
    }

    fn region_of(&self, instance: usize) -> usize {
        self.projects[self.instances[instance].project].region
    }

    fn instance(&mut self, project: usize) -> usize {
        let mut id = self.rng.hex32();
        id.push_str("in03");
        self.instances.push(Instance { id, project });
        self.instances.len() - 1
    }

    fn any_project(&mut self) -> usize {
        self.rng.below(self.fleet_projects)
    }

    fn project_in(&mut self, region: usize) -> usize {
        let here = &self.by_region[region];
        here[self.rng.below(here.len())]
    }

    /// A region other than `region` when there is one.
    fn other_region(&mut self, region: usize) -> usize {
        let n = self.regions.len();
        if n < 2 {
            return region;
        }
        (region + 1 + self.rng.below(n - 1)) % n
    }

    fn project_elsewhere(&mut self, project: usize) -> usize {
        let region = self.other_region(self.projects[project].region);
        self.project_in(region)
    }

    /// A project that has no capture in the fleet, in another region.
    fn project_outside(&mut self, project: usize) -> usize {
        let region = self.other_region(self.projects[project].region);
        let name = format!("{}_partner", self.regions[region]);
        let id = self.rng.hex32();
        self.projects.push(Project { region, id, name });
        self.projects.len() - 1
    }

    /// A DR count in `lo..=hi`, smaller counts more likely (weights
    /// `hi - k + 1`).
    fn dr_count(&mut self) -> usize {
        let (lo, hi) = self.drs;
        let n = hi - lo + 1;
        let total = n * (n + 1) / 2;
        let mut pick = self.rng.below(total);
        for k in 0..n {
            let weight = n - k;
            if pick < weight {
                return lo + k;
            }
            pick -= weight;
        }
        hi
    }

    fn peer(&self, instance: usize) -> DrPeer {
        let project = &self.projects[self.instances[instance].project];
        DrPeer {
            instance_id: Some(self.instances[instance].id.clone()),
            region: Some(self.regions[project.region].clone()),
            project_id: Some(project.id.clone()),
            project_name: Some(project.name.clone()),
        }
    }

    fn record(
        &self,
        instance: usize,
        master: Option<usize>,
        slaves: &[usize],
    ) -> Lenient<InstanceDrRelation> {
        Lenient::Valid(InstanceDrRelation {
            instance_id: Some(self.instances[instance].id.clone()),
            master_instance: master.map(|m| Lenient::Valid(self.peer(m))),
            slave_instances: slaves
                .iter()
                .map(|&s| Lenient::Valid(self.peer(s)))
                .collect(),
        })
    }

    /// Adds a record to a fleet project's capture.
    fn push(&mut self, project: usize, record: Lenient<InstanceDrRelation>) {
        self.records[project].push(record);
    }

    /// Adds `instance`'s record to its own project's capture.
    fn push_own(&mut self, instance: usize, master: Option<usize>, slaves: &[usize]) {
        let record = self.record(instance, master, slaves);
        let project = self.instances[instance].project;
        self.push(project, record);
    }

    fn expect(&mut self, kind: &'static str, instances: &[usize]) {
        let mut ids: Vec<String> = instances
            .iter()
            .map(|&i| self.instances[i].id.clone())
            .collect();
        ids.sort();
        self.defects.push(InjectedDefect {
            kind,
            instances: ids,
        });
    }

    /// A DR's project for a primary in `project`.
    fn dr_project(&mut self, project: usize) -> usize {
        if self.rng.unit() < self.cross_region {
            self.project_elsewhere(project)
        } else {
            let region = self.projects[project].region;
            self.project_in(region)
        }
    }

    /// The consistent DR groups of the spec.
    fn groups(&mut self, spec: &FleetSpec) {
        let mut next_cascade = 0;
        let mut slaves = Vec::with_capacity(spec.drs_per_primary.1);
        for i in 0..spec.primaries {
            // Spread the cascades evenly over the primaries.
            let cascade =
                next_cascade < spec.cascaded && i == next_cascade * spec.primaries / spec.cascaded;
            if cascade {
                next_cascade += 1;
            }
            let project = self.any_project();
            let primary = self.instance(project);
            slaves.clear();
            for _ in 0..self.dr_count() {
                let dr_project = self.dr_project(project);
                let dr = self.instance(dr_project);
                self.edges.push((primary, dr));
                slaves.push(dr);
            }
            self.push_own(primary, None, &slaves);
            for (k, &dr) in slaves.iter().enumerate() {
                if cascade && k == 0 {
                    let project = self.project_elsewhere(self.instances[dr].project);
                    let second = self.instance(project);
                    self.edges.push((dr, second));
                    self.push_own(dr, Some(primary), &[second]);
                    self.push_own(second, Some(dr), &[]);
                } else {
                    self.push_own(dr, Some(primary), &[]);
                }
            }
        }
    }

    /// A fresh primary in a random project and a DR in another region.
    fn pair(&mut self) -> (usize, usize) {
        let project = self.any_project();
        let primary = self.instance(project);
        let dr_project = self.project_elsewhere(project);
        let dr = self.instance(dr_project);
        self.edges.push((primary, dr));
        (primary, dr)
    }

    fn inject(&mut self, defect: Defect, n: usize) {
        match defect {
            Defect::UnconfirmedEdge => {
                let (p, d) = self.pair();
                if n.is_multiple_of(2) {
                    self.push_own(p, None, &[d]);
                } else {
                    self.push_own(d, Some(p), &[]);
                }
                self.expect(defect.code(), &[p, d]);
            }
            Defect::UnverifiedEdge => {
                let project = self.any_project();
                let inside = self.instance(project);
                let outside_project = self.project_outside(project);
                let outside = self.instance(outside_project);
                if n.is_multiple_of(2) {
                    self.edges.push((inside, outside));
                    self.push_own(inside, None, &[outside]);
                } else {
                    self.edges.push((outside, inside));
                    self.push_own(inside, Some(outside), &[]);
                }
                self.expect(defect.code(), &[inside, outside]);
            }
            Defect::ConflictingPrimary => {
                let (p1, d) = self.pair();
                let project = self.any_project();
                let p2 = self.instance(project);
                self.edges.push((p2, d));
                self.push_own(p1, None, &[d]);
                self.push_own(p2, None, &[d]);
                self.push_own(d, Some(p1), &[]);
                self.expect(defect.code(), &[d, p1, p2]);
                self.expect(Defect::UnconfirmedEdge.code(), &[p2, d]);
            }
            Defect::SelfRelation => {
                let project = self.any_project();
                let x = self.instance(project);
                if n.is_multiple_of(2) {
                    self.push_own(x, None, &[x]);
                } else {
                    self.push_own(x, Some(x), &[]);
                }
                self.expect(defect.code(), &[x]);
            }
            Defect::Cycle => {
                let len = 2 + n % 2;
                let mut members = Vec::with_capacity(len);
                let mut project = self.any_project();
                for _ in 0..len {
                    members.push(self.instance(project));
                    project = self.project_elsewhere(project);
                }
                for k in 0..len {
                    let master = members[(k + len - 1) % len];
                    let slave = members[(k + 1) % len];
                    self.edges.push((members[k], slave));
                    self.push_own(members[k], Some(master), &[slave]);
                }
                self.expect(defect.code(), &members);
            }
            Defect::LocationConflict => {
                let (p, d) = self.pair();
                // The peer object names a project other than the instance's own.
                let (victim, true_project) = if n.is_multiple_of(2) {
                    (d, self.instances[d].project)
                } else {
                    (p, self.instances[p].project)
                };
                let wrong = if self.fleet_projects > 1 {
                    let k = self.rng.below(self.fleet_projects - 1);
                    if k >= true_project { k + 1 } else { k }
                } else {
                    self.project_outside(true_project)
                };
                let mut wrong_peer = self.peer(victim);
                let project = &self.projects[wrong];
                wrong_peer.region = Some(self.regions[project.region].clone());
                wrong_peer.project_id = Some(project.id.clone());
                wrong_peer.project_name = Some(project.name.clone());
                let p_id = self.instances[p].id.clone();
                let d_id = self.instances[d].id.clone();
                let (p_record, d_record) = if victim == d {
                    (
                        InstanceDrRelation {
                            instance_id: Some(p_id),
                            master_instance: None,
                            slave_instances: vec![Lenient::Valid(wrong_peer)],
                        },
                        InstanceDrRelation {
                            instance_id: Some(d_id),
                            master_instance: Some(Lenient::Valid(self.peer(p))),
                            slave_instances: Vec::new(),
                        },
                    )
                } else {
                    (
                        InstanceDrRelation {
                            instance_id: Some(p_id),
                            master_instance: None,
                            slave_instances: vec![Lenient::Valid(self.peer(d))],
                        },
                        InstanceDrRelation {
                            instance_id: Some(d_id),
                            master_instance: Some(Lenient::Valid(wrong_peer)),
                            slave_instances: Vec::new(),
                        },
                    )
                };
                let (pp, dp) = (self.instances[p].project, self.instances[d].project);
                self.push(pp, Lenient::Valid(p_record));
                self.push(dp, Lenient::Valid(d_record));
                self.expect(defect.code(), &[victim]);
            }
            Defect::ProjectNameConflict => {
                let (p, d1) = self.pair();
                let project = self.project_elsewhere(self.instances[p].project);
                let d2 = self.instance(project);
                self.edges.push((p, d2));
                self.push_own(p, None, &[d1, d2]);
                self.push_own(d1, Some(p), &[]);
                let mut renamed = self.peer(p);
                renamed.project_name = Some(format!(
                    "{}-renamed",
                    self.projects[self.instances[p].project].name
                ));
                let record = InstanceDrRelation {
                    instance_id: Some(self.instances[d2].id.clone()),
                    master_instance: Some(Lenient::Valid(renamed)),
                    slave_instances: Vec::new(),
                };
                self.push(project, Lenient::Valid(record));
                self.expect(defect.code(), &[p]);
            }
            Defect::SameRegionDr => {
                // Reported by the generic pass in `finish` (the edge is registered).
                let (p, d1) = self.pair();
                let region = self.region_of(p);
                let project = self.project_in(region);
                let d2 = self.instance(project);
                self.edges.push((p, d2));
                self.push_own(p, None, &[d1, d2]);
                self.push_own(d1, Some(p), &[]);
                self.push_own(d2, Some(p), &[]);
            }
            Defect::DuplicateRecord => {
                let (p, d) = self.pair();
                let twice = if n.is_multiple_of(2) { p } else { d };
                self.push_own(p, None, &[d]);
                self.push_own(d, Some(p), &[]);
                if twice == p {
                    self.push_own(p, None, &[d]);
                } else {
                    self.push_own(d, Some(p), &[]);
                }
                self.expect(defect.code(), &[twice]);
            }
            Defect::EmptyRecord => {
                let project = self.any_project();
                let x = self.instance(project);
                self.push_own(x, None, &[]);
                self.expect(defect.code(), &[x]);
            }
            Defect::MalformedRecord => self.malformed(n),
        }
    }

    fn malformed(&mut self, n: usize) {
        let code = Defect::MalformedRecord.code();
        let project = self.any_project();
        match n % 3 {
            0 => {
                // A DR peer without an instance id: the relation is lost.
                let x = self.instance(project);
                let mut broken = self.peer(x);
                broken.instance_id = None;
                let other = self.project_elsewhere(project);
                let shadow = &self.projects[other];
                broken.region = Some(self.regions[shadow.region].clone());
                broken.project_id = Some(shadow.id.clone());
                broken.project_name = Some(shadow.name.clone());
                let record = InstanceDrRelation {
                    instance_id: Some(self.instances[x].id.clone()),
                    master_instance: None,
                    slave_instances: vec![Lenient::Valid(broken)],
                };
                self.push(project, Lenient::Valid(record));
                self.expect(code, &[x]);
            }
            1 => {
                // A primary's record without its instance id: its DR still names it.
                let primary = self.instance(project);
                let dr_project = self.project_elsewhere(project);
                let dr = self.instance(dr_project);
                self.edges.push((primary, dr));
                let record = InstanceDrRelation {
                    instance_id: None,
                    master_instance: None,
                    slave_instances: vec![Lenient::Valid(self.peer(dr))],
                };
                self.push(project, Lenient::Valid(record));
                self.push_own(dr, Some(primary), &[]);
                self.expect(code, &[dr]);
                self.expect(Defect::UnconfirmedEdge.code(), &[primary, dr]);
            }
            _ => {
                // Not an object at all.
                let record = Lenient::Malformed(Malformed {
                    error: "invalid type: integer `42`, expected struct InstanceDrRelation"
                        .to_owned(),
                    raw: Value::U64(42),
                });
                self.push(project, record);
                self.defects.push(InjectedDefect {
                    kind: code,
                    instances: Vec::new(),
                });
            }
        }
    }

    /// Adds the findings that follow from the registered edges and the
    /// instances' regions, then assembles the captures.
    fn finish(mut self) -> Fleet {
        let n = self.instances.len();
        let mut has_in = vec![false; n];
        let mut has_out = vec![false; n];
        let mut has_cross = vec![false; n];
        let mut same_region = Vec::new();
        for &(p, d) in &self.edges {
            has_out[p] = true;
            has_in[d] = true;
            if self.region_of(p) == self.region_of(d) {
                same_region.push((p, d));
            } else {
                has_cross[p] = true;
            }
        }
        for (p, d) in same_region {
            self.expect("same-region-dr", &[p, d]);
        }
        for i in 0..n {
            if has_out[i] && !has_cross[i] {
                self.expect("no-cross-region-dr", &[i]);
            }
            if has_out[i] && has_in[i] {
                self.expect("cascaded-dr", &[i]);
            }
        }
        self.defects.sort();
        let captures = self
            .records
            .into_iter()
            .enumerate()
            .map(|(p, records)| {
                let project = &self.projects[p];
                Capture {
                    source: Source::new(self.regions[project.region].clone(), project.id.clone()),
                    fetched_at: None,
                    response: ListDrRelationsResponse {
                        instance_dr_relations: records,
                    },
                }
            })
            .collect();
        Fleet {
            captures,
            defects: self.defects,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use super::*;

    fn ids_of(fleet: &Fleet) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for c in &fleet.captures {
            for r in c
                .response
                .instance_dr_relations
                .iter()
                .filter_map(Lenient::valid)
            {
                ids.extend(r.instance_id.clone());
            }
        }
        ids
    }

    #[test]
    fn deterministic_for_a_seed_and_different_across_seeds() {
        let spec = FleetSpec::new()
            .seed(42)
            .primaries(50)
            .cascaded(3)
            .every_defect(2);
        assert_eq!(generate(&spec), generate(&spec));
        assert_ne!(generate(&spec), generate(&spec.clone().seed(43)));
    }

    #[test]
    fn one_capture_per_project_and_projects_belong_to_one_region() {
        let fleet = generate(
            &FleetSpec::new()
                .region_count(5)
                .projects_per_region(3)
                .primaries(30),
        );
        assert_eq!(fleet.captures.len(), 15);
        let mut region_of = HashMap::new();
        for c in &fleet.captures {
            assert!(c.source.validate().is_ok(), "{}", c.source);
            assert!(
                region_of
                    .insert(c.source.project_id.clone(), c.source.region.clone())
                    .is_none()
            );
        }
        let regions: BTreeSet<_> = region_of.values().collect();
        assert_eq!(regions.len(), 5);
    }

    #[test]
    fn consistent_fleet_reports_every_relation_from_both_sides() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(3)
                .primaries(200)
                .cross_region_probability(1.0),
        );
        assert!(fleet.defects.is_empty(), "{:?}", fleet.defects);
        // Where each instance's own record is, and what peers say about it.
        let mut home: HashMap<String, Source> = HashMap::new();
        let mut claims_primary: BTreeSet<(String, String)> = BTreeSet::new();
        let mut claims_dr: BTreeSet<(String, String)> = BTreeSet::new();
        let mut peer_locations: Vec<(String, Source)> = Vec::new();
        for c in &fleet.captures {
            for r in &c.response.instance_dr_relations {
                let r = r.valid().expect("no malformed records without defects");
                let id = r.instance_id.clone().expect("every record has an id");
                assert!(id.len() == 36 && id.ends_with("in03"), "{id}");
                assert!(
                    home.insert(id.clone(), c.source.clone()).is_none(),
                    "{id} listed twice"
                );
                assert!(r.master_instance.is_some() || !r.slave_instances.is_empty());
                let mut peers = Vec::new();
                if let Some(m) = &r.master_instance {
                    let m = m.valid().expect("valid peer");
                    claims_dr.insert((m.instance_id.clone().expect("id"), id.clone()));
                    peers.push(m);
                }
                for s in &r.slave_instances {
                    let s = s.valid().expect("valid peer");
                    claims_primary.insert((id.clone(), s.instance_id.clone().expect("id")));
                    peers.push(s);
                }
                for p in peers {
                    let loc = Source::new(
                        p.region.clone().expect("region"),
                        p.project_id.clone().expect("project"),
                    );
                    peer_locations.push((p.instance_id.clone().expect("id"), loc));
                }
            }
        }
        assert_eq!(claims_primary, claims_dr);
        assert!(claims_primary.len() >= 200);
        for (id, loc) in peer_locations {
            assert_eq!(home.get(&id), Some(&loc), "peer location of {id}");
        }
        // Cross-region: every DR's region differs from its primary's.
        for (p, d) in &claims_primary {
            assert_ne!(home[p].region, home[d].region);
        }
    }

    #[test]
    fn dr_counts_stay_in_range_and_favour_small_counts() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(9)
                .primaries(3000)
                .drs_per_primary(1..=3),
        );
        let mut histogram: BTreeMap<usize, usize> = BTreeMap::new();
        for c in &fleet.captures {
            for r in c
                .response
                .instance_dr_relations
                .iter()
                .filter_map(Lenient::valid)
            {
                if r.master_instance.is_none() {
                    *histogram.entry(r.slave_instances.len()).or_default() += 1;
                }
            }
        }
        assert_eq!(histogram.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(histogram.values().sum::<usize>(), 3000);
        assert!(
            histogram[&1] > histogram[&2] && histogram[&2] > histogram[&3],
            "{histogram:?}"
        );
        let instances = ids_of(&fleet).len();
        assert!((7600..8400).contains(&instances), "{instances} instances");
    }

    #[test]
    fn every_defect_is_recorded_with_its_instances() {
        let spec = FleetSpec::new()
            .seed(5)
            .primaries(40)
            .cross_region_probability(1.0)
            .every_defect(3);
        let fleet = generate(&spec);
        let ids = ids_of(&fleet);
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &fleet.defects {
            *kinds.entry(d.kind).or_default() += 1;
            let mut sorted = d.instances.clone();
            sorted.sort();
            assert_eq!(sorted, d.instances);
        }
        for defect in Defect::ALL {
            assert!(
                kinds.get(defect.code()).copied().unwrap_or(0) >= 3,
                "{defect:?}: {kinds:?}"
            );
        }
        // Instances named by location, name, duplicate, empty, self defects have own records.
        for d in &fleet.defects {
            if matches!(
                d.kind,
                "duplicate-record" | "empty-record" | "self-relation" | "cycle"
            ) {
                for id in &d.instances {
                    assert!(ids.contains(id), "{} {id}", d.kind);
                }
            }
        }
        let malformed = fleet
            .captures
            .iter()
            .flat_map(|c| &c.response.instance_dr_relations)
            .filter(|r| !r.is_valid())
            .count();
        assert_eq!(malformed, 1);
    }

    #[test]
    fn same_region_probability_zero_records_warnings() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(1)
                .primaries(10)
                .cross_region_probability(0.0),
        );
        let same = fleet
            .defects
            .iter()
            .filter(|d| d.kind == "same-region-dr")
            .count();
        let none = fleet
            .defects
            .iter()
            .filter(|d| d.kind == "no-cross-region-dr")
            .count();
        assert!(same >= 10);
        assert_eq!(none, 10);
    }

    #[test]
    fn cascades_and_standalone_are_recorded() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(2)
                .primaries(10)
                .cross_region_probability(1.0)
                .cascaded(4)
                .standalone(2),
        );
        let count = |kind: &str| fleet.defects.iter().filter(|d| d.kind == kind).count();
        assert_eq!(count("cascaded-dr"), 4);
        assert_eq!(count("empty-record"), 2);
        assert_eq!(fleet.defects.len(), 6);
    }

    #[test]
    fn clamps_odd_settings() {
        let fleet = generate(
            &FleetSpec::new()
                .regions(Vec::<String>::new())
                .projects_per_region(0)
                .drs_per_primary(0..=0)
                .cross_region_probability(f64::NAN)
                .primaries(3)
                .cascaded(10),
        );
        assert_eq!(fleet.captures.len(), 4);
        assert_eq!(
            fleet
                .defects
                .iter()
                .filter(|d| d.kind == "cascaded-dr")
                .count(),
            3
        );
        // One region only: every DR is in the same region, and says so.
        let fleet = generate(
            &FleetSpec::new()
                .regions(["xx-one", "xx-one"])
                .primaries(2)
                .every_defect(1),
        );
        assert_eq!(fleet.captures.len(), 2);
        assert!(fleet.defects.iter().any(|d| d.kind == "no-cross-region-dr"));
    }

    #[test]
    fn region_names() {
        let spec = FleetSpec::new()
            .region_count(32)
            .projects_per_region(1)
            .primaries(0);
        let fleet = generate(&spec);
        assert_eq!(fleet.captures[0].source.region, "cn-north-4");
        assert_eq!(fleet.captures[31].source.region, "xx-region-32");
        assert_eq!(fleet.record_count(), 0);
    }
}
