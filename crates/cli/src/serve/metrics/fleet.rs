//! The families that describe the fleet of one scan: instances, edges,
//! findings, each edge's replication and each primary's protection. They
//! read the topology and the region failures computed from it, nothing
//! else of the scan, so `benches/serve_metrics.rs` encodes them in-process.

use rds_dr_topology::{Code, EdgeStatus, Role, Topology};

use crate::serve::exposition::{Exposition, Kind, LabelSet};

/// Every edge health value, in the contract's order: `rds_dr_edges_by_health`
/// reports each of them, 0 included.
pub const HEALTH_VALUES: [&str; 6] = [
    "healthy", "lagging", "broken", "failed", "building", "unknown",
];

/// What `rds_dr_replication_*` say about one edge whose replication state
/// is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication<'a> {
    /// The primary's id.
    pub primary: &'a str,
    /// The DR's id.
    pub dr: &'a str,
    /// The primary's region.
    pub primary_region: &'a str,
    /// The DR's region.
    pub dr_region: &'a str,
    /// `replica_state` normal.
    pub up: bool,
    /// Send lag in MB, when known.
    pub send_lag_mb: Option<f64>,
    /// Replay lag in MB, when known.
    pub replay_lag_mb: Option<f64>,
    /// Replay delay in ms, when known.
    pub replay_delay_ms: Option<f64>,
}

/// Edges by health, in [`HEALTH_VALUES`] order.
pub fn edges_by_health(topology: &Topology) -> [usize; HEALTH_VALUES.len()] {
    let counts = topology.summary().edge_health;
    [
        counts.healthy,
        counts.lagging,
        counts.broken,
        counts.failed,
        counts.building,
        counts.unknown,
    ]
}

/// The edges whose replication state is known (a ListDrInfos record gave
/// `replica_state` `0` or `-1`), in view order (by primary, then DR); an
/// unknown region is empty. Read from the topology's tables
/// ([`Topology::replication`]): no view, and no edge's `EdgeHealth`.
#[cfg(test)]
pub fn replication(topology: &Topology) -> Vec<Replication<'_>> {
    edges(topology).1
}

/// The edge statuses of `rds_dr_edges`.
const STATUSES: [EdgeStatus; 4] = [
    EdgeStatus::Confirmed,
    EdgeStatus::PrimaryOnly,
    EdgeStatus::DrOnly,
    EdgeStatus::Unverified,
];

/// Edges by status (in [`STATUSES`] order) and [`replication`], in one
/// pass over the edges.
fn edges(topology: &Topology) -> ([usize; STATUSES.len()], Vec<Replication<'_>>) {
    let mut by_status = [0; STATUSES.len()];
    let mut known = Vec::with_capacity(topology.edge_count());
    for edge in topology.replication() {
        by_status[STATUSES.iter().position(|s| *s == edge.status).unwrap_or(3)] += 1;
        let up = match edge.replica_state {
            Some("0") => true,
            Some("-1") => false,
            _ => continue,
        };
        known.push(Replication {
            primary: edge.primary,
            dr: edge.dr,
            primary_region: edge.primary_region.unwrap_or_default(),
            dr_region: edge.dr_region.unwrap_or_default(),
            up,
            send_lag_mb: edge.send_lag_mb,
            replay_lag_mb: edge.replay_lag_mb,
            replay_delay_ms: edge.replay_delay_ms,
        });
    }
    (by_status, known)
}

const MB: f64 = 1_048_576.0;

