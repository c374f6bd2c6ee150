//! A real Prometheus scrapes `rds-dr serve` running against the fake cloud
//! (everything on 127.0.0.1): the values Prometheus stores match the fleet
//! (edges by status, edges by health, findings by code), and when the fake
//! is killed the data stays, marked stale (`rds_dr_target_up` 0).
//!
//! Needs the `prometheus` binary (Debian's `prometheus` package, which
//! `.ci/run` installs). Without it the test is skipped, except under
//! `CI=true`, where it fails.

mod serving;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use rds_dr_tests::closed_port;
use serving::{client, demo_captures, get, serve_targets, signed_fake, wait_for};

fn find_prometheus() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RDS_DR_PROMETHEUS") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("prometheus"))
        .find(|p| p.is_file())
}

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus with its own config, data directory and loopback
    /// port, scraping `target` (HOST:PORT) every second.
    fn start(binary: &PathBuf, target: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: rds-dr\n    scrape_interval: 1s\n    \
                 scrape_timeout: 1s\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write the config");
        let port = closed_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let prometheus = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        wait_for(60, "Prometheus ready", || {
            client()
                .get(format!("{}/-/ready", prometheus.url))
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        prometheus
    }

    /// An instant query: each series' labels and value.
    fn query(&self, expr: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        let response = client()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", expr)])
            .send()
            .expect("query Prometheus");
        let body: serde_json::Value =
            serde_json::from_str(&response.text().expect("body")).expect("JSON");
        assert_eq!(body["status"], "success", "{expr}: {body}");
        body["data"]["result"]
            .as_array()
            .expect("a vector")
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .expect("labels")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                    .collect();
                let value = s["value"][1]
                    .as_str()
                    .expect("value")
                    .parse()
                    .expect("number");
                (labels, value)
            })
            .collect()
    }

    /// `label value -> value` of `expr` by one label.
    fn by(&self, expr: &str, label: &str) -> BTreeMap<String, f64> {
        self.query(expr)
            .into_iter()
            .map(|(labels, v)| (labels.get(label).cloned().unwrap_or_default(), v))
            .collect()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn counts<'a>(
    items: impl Iterator<Item = &'a serde_json::Value>,
    key: &str,
) -> BTreeMap<String, f64> {
    let mut counts = BTreeMap::new();
    for item in items {
        let value = item[key].as_str().unwrap_or("unknown").to_owned();
        *counts.entry(value).or_insert(0.0) += 1.0;
    }
    counts
}

#[test]
fn prometheus_scrapes_serve_and_keeps_the_data_when_the_fake_dies() {
    let Some(binary) = find_prometheus() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the prometheus binary is not installed (.ci/run installs Debian's package)"
        );
        eprintln!("skipped: no prometheus binary on PATH (install Debian's `prometheus` package)");
        return;
    };
    let captures = demo_captures();
    let mut fake = Some(signed_fake(captures.clone()));
    let url = fake.as_ref().unwrap().url();
    let mut serve = serve_targets(&captures, &url, &["--interval", "500ms", "--retries", "0"]);
    let addr = serve.url.strip_prefix("http://").unwrap().to_owned();
    serve.wait_ready();
    let prometheus = Prometheus::start(&binary, &addr);
    // One series per target and operation (ListDrRelations, ListDrInfos).
    let series = 2 * captures.len();
    wait_for(60, "a scrape with every target up", || {
        let up = prometheus.query("rds_dr_target_up");
        up.len() == series && up.iter().all(|(_, v)| *v == 1.0)
    });
    for operation in ["list_dr_relations", "list_dr_infos"] {
        let up = prometheus.query(&format!("rds_dr_target_up{{operation=\"{operation}\"}}"));
        assert_eq!(up.len(), captures.len(), "{operation}");
    }
    assert_eq!(prometheus.by("up{job=\"rds-dr\"}", "job")["rds-dr"], 1.0);

    // What serve's own documents say.
    let topology: serde_json::Value =
        serde_json::from_str(&get(&format!("{}/api/v1/topology", serve.url)).1).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&get(&format!("{}/api/v1/findings", serve.url)).1).unwrap();
    let edges = topology["edges"].as_array().unwrap();
    assert!(!edges.is_empty());

    // Edges by status.
    let mut expected = counts(edges.iter(), "status");
    for status in ["confirmed", "primary-only", "dr-only", "unverified"] {
        expected.entry(status.to_owned()).or_insert(0.0);
    }
    let stored = prometheus.by("rds_dr_edges", "status");
    assert_eq!(stored, expected);
    // Edges by health (the demo fleet's ListDrInfos lists make one edge
    // lagging and one broken), and the broken replications (replica state
    // abnormal: the broken edge; the demo has no failed edge that could
    // carry an abnormal state too).
    let health = prometheus.by("rds_dr_edges_by_health", "health");
    let summary = &topology["summary"]["edge_health"];
    for value in [
        "healthy", "lagging", "broken", "failed", "building", "unknown",
    ] {
        assert_eq!(
            health.get(value).copied(),
            summary[value].as_f64(),
            "{value}"
        );
    }
    assert_eq!(health.values().sum::<f64>(), edges.len() as f64);
    assert_eq!(summary["broken"], 1);
    assert_eq!(summary["lagging"], 1);
    assert_eq!(summary["failed"], 0);
    let broken = prometheus.query("rds_dr_replication_up == 0").len();
    assert_eq!(broken, 1);
    let replicating = prometheus.query("rds_dr_replication_up == 1").len();
    assert_eq!(replicating as f64, health["healthy"] + health["lagging"]);
    // Findings by code.
    let findings = report["findings"].as_array().unwrap();
    let expected = counts(findings.iter(), "code");
    let stored: BTreeMap<String, f64> = prometheus
        .by("rds_dr_findings", "code")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .collect();
    assert_eq!(stored, expected);
    assert!(stored.contains_key("unconfirmed-edge"), "{stored:?}");
    let instances_before = prometheus.query("sum(rds_dr_instances)")[0].1;
    assert_eq!(
        instances_before,
        topology["nodes"].as_array().unwrap().len() as f64
    );

    // The fake dies: every target goes down in Prometheus, the data stays.
    let edges_before = prometheus.by("rds_dr_edges", "status");
    drop(fake.take());
    wait_for(60, "every target down in Prometheus", || {
        let up = prometheus.query("rds_dr_target_up");
        up.len() == series && up.iter().all(|(_, v)| *v == 0.0)
    });
    assert_eq!(prometheus.by("rds_dr_edges", "status"), edges_before);
    assert_eq!(
        prometheus.query("sum(rds_dr_instances)")[0].1,
        instances_before
    );
    let ages = prometheus.query("time() - rds_dr_target_last_success_timestamp_seconds");
    assert_eq!(ages.len(), series, "the last success stays known");
    assert_eq!(prometheus.by("up{job=\"rds-dr\"}", "job")["rds-dr"], 1.0);
    assert_eq!(get(&format!("{}/readyz", serve.url)).0, 200);
    assert_eq!(serve.terminate(), Some(0), "{}", serve.stderr());
}
