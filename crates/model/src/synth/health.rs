//! ListDrInfos captures for a generated fleet: one record per edge, with
//! health defects injected on purpose ([`HealthDefect`]).
//!
//! Every (region, project) of the fleet gets one [`InfosCapture`] (empty when
//! none of its edges is recorded there). An edge's record sits in the capture
//! of its primary's (region, project) when that project is in the fleet, else
//! in its DR's. [`HealthFleet::defects`] lists the findings a correct checker
//! must add to those of the relations, and [`HealthFleet::health`] the health
//! every recorded edge must get.
//!
//! ```
//! use rds_dr_model::synth::{FleetSpec, HealthDefect, HealthSpec, generate, health};
//!
//! let fleet = generate(&FleetSpec::new().seed(3).primaries(12));
//! let infos = health(&fleet, &HealthSpec::new().defect(HealthDefect::Broken, 1));
//! assert_eq!(infos.captures.len(), fleet.captures.len());
//! assert_eq!(infos.defects.len(), 1);
//! assert_eq!(infos.defects[0].kind, "replication-broken");
//! assert_eq!(infos.health.iter().filter(|e| e.health == "broken").count(), 1);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Fleet, InjectedDefect, Rng};
use crate::{InfosCapture, InstanceDrInfo, Lenient, ListDrInfosResponse, Source};

/// A health defect that [`health`] can inject, each on its own edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum HealthDefect {
    /// `failed_message` set and `status` `failed`: `dr-failed`.
    Failed,
    /// `replica_state` `-1`: `replication-broken`.
    Broken,
    /// `status` `building`, no `replica_state`: health `building`, no finding.
    Building,
    /// A send lag of 200 MB (over the default 64): `replication-lagging`.
    Lagging,
    /// The edge's record left out: `health-missing`.
    Missing,
    /// A record for a pair of fresh instances that is no edge: `health-orphan`.
    Orphan,
    /// A second record for the edge (in the DR's capture) with another
    /// `status`: `health-conflict`.
    Conflict,
}

impl HealthDefect {
    /// Every health defect kind.
    pub const ALL: [HealthDefect; 7] = [
        HealthDefect::Failed,
        HealthDefect::Broken,
        HealthDefect::Building,
        HealthDefect::Lagging,
        HealthDefect::Missing,
        HealthDefect::Orphan,
        HealthDefect::Conflict,
    ];

