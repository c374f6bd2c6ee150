//! Fleet scan (issues 5 and 13): 1,000 targets behind 50 ms of injected
//! latency, at concurrency 32, through `Retrying<HttpClient>` and
//! `fleet::scan`, with the fake checking every signature. Each target is
//! fetched with both operations: ListDrRelations and every page of its
//! ListDrInfos list (50, 150 or 250 records: one to three pages). A bench
//! command (`harness = false`) that prints figures:
//!
//! 1. `clean`: no faults. The bound is `ceil(requests / 32) x 50 ms` with
//!    `requests` = 1,000 relations calls + 2,000 pages = 3,000, so 4.7 s;
//!    the goal is a wall time within 1.15x of it.
//! 2. `faults`: 10% of attempts faulted (`429`, `500`, `503`, `reset`,
//!    `truncate`; not `slow`), retried. Every one of the 1,000 relations
//!    captures and the 1,000 infos lists must come back, equal to what the
//!    fake serves (the bench fails otherwise); the goal is within 2x of the
//!    bound. The retry backoff is kept small for
//!    the bench (initial 50 ms, full jitter, 5 attempts); the fake's `429`
//!    carries `Retry-After: 1` (its minimum), which `Retrying` honours.
//! 3. With `RDS_DR_SDK_PYTHON` set to a Python that has the official SDK
//!    (`huaweicloudsdkrds`): the same 1,000 ListDrRelations calls, then 1,000
//!    ListDrInfos first pages (limit 100), one after another with the
//!    official SDK against the same fake (50 ms latency, signature checking
//!    on, no faults), through `.ci/interop/sdk_bench.py`: its per-call cost.
//!    `RDS_DR_BENCH_SEQUENTIAL=1` also runs the Rust client one call at a
//!    time over the same 1,000 targets, for a like-for-like comparison.
//!
//! To explain the figures, every run also prints the attempts by outcome
//! (HTTP status or error kind, seen under the retry layer) and the time per
//! target (seen above it, retries and their waits included), and a
//! diagnostic run `no-429` repeats the fault run without the `429` kind
//! (so without any `Retry-After` wait). Observing is two timestamps and a
//! mutex per call, negligible next to 50 ms.
//!
//! Runs only under `cargo bench` (which passes `--bench`); under
//! `cargo test --benches` it prints how to run it and exits.
//!
//! `cargo bench -p rds-dr-tests --bench fleet_scan`
//! `RDS_DR_SDK_PYTHON=/tmp/hwsdk/bin/python cargo bench -p rds-dr-tests --bench fleet_scan`
//!
//! Loopback only: the fake listens on 127.0.0.1 and the client is pointed at
//! it, with proxies off.

use std::collections::BTreeMap;
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rds_dr_api::fleet::{FleetConfig, FleetReport, scan};
use rds_dr_api::retry::{RetryPolicy, Retrying};
use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};
use rds_dr_fake::{Credentials, FakeCloud, Fault, RunningFake};
use rds_dr_http::{HttpClient, TokioClock};
use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_model::{Capture, InfosCapture, InstanceDrInfo, Lenient};

const AK: &str = "BENCHAKBENCHAKBENCHAK";
const SK: &str = "bench-secret-key-bench-secret-key-bench";
const TARGETS: usize = 1_000;
const CONCURRENCY: usize = 32;
const LATENCY: Duration = Duration::from_millis(50);
const FAULT_RATE: f64 = 0.10;
const FAULT_SEED: u64 = 2026;
const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
const MAX_ATTEMPTS: u32 = 5;

/// 20 regions x 50 projects = 1,000 small captures (about 4 records each).
fn fleet() -> Vec<Capture> {
    generate(
        &FleetSpec::new()
            .seed(5)
            .region_count(20)
            .projects_per_region(50)
            .primaries(1_500),
    )
    .captures
}

