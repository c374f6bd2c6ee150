//! What each section of the page shows, computed from the topology: plain
//! rows for the template, which escapes every value.

use std::collections::BTreeSet;

use rds_dr_topology::{EdgeStatus, Finding, GraphView, Health, Role, Topology, export};

/// The most instances drawn in the picture; a larger fleet gets a note
/// instead (its SVG would be tens of megabytes and unreadable).
const MAX_PICTURE_NODES: usize = 1_500;

/// The most edges listed; edges that are not confirmed are always listed,
/// confirmed ones up to this many rows in all.
const MAX_EDGE_ROWS: usize = 5_000;

/// One summary card: a big number, and its parts.
pub struct Card {
    /// Stable name, for tests and styling (`data-card`).
    pub key: &'static str,
    pub label: &'static str,
    pub value: usize,
    /// `error`, `warning`, `info`, `ok` or `neutral`.
    pub tone: &'static str,
    pub parts: Vec<(String, usize)>,
}

pub struct FindingRow<'a> {
    pub code: &'static str,
    pub severity: &'static str,
    pub instances: &'a [String],
    pub message: &'a str,
}

pub struct RegionRow {
    pub region: String,
    pub primaries: usize,
    pub protected: usize,
    pub unprotected: usize,
    pub degraded: usize,
}

pub struct EdgeRow<'a> {
    pub source: &'a str,
    pub target: &'a str,
    pub status: &'static str,
    /// `yes`, `no` or `unknown`.
    pub cross_region: &'static str,
    /// Replication health (`healthy`, `lagging`, ...).
    pub health: &'static str,
    /// The send and replay lags and the replay delay, where known.
    pub lag: String,
}

/// The lags of an edge for people: `send 1.5 MB, replay 2 MB, delay 20 ms`.
fn lag_text(e: &rds_dr_topology::EdgeView<'_>) -> String {
    [
        ("send", e.send_lag_mb, "MB"),
        ("replay", e.replay_lag_mb, "MB"),
        ("delay", e.replay_delay_ms, "ms"),
    ]
    .into_iter()
    .filter_map(|(name, v, unit)| v.map(|v| format!("{name} {v} {unit}")))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Whether an edge needs a look: not confirmed, or not healthy (unknown
/// health alone does not count).
fn notable(e: &rds_dr_topology::EdgeView<'_>) -> bool {
    e.status != EdgeStatus::Confirmed || !matches!(e.health, Health::Healthy | Health::Unknown)
}

const ROLES: [Role; 4] = [Role::Primary, Role::Dr, Role::Cascaded, Role::Standalone];
const STATUSES: [EdgeStatus; 4] = [
    EdgeStatus::Confirmed,
    EdgeStatus::PrimaryOnly,
    EdgeStatus::DrOnly,
    EdgeStatus::Unverified,
];

pub fn cards(topology: &Topology, view: &GraphView<'_>) -> Vec<Card> {
    let roles = ROLES
        .iter()
        .map(|&role| {
            let n = view.nodes.iter().filter(|n| n.role == role).count();
            (role.as_str().to_owned(), n)
        })
        .collect();
    let statuses: Vec<(String, usize)> = STATUSES
        .iter()
        .map(|&status| {
            let n = view.edges.iter().filter(|e| e.status == status).count();
            (status.as_str().to_owned(), n)
        })
        .collect();
    let one_sided = statuses[1].1 + statuses[2].1;
    let summary = topology.summary();
    let health: Vec<(String, usize)> = Health::ALL
        .iter()
        .map(|&h| (h.as_str().to_owned(), summary.edge_health.get(h)))
        .collect();
    let not_replicating =
        summary.edge_health.failed + summary.edge_health.broken + summary.edge_health.building;
    let count = |n: usize, tone: &'static str| if n > 0 { tone } else { "ok" };
    vec![
        Card {
            key: "instances",
            label: "Instances",
            value: view.nodes.len(),
            tone: "neutral",
            parts: roles,
        },
        Card {
            key: "edges",
            label: "DR edges",
            value: view.edges.len(),
            tone: count(one_sided, "warning"),
            parts: statuses,
        },
        Card {
            key: "health",
            label: "Edges replicating",
            value: summary.edge_health.healthy + summary.edge_health.lagging,
            tone: if not_replicating > 0 {
                "error"
            } else {
                count(summary.edge_health.lagging, "warning")
            },
            parts: health,
        },
        Card {
            key: "errors",
            label: "Errors",
            value: summary.errors,
            tone: count(summary.errors, "error"),
            parts: Vec::new(),
        },
        Card {
            key: "warnings",
            label: "Warnings",
            value: summary.warnings,
            tone: count(summary.warnings, "warning"),
            parts: Vec::new(),
        },
        Card {
            key: "infos",
            label: "Infos",
            value: summary.infos,
            tone: count(summary.infos, "info"),
            parts: Vec::new(),
        },
    ]
}

pub fn findings(findings: &[Finding]) -> Vec<FindingRow<'_>> {
    findings
        .iter()
        .map(|f| FindingRow {
            code: f.code.as_str(),
            severity: f.severity.as_str(),
            instances: &f.instances,
            message: &f.message,
        })
        .collect()
}

/// The codes present, in name order, for the code filter.
pub fn codes(findings: &[Finding]) -> Vec<&'static str> {
    let codes: BTreeSet<&'static str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.into_iter().collect()
}

