//! The test oracle of `/metrics`: the encoder as it was before it was made
//! fast (`main` at 0543324: every family from `Topology::view`, each edge's
//! regions by a search of the view's nodes, every label escaped and every
//! value formatted by `fmt` in each sample), in the plainest form. The
//! tests check that `render` writes the same bytes.

use std::fmt::Write as _;

use rds_dr_topology::{Code, EdgeStatus, Role};

use super::super::exposition::Format;
use super::super::state::{SCAN_BUCKETS, ScanStats, Snapshot};

struct Writer {
    openmetrics: bool,
    out: String,
}

impl Writer {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let family = match (self.openmetrics, kind) {
            (true, "counter") => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        let mut escaped = String::new();
        for c in help.chars() {
            match c {
                '\\' => escaped.push_str("\\\\"),
                '\n' => escaped.push_str("\\n"),
                '"' if self.openmetrics => escaped.push_str("\\\""),
                c => escaped.push(c),
            }
        }
        let _ = write!(
            self.out,
            "# HELP {family} {escaped}\n# TYPE {family} {kind}\n"
        );
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| {
                    let v = v
                        .replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n");
                    format!("{k}=\"{v}\"")
                })
                .collect();
            let _ = write!(self.out, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.out, " {}", value_text(value));
    }
}

/// A sample value as the text formats write it: integers (below 1e15)
/// without a fraction, other finite numbers as `fmt` writes them.
pub(super) fn value_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        (if value > 0.0 { "+Inf" } else { "-Inf" }).to_owned()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        (value as i64).to_string()
    } else {
        format!("{value}")
    }
}

/// The whole body, as `render` wrote it at 0543324.
pub(super) fn render(snapshot: Option<&Snapshot>, format: Format) -> String {
    let mut w = Writer {
        openmetrics: matches!(format, Format::OpenMetrics(_)),
        out: String::new(),
    };
    w.family(
        "rds_dr_build_info",
        "gauge",
        "The rds-dr build serving these metrics (always 1).",
    );
    w.sample(
        "rds_dr_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    let default_scans = ScanStats::default();
    let scans = snapshot.map_or(&default_scans, |s| &s.scans);
    w.family("rds_dr_scans_total", "counter", "Scans finished.");
    w.sample("rds_dr_scans_total", &[], scans.count as f64);
    w.family(
        "rds_dr_scan_duration_seconds",
        "histogram",
        "Time a scan takes, from the first call to the published result.",
    );
    for (upper, cumulative) in SCAN_BUCKETS.iter().zip(scans.buckets) {
        w.sample(
            "rds_dr_scan_duration_seconds_bucket",
            &[("le", &value_text(*upper))],
            cumulative as f64,
        );
    }
    w.sample(
        "rds_dr_scan_duration_seconds_bucket",
        &[("le", "+Inf")],
        scans.count as f64,
    );
    w.sample("rds_dr_scan_duration_seconds_sum", &[], scans.sum_seconds);
    w.sample(
        "rds_dr_scan_duration_seconds_count",
        &[],
        scans.count as f64,
    );
    if let Some(snapshot) = snapshot {
        targets(&mut w, snapshot);
        topology(&mut w, snapshot);
        protection(&mut w, snapshot);
    }
    if w.openmetrics {
        w.out.push_str("# EOF\n");
    }
    w.out
}

fn targets(w: &mut Writer, snapshot: &Snapshot) {
    w.family(
        "rds_dr_target_up",
        "gauge",
        "1 if the last call of this operation for this target succeeded, else 0 (its last good answer is still used).",
    );
    for t in &snapshot.targets {
        let labels = [
            ("region", t.target.region.as_str()),
            ("project_id", t.target.project_id.as_str()),
            ("operation", t.operation.label()),
        ];
        w.sample("rds_dr_target_up", &labels, f64::from(u8::from(t.up)));
    }
    if snapshot.targets.iter().any(|t| t.last_success.is_some()) {
        w.family(
            "rds_dr_target_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful call of this operation for this target.",
        );
        for t in &snapshot.targets {
            let Some(at) = t.last_success else { continue };
            let seconds = at
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0);
            let labels = [
                ("region", t.target.region.as_str()),
                ("project_id", t.target.project_id.as_str()),
                ("operation", t.operation.label()),
            ];
            w.sample(
                "rds_dr_target_last_success_timestamp_seconds",
                &labels,
                seconds,
            );
        }
    }
}

