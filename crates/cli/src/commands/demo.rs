//! `rds-dr demo`: a tour with nothing to set up.
//!
//! Starts the fake cloud in-process on loopback with a bundled sample fleet
//! (`demo-fleet/*.json`: 4 regions, 5 served projects, 25 instances, and a
//! few deliberate defects), signature checking on with generated demo keys
//! (never printed), and light fault injection; fetches every project through
//! the real HTTP client with retries; then prints the topology, the
//! findings and the impact of losing the busiest region, writes
//! `rds-dr-demo.svg` in the current directory, and says how to do the same
//! against Huawei Cloud.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use rds_dr_fake::{FakeCloud, Fault};
use rds_dr_http::HttpClient;
use rds_dr_http::credentials::Credentials;
use rds_dr_model::{Capture, Target};
use rds_dr_topology::{Topology, export, render};

use crate::Outcome;
use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::live::{Live, is_fatal, report_failures};

/// The bundled fleet: one capture envelope per served project.
const FLEET: [(&str, &str); 5] = [
    (
        "prod-beijing",
        include_str!("../../demo-fleet/prod-beijing.json"),
    ),
    (
        "analytics-beijing",
        include_str!("../../demo-fleet/analytics-beijing.json"),
    ),
    (
        "prod-shanghai",
        include_str!("../../demo-fleet/prod-shanghai.json"),
    ),
    (
        "prod-hongkong",
        include_str!("../../demo-fleet/prod-hongkong.json"),
    ),
    (
        "prod-singapore",
        include_str!("../../demo-fleet/prod-singapore.json"),
    ),
];

/// Share of requests the demo's fake cloud fails on purpose.
const FAULT_RATE: f64 = 0.1;

/// Where the picture goes, in the current directory.
const SVG_FILE: &str = "rds-dr-demo.svg";

/// The bundled captures.
pub fn fleet() -> Vec<Capture> {
    FLEET
        .iter()
        .map(|(name, text)| {
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("bundled demo capture {name} is invalid: {e}"))
        })
        .collect()
}

/// Demo credentials, random per run: the secret is only ever handed to the
/// fake and the client, never printed.
fn demo_credentials() -> Credentials {
    let state = RandomState::new();
    let hex = |salt: u64| format!("{:016X}", state.hash_one(salt));
    let access_key = format!("DEMO{}", hex(1));
    let secret_key = format!("{}{}{}", hex(2), hex(3), &hex(4)[..8]);
    Credentials::new(access_key, secret_key)
}