/// One row per region with a primary: what its failure alone would do.
pub fn regions(topology: &Topology, view: &GraphView<'_>) -> Vec<RegionRow> {
    let regions: BTreeSet<&str> = view
        .nodes
        .iter()
        .filter(|n| n.role == Role::Primary)
        .filter_map(|n| n.region)
        .collect();
    regions
        .into_iter()
        .map(|region| {
            let impact = topology.impact(&[region]);
            RegionRow {
                region: region.to_owned(),
                primaries: impact.summary.primaries,
                protected: impact.summary.protected,
                unprotected: impact.summary.unprotected,
                degraded: impact.summary.degraded,
            }
        })
        .collect()
}

/// The SVG export without its XML declaration (the page is HTML), or why
/// there is none.
pub fn picture(view: &GraphView<'_>) -> (Option<String>, String) {
    if view.nodes.is_empty() {
        return (None, "Nothing to draw: no instances.".to_owned());
    }
    if view.nodes.len() > MAX_PICTURE_NODES {
        return (
            None,
            format!(
                "{} instances are too many to draw here (at most {MAX_PICTURE_NODES}): \
                 see rds-dr export --format svg.",
                view.nodes.len()
            ),
        );
    }
    let svg = export::svg(view);
    let svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    };
    (Some(svg), String::new())
}

/// Edges that need a look (not confirmed, or neither healthy nor of unknown
/// health) first, then the others, each in view order, up to
/// [`MAX_EDGE_ROWS`] rows unless more need a look; and how many of the
/// others were left out.
pub fn edges<'a>(view: &GraphView<'a>) -> (Vec<EdgeRow<'a>>, usize) {
    let row = |e: &rds_dr_topology::EdgeView<'a>| EdgeRow {
        source: e.source,
        target: e.target,
        status: e.status.as_str(),
        cross_region: match e.cross_region {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        },
        health: e.health.as_str(),
        lag: lag_text(e),
    };
    let mut rows: Vec<EdgeRow<'a>> = view.edges.iter().filter(|e| notable(e)).map(row).collect();
    let confirmed = view.edges.len() - rows.len();
    let room = MAX_EDGE_ROWS.saturating_sub(rows.len()).min(confirmed);
    rows.extend(
        view.edges
            .iter()
            .filter(|e| !notable(e))
            .take(room)
            .map(row),
    );
    (rows, confirmed - room)
}