/// Room for the text of the families of `topology`. About 200 bytes a
/// series and five series an edge with health (its DR's replication state,
/// two lags and the delay; its primary's protection): 820 bytes an edge
/// measured. Room the text does not use is never touched, so it costs no
/// memory.
pub fn capacity(topology: &Topology) -> usize {
    topology.edge_count() * 1024
}
/// `rds_dr_instances`, `rds_dr_edges`, `rds_dr_edges_by_health`,
/// `rds_dr_findings` and the `rds_dr_replication_*` families of `topology`.
pub fn topology(e: &mut Exposition, topology: &Topology) {
    let roles = [Role::Primary, Role::Dr, Role::Cascaded, Role::Standalone];
    let mut by_role = [0usize; 4];
    for role in topology.roles() {
        by_role[roles.iter().position(|r| *r == role).unwrap_or(3)] += 1;
    }
    e.family(
        "rds_dr_instances",
        Kind::Gauge,
        "Instances by role in the merged topology.",
    );
    for (role, count) in roles.iter().zip(by_role) {
        e.sample("rds_dr_instances", &[("role", role.as_str())], count as f64);
    }

    let (by_status, known) = edges(topology);
    e.family(
        "rds_dr_edges",
        Kind::Gauge,
        "Primary -> DR edges by status (confirmed, primary-only, dr-only, unverified).",
    );
    for (status, count) in STATUSES.iter().zip(by_status) {
        e.sample("rds_dr_edges", &[("status", status.as_str())], count as f64);
    }

    e.family(
        "rds_dr_edges_by_health",
        Kind::Gauge,
        "Primary -> DR edges by replication health.",
    );
    for (health, count) in HEALTH_VALUES.iter().zip(edges_by_health(topology)) {
        e.sample(
            "rds_dr_edges_by_health",
            &[("health", health)],
            count as f64,
        );
    }

    let mut by_code = [0usize; Code::ALL.len()];
    for finding in topology.findings() {
        if let Some(i) = Code::ALL.iter().position(|c| *c == finding.code) {
            by_code[i] += 1;
        }
    }
    e.family(
        "rds_dr_findings",
        Kind::Gauge,
        "Findings of the last scan by code (as rds-dr check reports them).",
    );
    for (code, count) in Code::ALL.iter().zip(by_code) {
        let labels = [
            ("code", code.as_str()),
            ("severity", code.severity().as_str()),
        ];
        e.sample("rds_dr_findings", &labels, count as f64);
    }

    replication_series(e, &known);
}

pub(super) fn replication_series(e: &mut Exposition, edges: &[Replication<'_>]) {
    if edges.is_empty() {
        return;
    }
    fn labels<'a>(r: &Replication<'a>) -> [(&'static str, &'a str); 4] {
        [
            ("primary", r.primary),
            ("dr", r.dr),
            ("primary_region", r.primary_region),
            ("dr_region", r.dr_region),
        ]
    }
    e.family(
        "rds_dr_replication_up",
        Kind::Gauge,
        "1 if the DR's replica_state is normal, 0 if abnormal (edges with a known state).",
    );
    // Each edge's four labels are escaped and written once, by its first
    // sample; its other samples copy them.
    let sets: Vec<LabelSet> = (edges.iter())
        .map(|r| {
            e.sample_keeping(
                "rds_dr_replication_up",
                &labels(r),
                f64::from(u8::from(r.up)),
            )
        })
        .collect();
    if edges
        .iter()
        .any(|r| r.send_lag_mb.is_some() || r.replay_lag_mb.is_some())
    {
        e.family(
            "rds_dr_replication_lag_bytes",
            Kind::Gauge,
            "WAL the DR has not received (send) or not replayed (replay), in bytes.",
        );
        for (r, set) in edges.iter().zip(&sets) {
            for (kind, mb) in [("send", r.send_lag_mb), ("replay", r.replay_lag_mb)] {
                if let Some(mb) = mb {
                    e.sample_like(
                        "rds_dr_replication_lag_bytes",
                        *set,
                        &[("kind", kind)],
                        mb * MB,
                    );
                }
            }
        }
    }
    if edges.iter().any(|r| r.replay_delay_ms.is_some()) {
        e.family(
            "rds_dr_replication_replay_delay_seconds",
            Kind::Gauge,
            "Delay between receiving and replaying WAL on the DR, in seconds.",
        );
        for (r, set) in edges.iter().zip(&sets) {
            if let Some(ms) = r.replay_delay_ms {
                e.sample_like(
                    "rds_dr_replication_replay_delay_seconds",
                    *set,
                    &[],
                    ms / 1000.0,
                );
            }
        }
    }
}

/// `rds_dr_primary_protected` of each primary (id, region, protected;
/// sorted by id) and `rds_dr_region_failure_unprotected_primaries` of each
/// region (sorted).
pub fn protection<'a>(
    e: &mut Exposition,
    primaries: impl ExactSizeIterator<Item = (&'a str, &'a str, bool)>,
    unprotected: impl ExactSizeIterator<Item = (&'a str, usize)>,
) {
    if primaries.len() > 0 {
        e.family(
            "rds_dr_primary_protected",
            Kind::Gauge,
            "1 if a DR outside the primary's region would survive that region's failure (as rds-dr impact says), else 0.",
        );
        for (primary, region, protected) in primaries {
            let labels = [("primary", primary), ("region", region)];
            e.sample(
                "rds_dr_primary_protected",
                &labels,
                f64::from(u8::from(protected)),
            );
        }
    }
    if unprotected.len() > 0 {
        e.family(
            "rds_dr_region_failure_unprotected_primaries",
            Kind::Gauge,
            "Primaries left without a DR if this region alone failed (every region with a primary).",
        );
        for (region, count) in unprotected {
            e.sample(
                "rds_dr_region_failure_unprotected_primaries",
                &[("region", region)],
                count as f64,
            );
        }
    }
}