    /// The finding code it causes; `None` for [`HealthDefect::Building`].
    pub fn code(self) -> Option<&'static str> {
        match self {
            HealthDefect::Failed => Some("dr-failed"),
            HealthDefect::Broken => Some("replication-broken"),
            HealthDefect::Building => None,
            HealthDefect::Lagging => Some("replication-lagging"),
            HealthDefect::Missing => Some("health-missing"),
            HealthDefect::Orphan => Some("health-orphan"),
            HealthDefect::Conflict => Some("health-conflict"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What [`health`] injects: a builder; by default every edge is healthy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthSpec {
    seed: u64,
    defects: [usize; HealthDefect::ALL.len()],
}

impl HealthSpec {
    /// Seed 0, no defects.
    pub fn new() -> Self {
        HealthSpec::default()
    }

    /// The seed of the pseudo-random generator (lags, ids, times).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Inject `count` defects of one kind (replaces an earlier count).
    pub fn defect(mut self, defect: HealthDefect, count: usize) -> Self {
        self.defects[defect.index()] = count;
        self
    }

    /// Inject `count` defects of every kind.
    pub fn every_defect(mut self, count: usize) -> Self {
        self.defects = [count; HealthDefect::ALL.len()];
        self
    }
}

/// The ListDrInfos side of a generated fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthFleet {
    /// One capture per (region, project) of the fleet, in the fleet's order.
    pub captures: Vec<InfosCapture>,
    /// The findings the records cause, sorted by kind then instances.
    pub defects: Vec<InjectedDefect>,
    /// The health of every edge, sorted by (primary, DR): `unknown` for the
    /// edges left without a record.
    pub health: Vec<EdgeHealth>,
}

impl HealthFleet {
    /// Total number of records over all captures.
    pub fn record_count(&self) -> usize {
        self.captures
            .iter()
            .map(|c| c.response.instance_dr_infos.len())
            .sum()
    }
}

/// The health a correct merge gives one edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeHealth {
    /// The primary's instance id.
    pub primary: String,
    /// The DR's instance id.
    pub dr: String,
    /// `healthy`, `failed`, `broken`, `building`, `lagging` or `unknown`.
    pub health: &'static str,
}

/// One primary -> DR edge as the relations state it.
struct Edge {
    primary: String,
    dr: String,
    primary_at: Source,
    dr_at: Source,
}

/// Generates the ListDrInfos captures of `fleet`: a healthy record per
/// edge, and the defects `spec` asks for, each on a different edge whose
/// instances are in no defect of the relations (fewer when there are not
/// enough such edges). Pure and deterministic.
pub fn health(fleet: &Fleet, spec: &HealthSpec) -> HealthFleet {
    let mut rng = Rng::seeded(spec.seed ^ 0x4ea1_7400_0000_0000);
    let fleet_sources: BTreeSet<&Source> = fleet.captures.iter().map(|c| &c.source).collect();
    let edges = edges(fleet);
    let involved: BTreeSet<&str> = fleet
        .defects
        .iter()
        .flat_map(|d| d.instances.iter().map(String::as_str))
        .collect();
    let clean: Vec<usize> = (0..edges.len())
        .filter(|&i| !involved.contains(edges[i].primary.as_str()))
        .filter(|&i| !involved.contains(edges[i].dr.as_str()))
        .collect();

    // Defects take clean edges in turn, spread over the list.
    let mut assigned: HashMap<usize, HealthDefect> = HashMap::new();
    let mut orphans = 0;
    let mut next_clean = clean
        .iter()
        .copied()
        .step_by(7)
        .chain(clean.iter().copied());
    for defect in HealthDefect::ALL {
        for _ in 0..spec.defects[defect.index()] {
            if defect == HealthDefect::Orphan {
                orphans += 1;
                continue;
            }
            if let Some(edge) = next_clean.by_ref().find(|i| !assigned.contains_key(i)) {
                assigned.insert(edge, defect);
            }
        }
    }

    let mut records: BTreeMap<&Source, Vec<Lenient<InstanceDrInfo>>> =
        fleet_sources.iter().map(|s| (*s, Vec::new())).collect();
    let mut defects = Vec::new();
    let mut health = Vec::new();
    for (index, edge) in edges.iter().enumerate() {
        let home = if fleet_sources.contains(&edge.primary_at) {
            &edge.primary_at
        } else {
            &edge.dr_at
        };
        if !records.contains_key(home) {
            continue;
        }
        let mut record = healthy(&mut rng, edge, index);
        let defect = assigned.get(&index).copied();
        let state = match defect {
            None => "healthy",
            Some(HealthDefect::Failed) => {
                record.status = Some("failed".into());
                record.failed_message =
                    Some("DR setup failed: the DR instance is unreachable".into());
                "failed"
            }
            Some(HealthDefect::Broken) => {
                record.replica_state = Some("-1".into());
                "broken"
            }
            Some(HealthDefect::Building) => {
                record.status = Some("building".into());
                record.replica_state = None;
                record.wal_write_receive_delay_in_mb = None;
                record.wal_write_replay_delay_in_mb = None;
                record.wal_receive_replay_delay_in_ms = None;
                record.build_process = Some("slave".into());
                "building"
            }
            Some(HealthDefect::Lagging) => {
                record.wal_write_receive_delay_in_mb = Some("200.5".into());
                record.wal_write_replay_delay_in_mb = Some("210.0".into());
                "lagging"
            }
            Some(HealthDefect::Missing) => "unknown",
            Some(HealthDefect::Conflict) | Some(HealthDefect::Orphan) => "healthy",
        };
        if let Some(code) = defect.and_then(HealthDefect::code) {
            defects.push(InjectedDefect {
                kind: code,
                instances: sorted_pair(&edge.primary, &edge.dr),
            });
        }
        health.push(EdgeHealth {
            primary: edge.primary.clone(),
            dr: edge.dr.clone(),
            health: state,
        });
        if defect == Some(HealthDefect::Missing) {
            continue;
        }
        if defect == Some(HealthDefect::Conflict) {
            let mut other = record.clone();
            other.id = Some(rng.hex32());
            other.status = Some("available".into());
            let other_home = if home == &edge.primary_at {
                &edge.dr_at
            } else {
                &edge.primary_at
            };
            let target = if records.contains_key(other_home) {
                other_home
            } else {
                home
            };
            if let Some(other_list) = records.get_mut(target) {
                other_list.push(Lenient::Valid(other));
            }
        }
        if let Some(list) = records.get_mut(home) {
            list.push(Lenient::Valid(record));
        }
    }

    // Orphans: records for fresh pairs, in the first captures of the fleet.
    let homes: Vec<&Source> = records.keys().copied().collect();
    for n in 0..orphans {
        let Some(home) = homes.get(n % homes.len().max(1)).copied() else {
            break;
        };
        let primary = format!("{}in03", rng.hex32());
        let dr = format!("{}in03", rng.hex32());
        let edge = Edge {
            primary: primary.clone(),
            dr: dr.clone(),
            primary_at: home.clone(),
            dr_at: home.clone(),
        };
        let record = healthy(&mut rng, &edge, edges.len() + n);
        if let Some(list) = records.get_mut(home) {
            list.push(Lenient::Valid(record));
        }
        defects.push(InjectedDefect {
            kind: "health-orphan",
            instances: sorted_pair(&primary, &dr),
        });
    }

    let captures = fleet
        .captures
        .iter()
        .map(|c| {
            let list = records.remove(&c.source).unwrap_or_default();
            let response = ListDrInfosResponse {
                total_count: Some(list.len() as i64),
                instance_dr_infos: list,
            };
            InfosCapture::new(c.source.clone(), response)
        })
        .collect();
    defects.sort();
    health.sort();
    HealthFleet {
        captures,
        defects,
        health,
    }
}

fn sorted_pair(a: &str, b: &str) -> Vec<String> {
    let mut pair = vec![a.to_owned(), b.to_owned()];
    pair.sort();
    pair
}

/// A healthy record for `edge`: state normal, small lags.
fn healthy(rng: &mut Rng, edge: &Edge, index: usize) -> InstanceDrInfo {
    let send = rng.below(4000) as f64 / 100.0;
    let replay = send + rng.below(1000) as f64 / 100.0;
    InstanceDrInfo {
        id: Some(rng.hex32()),
        status: Some("normal".into()),
        master_instance_id: Some(edge.primary.clone()),
        master_region: Some(edge.primary_at.region.clone()),
        slave_instance_id: Some(edge.dr.clone()),
        slave_region: Some(edge.dr_at.region.clone()),
        time: Some(1_733_000_000_000 + (index as i64) * 60_000),
        failed_message: None,
        replica_state: Some("0".into()),
        wal_write_receive_delay_in_mb: Some(format!("{send:.2}")),
        wal_write_replay_delay_in_mb: Some(format!("{replay:.2}")),
        wal_receive_replay_delay_in_ms: Some(rng.below(5000).to_string()),
        build_process: None,
    }
}

/// Every distinct primary -> DR edge the fleet's records state (either
/// side), with each end's (region, project), sorted by (primary, DR).
/// Self-relations are left out.
fn edges(fleet: &Fleet) -> Vec<Edge> {
    let mut found: BTreeMap<(String, String), (Source, Source)> = BTreeMap::new();
    for capture in &fleet.captures {
        for record in &capture.response.instance_dr_relations {
            let Some(record) = record.valid() else {
                continue;
            };
            let Some(own) = &record.instance_id else {
                continue;
            };
            let peer_at = |peer: &crate::DrPeer| {
                Source::new(
                    peer.region.clone().unwrap_or_default(),
                    peer.project_id.clone().unwrap_or_default(),
                )
            };
            for slave in record.slave_instances.iter().filter_map(Lenient::valid) {
                if let Some(dr) = &slave.instance_id
                    && dr != own
                {
                    found
                        .entry((own.clone(), dr.clone()))
                        .or_insert_with(|| (capture.source.clone(), peer_at(slave)));
                }
            }
            if let Some(master) = record.master_instance.as_ref().and_then(Lenient::valid)
                && let Some(primary) = &master.instance_id
                && primary != own
            {
                found
                    .entry((primary.clone(), own.clone()))
                    .or_insert_with(|| (peer_at(master), capture.source.clone()));
            }
        }
    }
    found
        .into_iter()
        .map(|((primary, dr), (primary_at, dr_at))| Edge {
            primary,
            dr,
            primary_at,
            dr_at,
        })
        .collect()
}