fn topology(w: &mut Writer, snapshot: &Snapshot) {
    let topology = &snapshot.topology;
    let view = topology.view();
    let roles = [Role::Primary, Role::Dr, Role::Cascaded, Role::Standalone];
    w.family(
        "rds_dr_instances",
        "gauge",
        "Instances by role in the merged topology.",
    );
    for role in roles {
        let n = view.nodes.iter().filter(|n| n.role == role).count();
        w.sample("rds_dr_instances", &[("role", role.as_str())], n as f64);
    }
    let statuses = [
        EdgeStatus::Confirmed,
        EdgeStatus::PrimaryOnly,
        EdgeStatus::DrOnly,
        EdgeStatus::Unverified,
    ];
    w.family(
        "rds_dr_edges",
        "gauge",
        "Primary -> DR edges by status (confirmed, primary-only, dr-only, unverified).",
    );
    for status in statuses {
        let n = view.edges.iter().filter(|e| e.status == status).count();
        w.sample("rds_dr_edges", &[("status", status.as_str())], n as f64);
    }
    w.family(
        "rds_dr_edges_by_health",
        "gauge",
        "Primary -> DR edges by replication health.",
    );
    let counts = topology.summary().edge_health;
    for (health, n) in [
        ("healthy", counts.healthy),
        ("lagging", counts.lagging),
        ("broken", counts.broken),
        ("failed", counts.failed),
        ("building", counts.building),
        ("unknown", counts.unknown),
    ] {
        w.sample("rds_dr_edges_by_health", &[("health", health)], n as f64);
    }
    w.family(
        "rds_dr_findings",
        "gauge",
        "Findings of the last scan by code (as rds-dr check reports them).",
    );
    for code in Code::ALL {
        let n = (topology.findings().iter())
            .filter(|f| f.code == code)
            .count();
        let labels = [
            ("code", code.as_str()),
            ("severity", code.severity().as_str()),
        ];
        w.sample("rds_dr_findings", &labels, n as f64);
    }

    // The edges with a known replica_state, each with its ends' regions.
    let regions: std::collections::HashMap<&str, Option<&str>> =
        view.nodes.iter().map(|n| (n.id, n.region)).collect();
    let region = |id: &str| regions.get(id).copied().flatten().unwrap_or_default();
    let known: Vec<_> = (view.edges.iter())
        .filter_map(|e| {
            let up = match e.replica_state? {
                "0" => 1.0,
                "-1" => 0.0,
                _ => return None,
            };
            let labels = [
                ("primary", e.source),
                ("dr", e.target),
                ("primary_region", region(e.source)),
                ("dr_region", region(e.target)),
            ];
            Some((e, labels, up))
        })
        .collect();
    if known.is_empty() {
        return;
    }
    w.family(
        "rds_dr_replication_up",
        "gauge",
        "1 if the DR's replica_state is normal, 0 if abnormal (edges with a known state).",
    );
    for (_, labels, up) in &known {
        w.sample("rds_dr_replication_up", labels, *up);
    }
    if (known.iter()).any(|(e, ..)| e.send_lag_mb.is_some() || e.replay_lag_mb.is_some()) {
        w.family(
            "rds_dr_replication_lag_bytes",
            "gauge",
            "WAL the DR has not received (send) or not replayed (replay), in bytes.",
        );
        for (e, [a, b, c, d], _) in &known {
            for (kind, mb) in [("send", e.send_lag_mb), ("replay", e.replay_lag_mb)] {
                if let Some(mb) = mb {
                    let labels = [*a, *b, *c, *d, ("kind", kind)];
                    w.sample("rds_dr_replication_lag_bytes", &labels, mb * 1_048_576.0);
                }
            }
        }
    }
    if known.iter().any(|(e, ..)| e.replay_delay_ms.is_some()) {
        w.family(
            "rds_dr_replication_replay_delay_seconds",
            "gauge",
            "Delay between receiving and replaying WAL on the DR, in seconds.",
        );
        for (e, labels, _) in &known {
            if let Some(ms) = e.replay_delay_ms {
                w.sample(
                    "rds_dr_replication_replay_delay_seconds",
                    labels,
                    ms / 1000.0,
                );
            }
        }
    }
}

fn protection(w: &mut Writer, snapshot: &Snapshot) {
    let failures = &snapshot.failures;
    if !failures.primaries.is_empty() {
        w.family(
            "rds_dr_primary_protected",
            "gauge",
            "1 if a DR outside the primary's region would survive that region's failure (as rds-dr impact says), else 0.",
        );
        for p in &failures.primaries {
            let labels = [
                ("primary", p.primary.as_str()),
                ("region", p.region.as_str()),
            ];
            w.sample(
                "rds_dr_primary_protected",
                &labels,
                f64::from(u8::from(p.protected)),
            );
        }
    }
    if !failures.unprotected.is_empty() {
        w.family(
            "rds_dr_region_failure_unprotected_primaries",
            "gauge",
            "Primaries left without a DR if this region alone failed (every region with a primary).",
        );
        for (region, count) in &failures.unprotected {
            w.sample(
                "rds_dr_region_failure_unprotected_primaries",
                &[("region", region.as_str())],
                *count as f64,
            );
        }
    }
}
