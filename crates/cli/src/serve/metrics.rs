//! The metrics of `/metrics`, every name as the contract's table has it,
//! written from one published scan. Nothing here is kept between scans: a
//! series for an edge, a primary or a target exists exactly while the scan
//! it comes from has it.

mod fleet;
#[cfg(test)]
mod reference;

use axum::body::Bytes;

use super::exposition::{Coding, Exposition, Format, Kind};
use super::state::{SCAN_BUCKETS, ScanStats, Snapshot};

/// `/metrics` of `snapshot` in `format`: written the first time it is
/// asked for, and kept with the snapshot (`Snapshot::kept_metrics`).
pub fn body(snapshot: &Snapshot, format: Format) -> Bytes {
    snapshot
        .kept_metrics(format, Coding::Identity)
        .get_or_init(|| {
            let started = std::time::Instant::now();
            let text = render(Some(snapshot), format);
            tracing::debug!(
                bytes = text.len(),
                edges = snapshot.topology.edge_count(),
                elapsed_us = started.elapsed().as_micros() as u64,
                openmetrics = matches!(format, Format::OpenMetrics(_)),
                "encoded /metrics"
            );
            Bytes::from(text)
        })
        .clone()
}

/// [`body`], gzip-compressed (at the fastest level: the text is very
/// repetitive, and the time goes to the scrape that first asks for it):
/// written the first time it is asked for, and kept with the snapshot.
pub fn gzipped(snapshot: &Snapshot, format: Format) -> Bytes {
    snapshot
        .kept_metrics(format, Coding::Gzip)
        .get_or_init(|| {
            let body = body(snapshot, format);
            let started = std::time::Instant::now();
            let mut gzip = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            // Writing into a Vec cannot fail.
            let compressed = std::io::Write::write_all(&mut gzip, &body)
                .and_then(|()| gzip.finish())
                .unwrap_or_default();
            tracing::debug!(
                bytes = body.len(),
                gzipped = compressed.len(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "gzipped /metrics"
            );
            Bytes::from(compressed)
        })
        .clone()
}

/// The whole `/metrics` body for the last scan (`None`: no scan has
/// finished yet, so only the process's own metrics).
pub fn render(snapshot: Option<&Snapshot>, format: Format) -> String {
    let fleet_bytes = snapshot.map_or(0, |s| fleet::capacity(&s.topology));
    let mut e = Exposition::with_capacity(format, 4096 + fleet_bytes);
    e.family(
        "rds_dr_build_info",
        Kind::Gauge,
        "The rds-dr build serving these metrics (always 1).",
    );
    e.sample(
        "rds_dr_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    let default_scans = ScanStats::default();
    let scans = snapshot.map_or(&default_scans, |s| &s.scans);
    e.family("rds_dr_scans_total", Kind::Counter, "Scans finished.");
    e.sample("rds_dr_scans_total", &[], scans.count as f64);
    e.family(
        "rds_dr_scan_duration_seconds",
        Kind::Histogram,
        "Time a scan takes, from the first call to the published result.",
    );
    let buckets: Vec<(f64, u64)> = SCAN_BUCKETS
        .iter()
        .copied()
        .zip(scans.buckets.iter().copied())
        .collect();
    e.histogram(
        "rds_dr_scan_duration_seconds",
        &buckets,
        scans.sum_seconds,
        scans.count,
    );
    if let Some(snapshot) = snapshot {
        targets(&mut e, snapshot);
        fleet::topology(&mut e, &snapshot.topology);
        let failures = &snapshot.failures;
        fleet::protection(
            &mut e,
            (failures.primaries.iter())
                .map(|p| (p.primary.as_str(), p.region.as_str(), p.protected)),
            (failures.unprotected.iter()).map(|(region, n)| (region.as_str(), *n)),
        );
    }
    e.finish()
}

fn targets(e: &mut Exposition, snapshot: &Snapshot) {
    e.family(
        "rds_dr_target_up",
        Kind::Gauge,
        "1 if the last call of this operation for this target succeeded, else 0 (its last good answer is still used).",
    );
    for t in &snapshot.targets {
        let labels = [
            ("region", t.target.region.as_str()),
            ("project_id", t.target.project_id.as_str()),
            ("operation", t.operation.label()),
        ];
        e.sample("rds_dr_target_up", &labels, f64::from(u8::from(t.up)));
    }
    if snapshot.targets.iter().any(|t| t.last_success.is_some()) {
        e.family(
            "rds_dr_target_last_success_timestamp_seconds",
            Kind::Gauge,
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
            e.sample(
                "rds_dr_target_last_success_timestamp_seconds",
                &labels,
                seconds,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fleet::*;
    use super::*;
    use crate::serve::ledger::{Ledger, Operation};
    use rds_dr_model::Target;
    use rds_dr_model::synth::{FleetSpec, generate};
    use rds_dr_topology::{Code, EdgeStatus, Role};
    use std::time::{Duration, SystemTime};

    fn snapshot(primaries: usize) -> Snapshot {
        let fleet = generate(&FleetSpec::new().seed(3).primaries(primaries));
        let targets: Vec<Target> = fleet.captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let report = rds_dr_api::fleet::FleetReport {
            captures: fleet.captures,
            ..Default::default()
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_860_000_250);
        ledger.record(report, at);
        let mut scans = ScanStats::default();
        scans.observe(Duration::from_millis(300));
        Snapshot::new(ledger.merge(), ledger.statuses(), scans, at)
    }

    /// The value of the sample `name{labels}` (labels as written).
    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn gzipped_is_the_body_compressed_and_kept_per_format() {
        use std::io::Read;
        let s = snapshot(40);
        for format in [Format::Text, Format::OpenMetrics("1.0.0")] {
            let zipped = gzipped(&s, format);
            assert_eq!(&zipped[..2], [0x1f, 0x8b], "a gzip member");
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(&zipped[..])
                .read_to_end(&mut text)
                .unwrap();
            assert_eq!(text, body(&s, format));
            assert!(
                zipped.len() * 3 < text.len(),
                "{} of {}",
                zipped.len(),
                text.len()
            );
            assert_eq!(gzipped(&s, format).as_ptr(), zipped.as_ptr(), "kept");
        }
        assert_ne!(
            body(&s, Format::Text),
            body(&s, Format::OpenMetrics("1.0.0"))
        );
    }

    #[test]
    fn counts_match_the_topology() {
        let s = snapshot(40);
        let text = render(Some(&s), Format::Text);
        let view = s.topology.view();
        let confirmed = view
            .edges
            .iter()
            .filter(|e| e.status == EdgeStatus::Confirmed)
            .count();
        assert_eq!(
            value(&text, "rds_dr_edges{status=\"confirmed\"}"),
            Some(confirmed as f64)
        );
        let primaries = view
            .nodes
            .iter()
            .filter(|n| n.role == Role::Primary)
            .count();
        assert_eq!(
            value(&text, "rds_dr_instances{role=\"primary\"}"),
            Some(primaries as f64)
        );
        assert_eq!(
            value(&text, "rds_dr_edges_by_health{health=\"unknown\"}"),
            Some(view.edges.len() as f64)
        );
        assert_eq!(
            value(&text, "rds_dr_edges_by_health{health=\"healthy\"}"),
            Some(0.0)
        );
        for code in Code::ALL {
            let n = s
                .topology
                .findings()
                .iter()
                .filter(|f| f.code == code)
                .count();
            let series = format!(
                "rds_dr_findings{{code=\"{}\",severity=\"{}\"}}",
                code.as_str(),
                code.severity().as_str()
            );
            assert_eq!(value(&text, &series), Some(n as f64), "{series}");
        }
        let t = &s.targets[0];
        let labels = format!(
            "{{region=\"{}\",project_id=\"{}\",operation=\"list_dr_relations\"}}",
            t.target.region, t.target.project_id
        );
        assert_eq!(
            value(&text, &format!("rds_dr_target_up{labels}")),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("rds_dr_target_last_success_timestamp_seconds{labels}")
            ),
            Some(1_795_860_000.25)
        );
        assert_eq!(value(&text, "rds_dr_scans_total"), Some(1.0));
        assert_eq!(
            value(&text, "rds_dr_scan_duration_seconds_bucket{le=\"0.5\"}"),
            Some(1.0)
        );
        assert_eq!(
            value(&text, "rds_dr_scan_duration_seconds_bucket{le=\"0.25\"}"),
            Some(0.0)
        );
        let protected = s.failures.primaries.iter().filter(|p| p.protected).count();
        let written = text
            .lines()
            .filter(|l| l.starts_with("rds_dr_primary_protected{") && l.ends_with(" 1"))
            .count();
        assert_eq!(written, protected);
        for (region, n) in &s.failures.unprotected {
            let series =
                format!("rds_dr_region_failure_unprotected_primaries{{region=\"{region}\"}}");
            assert_eq!(value(&text, &series), Some(*n as f64));
        }
    }

    #[test]
    fn every_name_of_the_contract_and_nothing_else() {
        let text = render(Some(&snapshot(10)), Format::Text);
        let mut names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "rds_dr_build_info",
                "rds_dr_edges",
                "rds_dr_edges_by_health",
                "rds_dr_findings",
                "rds_dr_instances",
                "rds_dr_primary_protected",
                "rds_dr_region_failure_unprotected_primaries",
                "rds_dr_scan_duration_seconds",
                "rds_dr_scans_total",
                "rds_dr_target_last_success_timestamp_seconds",
                "rds_dr_target_up",
            ]
        );
    }

    #[test]
    fn replication_series_have_base_units() {
        let edges = [Replication {
            primary: "p",
            dr: "d",
            primary_region: "r1",
            dr_region: "r2",
            up: false,
            send_lag_mb: Some(2.0),
            replay_lag_mb: None,
            replay_delay_ms: Some(1500.0),
        }];
        let mut e = Exposition::new(Format::Text);
        replication_series(&mut e, &edges);
        let text = e.finish();
        let labels = "primary=\"p\",dr=\"d\",primary_region=\"r1\",dr_region=\"r2\"";
        assert_eq!(
            value(&text, &format!("rds_dr_replication_up{{{labels}}}")),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("rds_dr_replication_lag_bytes{{{labels},kind=\"send\"}}")
            ),
            Some(2_097_152.0)
        );
        assert!(!text.contains("kind=\"replay\""));
        assert_eq!(
            value(
                &text,
                &format!("rds_dr_replication_replay_delay_seconds{{{labels}}}")
            ),
            Some(1.5)
        );
    }

    #[test]
    fn replication_names_each_edge_with_its_instances_regions() {
        use rds_dr_model::synth::{HealthSpec, health};
        let fleet = generate(&FleetSpec::new().seed(5).region_count(4).primaries(60));
        let infos = health(&fleet, &HealthSpec::new().seed(5).every_defect(2));
        let targets: Vec<Target> = fleet.captures.iter().map(|c| c.source.clone()).collect();
        let operations = [Operation::ListDrRelations, Operation::ListDrInfos];
        let mut ledger = Ledger::new(&targets, &operations);
        let report = rds_dr_api::fleet::FleetReport {
            captures: fleet.captures,
            infos: infos.captures,
            ..Default::default()
        };
        ledger.record(report, SystemTime::UNIX_EPOCH);
        let topology = ledger.merge();
        let view = topology.view();
        let edges = replication(&topology);
        // Every edge with a known replica_state (the building ones have none).
        let known = view
            .edges
            .iter()
            .filter(|e| matches!(e.replica_state, Some("0" | "-1")))
            .count();
        assert!(known > 50, "{known}");
        assert_eq!(edges.len(), known);
        assert!(edges.iter().any(|r| !r.up), "a broken edge");
        let region = |id: &str| topology.node(id).and_then(|n| n.location.region);
        for r in &edges {
            assert_eq!(Some(r.primary_region), region(r.primary), "{}", r.primary);
            assert_eq!(Some(r.dr_region), region(r.dr), "{}", r.dr);
        }
        assert!(edges.iter().any(|r| r.primary_region != r.dr_region));
    }

    #[test]
    fn before_the_first_scan_only_the_process_metrics() {
        let text = render(None, Format::OpenMetrics("1.0.0"));
        assert!(text.contains("rds_dr_build_info{version="));
        assert!(text.contains("# TYPE rds_dr_scans counter\nrds_dr_scans_total 0\n"));
        assert!(!text.contains("rds_dr_edges"));
        assert!(text.ends_with("# EOF\n"));
    }

    /// `new` and `old` are the same text; else the first line that differs.
    fn assert_same(new: &str, old: &str, what: &str) {
        if new == old {
            return;
        }
        let (mut a, mut b) = (new.lines(), old.lines());
        for n in 1.. {
            let (x, y) = (a.next(), b.next());
            assert_eq!(x, y, "{what}: line {n} differs");
            if x.is_none() {
                break;
            }
        }
        panic!("{what}: the same lines, not the same bytes");
    }

    /// A scan of a generated fleet with ListDrInfos records (a few of each
    /// health defect), both operations of every target answered, and a
    /// target of each operation that failed.
    fn health_snapshot(seed: u64, primaries: usize) -> Snapshot {
        use rds_dr_model::synth::{HealthSpec, health};
        let fleet = generate(
            &FleetSpec::new()
                .seed(seed)
                .region_count(4)
                .primaries(primaries),
        );
        let infos = health(&fleet, &HealthSpec::new().seed(seed).every_defect(2));
        let mut targets: Vec<Target> = fleet.captures.iter().map(|c| c.source.clone()).collect();
        targets.push(
            "eu-west-0/0483b6b16e954cb88930a360d2c4e663"
                .parse()
                .unwrap(),
        );
        let operations = [Operation::ListDrRelations, Operation::ListDrInfos];
        let mut ledger = Ledger::new(&targets, &operations);
        let report = rds_dr_api::fleet::FleetReport {
            captures: fleet.captures,
            infos: infos.captures,
            ..Default::default()
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_860_000_250);
        ledger.record(report, at);
        let mut scans = ScanStats::default();
        for ms in [40, 300, 1_250, 400_000] {
            scans.observe(Duration::from_millis(ms));
        }
        let snapshot = Snapshot::new(ledger.merge(), ledger.statuses(), scans, at);
        assert!(snapshot.targets.iter().any(|t| !t.up));
        snapshot
    }

    const FORMATS: [Format; 3] = [
        Format::Text,
        Format::OpenMetrics("1.0.0"),
        Format::OpenMetrics("0.0.1"),
    ];

    #[test]
    fn same_bytes_as_before_on_fleets_with_health() {
        for format in FORMATS {
            assert_same(
                &render(None, format),
                &reference::render(None, format),
                "before the first scan",
            );
        }
        for (seed, primaries) in [(5, 60), (14, 700), (3, 1)] {
            let s = health_snapshot(seed, primaries);
            let text = render(Some(&s), Format::Text);
            assert!(text.contains("rds_dr_replication_lag_bytes{"), "{seed}");
            assert!(text.contains("rds_dr_replication_up{") && text.contains("} 0\n"));
            for format in FORMATS {
                assert_same(
                    &render(Some(&s), format),
                    &reference::render(Some(&s), format),
                    &format!("seed {seed}, {primaries} primaries, {format:?}"),
                );
            }
        }
        // Without ListDrInfos: no replication series at all.
        let s = snapshot(30);
        for format in FORMATS {
            assert_same(
                &render(Some(&s), format),
                &reference::render(Some(&s), format),
                "no health",
            );
        }
    }

    /// Ids, regions and a target's project with `"`, `\` and newlines in
    /// them (a capture built in code is taken as it is), and lags that
    /// give odd values: 0, -0, tiny, huge, beyond `f64` once in bytes.
    #[test]
    fn same_bytes_as_before_with_labels_to_escape_and_odd_values() {
        use crate::serve::ledger::TargetStatus;
        let weird = Target {
            region: "cn-\"north\"\\4\nb".to_owned(),
            project_id: "p\\\"\n".to_owned(),
        };
        let plain: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663"
            .parse()
            .unwrap();
        let relations = br#"{"instance_dr_relations": [
            {"instance_id": "p\"1\\x\ny", "slave_instances": [
                {"instance_id": "d\\1", "region": "ap-\"south\"\n1"},
                {"instance_id": "d2", "region": "cn-north-4"},
                {"instance_id": "d3\"", "region": "eu\\west"},
                {"instance_id": "d4", "region": "eu\\west"},
                {"instance_id": "d5", "region": "la-south-2"},
                {"instance_id": "d6", "region": "la-south-2"},
                {"instance_id": "d7", "region": "la-south-2"},
                {"instance_id": "d8", "region": "la-south-2"}]},
            {"instance_id": "plain-1", "slave_instances": [
                {"instance_id": "d9", "region": "cn-north-4"}]}]}"#;
        let infos = br#"{"total_count": 8, "instance_dr_infos": [
            {"id": "r1", "status": "ok", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d\\1",
             "replica_state": "0", "wal_write_receive_delay_in_mb": "0",
             "wal_write_replay_delay_in_mb": "-0", "wal_receive_replay_delay_in_ms": "0.001"},
            {"id": "r2", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d2",
             "replica_state": "-1", "wal_write_receive_delay_in_mb": "1e308",
             "wal_receive_replay_delay_in_ms": "1e-9"},
            {"id": "r3", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d3\"",
             "replica_state": "0", "wal_write_replay_delay_in_mb": "99999999999999999999.5",
             "wal_receive_replay_delay_in_ms": "123456789012345678"},
            {"id": "r4", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d4",
             "replica_state": "0", "wal_write_receive_delay_in_mb": "0.1",
             "wal_write_replay_delay_in_mb": "953.67431640625", "wal_receive_replay_delay_in_ms": "-1.5"},
            {"id": "r5", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d5",
             "replica_state": "1", "wal_write_receive_delay_in_mb": "3"},
            {"id": "r6", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d6",
             "status": "building"},
            {"id": "r7", "master_instance_id": "p\"1\\x\ny", "slave_instance_id": "d7",
             "replica_state": "-1", "wal_write_receive_delay_in_mb": "-1e308",
             "wal_write_replay_delay_in_mb": "2.2250738585072014e-308"},
            {"id": "r8", "master_instance_id": "plain-1", "slave_instance_id": "d9",
             "replica_state": "0", "wal_write_receive_delay_in_mb": "12.34",
             "wal_write_replay_delay_in_mb": "0.0000001", "wal_receive_replay_delay_in_ms": "1e15"}]}"#;
        let mut builder = rds_dr_topology::Topology::builder();
        builder.records_json(&weird, relations).unwrap();
        builder.infos_json(&weird, infos).unwrap();
        builder
            .records_json(&plain, br#"{"instance_dr_relations": []}"#)
            .unwrap();
        let topology = builder.build();
        assert!(topology.edge_count() >= 9, "{}", topology.edge_count());
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_860_000_001);
        let targets = vec![
            TargetStatus {
                target: weird.clone(),
                operation: Operation::ListDrRelations,
                up: true,
                last_success: Some(at),
                last_error: None,
            },
            TargetStatus {
                target: weird,
                operation: Operation::ListDrInfos,
                up: false,
                last_success: None,
                last_error: Some("HTTP 503".to_owned()),
            },
        ];
        let s = Snapshot::new(topology, targets, ScanStats::default(), at);
        let text = render(Some(&s), Format::Text);
        for expected in [
            "primary=\"p\\\"1\\\\x\\ny\",dr=\"d\\\\1\",primary_region=\"cn-\\\"north\\\"\\\\4\\nb\",dr_region=\"ap-\\\"south\\\"\\n1\"",
            "kind=\"send\"} +Inf\n",
            "kind=\"send\"} -Inf\n",
            "kind=\"replay\"} 0\n",
            "} 0.000000000001\n",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        for format in FORMATS {
            assert_same(
                &render(Some(&s), format),
                &reference::render(Some(&s), format),
                &format!("{format:?}"),
            );
        }
    }
}