/// Each target's ListDrInfos list: 50, 150 or 250 records (1 to 3 pages).
fn infos_fleet(captures: &[Capture]) -> Vec<InfosCapture> {
    captures
        .iter()
        .enumerate()
        .map(|(t, capture)| {
            let n = 50 + 100 * (t % 3);
            let records = (0..n)
                .map(|i| {
                    Lenient::Valid(InstanceDrInfo {
                        id: Some(format!("{t:016x}{i:016x}")),
                        status: Some("normal".into()),
                        master_instance_id: Some(format!("{t:016x}{i:016x}in03")),
                        master_region: Some(capture.source.region.clone()),
                        slave_instance_id: Some(format!("{i:016x}{t:016x}in03")),
                        slave_region: Some("ap-southeast-1".into()),
                        time: Some(1_733_000_000_000 + i as i64),
                        replica_state: Some("0".into()),
                        wal_write_receive_delay_in_mb: Some("0.25".into()),
                        wal_write_replay_delay_in_mb: Some("1.5".into()),
                        wal_receive_replay_delay_in_ms: Some("120".into()),
                        ..Default::default()
                    })
                })
                .collect::<Vec<_>>();
            InfosCapture::new(
                capture.source.clone(),
                ListDrInfosResponse {
                    total_count: Some(records.len() as i64),
                    instance_dr_infos: records,
                },
            )
        })
        .collect()
}

/// Requests of a perfect scan: one relations call and one call per page.
fn requests(infos: &[InfosCapture]) -> usize {
    TARGETS
        + infos
            .iter()
            .map(|c| c.response.instance_dr_infos.len().div_ceil(100).max(1))
            .sum::<usize>()
}

/// `ceil(requests / concurrency) x latency`: the wall time of a perfect scan.
fn bound(requests: usize) -> Duration {
    LATENCY * requests.div_ceil(CONCURRENCY) as u32
}

fn start_fake(
    runtime: &tokio::runtime::Runtime,
    captures: &[Capture],
    infos: &[InfosCapture],
    faults: &[Fault],
) -> RunningFake {
    let mut builder = FakeCloud::builder()
        .captures(captures.iter().cloned())
        .infos(infos.iter().cloned())
        .credentials(Credentials::new(AK, SK))
        .latency(LATENCY);
    if !faults.is_empty() {
        builder = builder
            .fault_rate(FAULT_RATE)
            .faults(faults)
            .seed(FAULT_SEED);
    }
    runtime
        .block_on(builder.start())
        .expect("the fake starts on 127.0.0.1")
}

/// A transparent layer that records how long each call took and how it
/// ended: under `Retrying` it sees attempts, above it whole targets.
struct Observed<A> {
    inner: A,
    log: Mutex<Vec<(Duration, String)>>,
}

impl<A> Observed<A> {
    fn new(inner: A) -> Self {
        Observed {
            inner,
            log: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Vec<(Duration, String)> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn outcome<T>(result: &Result<T, ApiError>) -> String {
    match result {
        Ok(_) => "200".to_owned(),
        Err(e) => match e.status() {
            Some(status) if !(200..300).contains(&status) => status.to_string(),
            _ => e.kind().to_string(),
        },
    }
}

impl<A: DrRelationsApi> DrRelationsApi for Observed<A> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            let start = Instant::now();
            let result = self.inner.list_dr_relations(target, options).await;
            let entry = (start.elapsed(), outcome(&result));
            self.log
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(entry);
            result
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            let start = Instant::now();
            let result = self.inner.list_dr_infos(target, query, options).await;
            let entry = (start.elapsed(), outcome(&result));
            self.log
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(entry);
            result
        })
    }
}