/// Runs the tour.
pub fn run(global: &GlobalArgs) -> Result<Outcome, CliError> {
    let captures = fleet();
    let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
    let regions: std::collections::BTreeSet<&str> =
        targets.iter().map(|t| t.region.as_str()).collect();
    let credentials = demo_credentials();

    let runtime = crate::runtime::build()?;
    let (base_url, requests, report, elapsed) = runtime.block_on(async {
        let fake = FakeCloud::builder()
            .captures(captures.clone())
            .credentials(credentials.clone())
            .fault_rate(FAULT_RATE)
            .faults(&[Fault::TooManyRequests, Fault::Unavailable, Fault::Reset])
            .seed(2026)
            .start()
            .await
            .map_err(|e| CliError::Other(format!("cannot start the demo's fake cloud: {e}")))?;
        let base_url = fake.base_url();
        let url: url::Url = base_url
            .parse()
            .map_err(|e| CliError::Other(format!("the fake's URL {base_url} is not a URL: {e}")))?;
        let mut demo_global = global.clone();
        demo_global.endpoint = Some(url.clone());
        demo_global.iam_endpoint = Some(url);
        demo_global.insecure = false;
        let live =
            Live::with_builder(&demo_global, HttpClient::builder().credentials(credentials))?;

        crate::output::stdout(&format!(
            "rds-dr demo: a fake Huawei Cloud on {base_url} serving {} projects in {} regions,\n\
             signature checking on (generated demo keys), {:.0}% of calls failing on purpose \
             (429, 503, connection reset).\n\
             Fetching every project through the real HTTP client, with retries...\n",
            targets.len(),
            regions.len(),
            FAULT_RATE * 100.0
        ))?;
        let start = Instant::now();
        let (report, _) = live.scan(targets.clone(), false).await;
        let elapsed = start.elapsed();
        let requests = fake.request_count();
        fake.shutdown().await;
        Ok::<_, CliError>((base_url, requests, report, elapsed))
    })?;
    drop(runtime);
    tracing::debug!(%base_url, requests, "demo fetch done");

    report_failures(&report.failures);
    if let Some(fatal) = report.failures.iter().find(|f| is_fatal(&f.error)) {
        return Err(CliError::Other(format!(
            "the demo's fake cloud refused {}",
            fatal.target
        )));
    }
    let mut builder = Topology::builder();
    for capture in &report.captures {
        builder.capture(capture);
    }
    for failure in &report.failures {
        builder.failed_target(failure.target.clone(), failure.error.to_string());
    }
    let topology = builder.build();
    let view = topology.view();

    let mut out = String::new();
    out.push_str(&format!(
        "Fetched {} of {} projects in {} with {} HTTP requests ({} after injected faults).\n",
        report.captures.len(),
        report.total(),
        seconds(elapsed),
        requests,
        match requests.saturating_sub(report.total() as u64) {
            1 => "1 retry".to_owned(),
            n => format!("{n} retries"),
        },
    ));

    section(&mut out, "Topology (rds-dr topology)");
    out.push_str(&render::tree(&view));

    section(&mut out, "Findings (rds-dr check)");
    out.push_str(&super::check::text_report(&topology.report()));
    out.push_str(
        "The sample fleet has these defects on purpose: a relation only one side reports \
         (unconfirmed-edge),\na DR in the same region as its primary (same-region-dr, \
         no-cross-region-dr), a DR in a project\nthe demo does not serve (unverified-edge) and a \
         cascade (cascaded-dr). So the demo still exits 0.\n",
    );

    let busiest = busiest_region(&topology);
    if let Some(region) = &busiest {
        section(
            &mut out,
            &format!("If {region} fails (rds-dr impact --fail-region {region})"),
        );
        out.push_str(&topology.impact(&[region.as_str()]).to_string());
    }

    let svg_path = std::path::absolute(SVG_FILE).unwrap_or_else(|_| SVG_FILE.into());
    crate::output::write_file(&svg_path, export::svg(&view).as_bytes())?;
    section(&mut out, "Picture (rds-dr export --format svg)");
    out.push_str(&format!("wrote {}\n", svg_path.display()));

    // The busiest region first, then the others in name order.
    let mut shown: Vec<&str> = busiest.iter().map(String::as_str).collect();
    shown.extend(
        regions
            .iter()
            .copied()
            .filter(|r| Some(*r) != busiest.as_deref()),
    );
    let region_args: Vec<String> = shown
        .iter()
        .take(2)
        .map(|r| format!("--region {r}"))
        .collect();
    out.push_str("\nTo watch a fleet continuously for Prometheus: rds-dr serve TARGETS (metrics on http://127.0.0.1:9871/metrics; docs/monitoring.md).\n");
    section(&mut out, "Against Huawei Cloud");
    out.push_str(&format!(
        "  export HUAWEICLOUD_SDK_AK=<your AK> HUAWEICLOUD_SDK_SK=<your SK>\n  rds-dr check {} ...\n",
        region_args.join(" ")
    ));
    crate::output::stdout(&out)?;
    Ok(Outcome::Success)
}

fn section(out: &mut String, title: &str) {
    out.push_str(&format!("\n== {title} ==\n\n"));
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// The region with the most primaries (ties: most instances, then name).
fn busiest_region(topology: &Topology) -> Option<String> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for node in topology.view().nodes {
        if let Some(region) = node.region {
            let entry = counts.entry(region).or_default();
            entry.1 += 1;
            if node.role == rds_dr_topology::Role::Primary {
                entry.0 += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(region, _)| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rds_dr_topology::Code;

    #[test]
    fn bundled_fleet_has_the_promised_shape_and_defects() {
        let captures = fleet();
        assert_eq!(captures.len(), 5);
        let topology = crate::gather::merge(&captures);
        let summary = topology.summary();
        assert_eq!(summary.sources, 5);
        assert_eq!(summary.instances, 25);
        let mut codes: Vec<&str> = topology
            .findings()
            .iter()
            .map(|f| f.code.as_str())
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                "cascaded-dr",
                "no-cross-region-dr",
                "same-region-dr",
                "unconfirmed-edge",
                "unverified-edge"
            ]
        );
        assert!(
            topology
                .findings()
                .iter()
                .all(|f| f.code != Code::MalformedRecord)
        );
        assert_eq!(busiest_region(&topology).as_deref(), Some("cn-north-4"));
    }

    #[test]
    fn demo_keys_differ_per_run() {
        let a = demo_credentials();
        let b = demo_credentials();
        assert_ne!(a.access_key(), b.access_key());
        assert_eq!(a.secret_key().expose().len(), 40);
        assert!(!format!("{a:?}").contains(a.secret_key().expose()));
    }
}