fn client(fake: &RunningFake) -> HttpClient {
    HttpClient::builder()
        .credentials(Credentials::new(AK, SK))
        .endpoint(fake.base_url().parse().expect("the fake's URL parses"))
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

struct Run {
    wall: Duration,
    report: FleetReport,
    requests: u64,
    /// Attempts by outcome (HTTP status or error kind).
    attempts: BTreeMap<String, usize>,
    /// Time per target, retries included, sorted.
    per_target: Vec<Duration>,
}

/// One scan of every target through `Retrying<HttpClient>` on a fresh
/// client (cold connection pool, as a command run starts).
fn run_scan(
    client_runtime: &tokio::runtime::Runtime,
    fake: &RunningFake,
    targets: &[Target],
    policy: RetryPolicy,
    concurrency: usize,
) -> Run {
    let api = Observed::new(Retrying::new(
        Observed::new(client(fake)),
        policy,
        TokioClock,
    ));
    let before = fake.request_count();
    let start = Instant::now();
    let report = client_runtime.block_on(scan(
        &api,
        targets.to_vec(),
        RequestOptions::default(),
        FleetConfig::new().concurrency(concurrency),
        |_| {},
    ));
    let wall = start.elapsed();
    let mut attempts = BTreeMap::new();
    for (_, outcome) in api.inner.inner().take() {
        *attempts.entry(outcome).or_insert(0) += 1;
    }
    let mut per_target: Vec<Duration> = api.take().into_iter().map(|(d, _)| d).collect();
    per_target.sort();
    Run {
        wall,
        report,
        requests: fake.request_count() - before,
        attempts,
        per_target,
    }
}

/// Every target answered both operations, with exactly what the fake serves.
fn check_complete(
    name: &str,
    run: &Run,
    captures: &[Capture],
    infos: &[InfosCapture],
) -> Result<(), String> {
    if !run.report.failures.is_empty() {
        let first = &run.report.failures[0];
        return Err(format!(
            "{name}: {} of {TARGETS} targets failed (first: {}: {})",
            run.report.failures.len(),
            first.target,
            first.error
        ));
    }
    if run.report.captures.len() != TARGETS {
        return Err(format!(
            "{name}: {} captures, expected {TARGETS}",
            run.report.captures.len()
        ));
    }
    let mut expected: Vec<&Capture> = captures.iter().collect();
    expected.sort_by(|a, b| a.source.cmp(&b.source));
    for (got, want) in run.report.captures.iter().zip(expected) {
        if got.source != want.source || got.response != want.response {
            return Err(format!(
                "{name}: the capture of {} differs from what the fake serves",
                want.source
            ));
        }
    }
    if run.report.infos.len() != infos.len() {
        return Err(format!(
            "{name}: {} infos lists, expected {}",
            run.report.infos.len(),
            infos.len()
        ));
    }
    let mut expected: Vec<&InfosCapture> = infos.iter().collect();
    expected.sort_by(|a, b| a.source.cmp(&b.source));
    for (got, want) in run.report.infos.iter().zip(expected) {
        if got.source != want.source || got.response != want.response {
            return Err(format!(
                "{name}: the ListDrInfos list of {} differs from what the fake serves",
                want.source
            ));
        }
    }
    Ok(())
}

fn print_run(name: &str, run: &Run, goal: f64, bound: Duration) {
    let ratio = run.wall.as_secs_f64() / bound.as_secs_f64();
    println!(
        "{name:<8} wall {:>7.3} s  bound {:.3} s  ratio {ratio:.3}x (goal <= {goal}x: {})  \
         requests {} for {} captures and {} infos lists, {} failures",
        run.wall.as_secs_f64(),
        bound.as_secs_f64(),
        if ratio <= goal { "met" } else { "MISSED" },
        run.requests,
        run.report.captures.len(),
        run.report.infos.len(),
        run.report.failures.len(),
    );
    let attempts: Vec<String> = run
        .attempts
        .iter()
        .map(|(outcome, n)| format!("{outcome}: {n}"))
        .collect();
    let at = |q: f64| {
        let i = ((run.per_target.len() as f64 - 1.0) * q).round() as usize;
        run.per_target.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let over_1s = run
        .per_target
        .iter()
        .filter(|d| **d >= Duration::from_secs(1))
        .count();
    let busy: f64 = run.per_target.iter().map(Duration::as_secs_f64).sum();
    println!(
        "         attempts {{{}}}; per target ms: p50 {:.0}, p90 {:.0}, p99 {:.0}, max {:.0}; \
         {over_1s} targets >= 1 s; slot time {:.1} s = {:.3} s over {CONCURRENCY} slots",
        attempts.join(", "),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        busy,
        busy / CONCURRENCY as f64,
    );
}

/// The official Python SDK making the 1,000 calls one after another.
fn python_sdk(
    python: &str,
    fake: &RunningFake,
    targets: &[Target],
    operation: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let file = dir.path().join("targets.txt");
    let text: String = targets.iter().map(|t| format!("{t}\n")).collect();
    std::fs::write(&file, text).map_err(|e| format!("write {}: {e}", file.display()))?;
    let script = rds_dr_tests::workspace_root().join(".ci/interop/sdk_bench.py");
    let output = Command::new(python)
        .arg(&script)
        .args(["--endpoint", &fake.base_url(), "--ak", AK, "--sk", SK])
        .arg("--targets-file")
        .arg(&file)
        .args(["--threads", "1", "--operation", operation])
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .map_err(|e| format!("run {python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "sdk_bench.py failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    for line in stdout.lines() {
        println!("python   {line}");
    }
    Ok(())
}

fn main() -> ExitCode {
    if !rds_dr_tests::bench_asked("fleet_scan") {
        return ExitCode::SUCCESS;
    }
    let captures = fleet();
    assert_eq!(
        captures.len(),
        TARGETS,
        "the synthetic fleet has 1,000 captures"
    );
    let records: usize = captures
        .iter()
        .map(|c| c.response.instance_dr_relations.len())
        .sum();
    let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
    let infos = infos_fleet(&captures);
    let infos_records: usize = infos
        .iter()
        .map(|c| c.response.instance_dr_infos.len())
        .sum();
    let requests = requests(&infos);
    let bound = bound(requests);
    println!(
        "fleet: {TARGETS} targets ({records} relations records, {infos_records} ListDrInfos records), \
         {requests} requests, latency {} ms, concurrency {CONCURRENCY}, signature checking on",
        LATENCY.as_millis()
    );

    // The fake on its own worker; the client on a runtime like the CLI's.
    let fake_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("fake runtime");
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    let mut failed = Vec::new();

    // 1. No faults.
    let fake = start_fake(&fake_runtime, &captures, &infos, &[]);
    let policy = RetryPolicy::builder()
        .max_attempts(MAX_ATTEMPTS)
        .initial_backoff(INITIAL_BACKOFF)
        .build()
        .expect("policy");
    let clean = run_scan(
        &client_runtime,
        &fake,
        &targets,
        policy.clone(),
        CONCURRENCY,
    );
    print_run("clean", &clean, 1.15, bound);
    if let Err(e) = check_complete("clean", &clean, &captures, &infos) {
        failed.push(e);
    }

    // Optional like-for-like with the Python SDK: one call at a time.
    if std::env::var_os("RDS_DR_BENCH_SEQUENTIAL").is_some() {
        let sequential = run_scan(&client_runtime, &fake, &targets, policy.clone(), 1);
        println!(
            "rust-seq wall {:>7.3} s  {:.1} calls/s  ({:.2} ms per call, {} ms of it latency)",
            sequential.wall.as_secs_f64(),
            requests as f64 / sequential.wall.as_secs_f64(),
            sequential.wall.as_secs_f64() * 1e3 / requests as f64,
            LATENCY.as_millis()
        );
        if let Err(e) = check_complete("rust-seq", &sequential, &captures, &infos) {
            failed.push(e);
        }
    }

    // 3. The official Python SDK against the same fake.
    match std::env::var("RDS_DR_SDK_PYTHON") {
        Ok(python) if !python.is_empty() => {
            for operation in ["ListDrRelations", "ListDrInfos"] {
                if let Err(e) = python_sdk(&python, &fake, &targets, operation) {
                    failed.push(format!("python: {e}"));
                }
            }
        }
        _ => println!("python   skipped: set RDS_DR_SDK_PYTHON to a Python with huaweicloudsdkrds"),
    }
    fake_runtime.block_on(fake.shutdown());

    // 2. 10% faults, retried; then the same without 429 (diagnostic).
    let all = [
        Fault::TooManyRequests,
        Fault::InternalError,
        Fault::Unavailable,
        Fault::Reset,
        Fault::Truncate,
    ];
    for (name, kinds) in [("faults", &all[..]), ("no-429", &all[1..])] {
        let fake = start_fake(&fake_runtime, &captures, &infos, kinds);
        let run = run_scan(
            &client_runtime,
            &fake,
            &targets,
            policy.clone(),
            CONCURRENCY,
        );
        print_run(name, &run, 2.0, bound);
        let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        println!(
            "         {:.0}% faults (seed {FAULT_SEED}: {}), {} retries; backoff: initial {} ms, \
             full jitter, x2, {MAX_ATTEMPTS} attempts{}",
            FAULT_RATE * 100.0,
            kinds.join("/"),
            run.requests.saturating_sub(requests as u64),
            INITIAL_BACKOFF.as_millis(),
            if kinds.contains(&"429") {
                "; the 429's Retry-After (1 s) honoured"
            } else {
                ""
            }
        );
        if let Err(e) = check_complete(name, &run, &captures, &infos) {
            failed.push(e);
        }
        fake_runtime.block_on(fake.shutdown());
    }

    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        for e in &failed {
            eprintln!("FAILED: {e}");
        }
        ExitCode::FAILURE
    }
}
