//! Figures for `rds-dr serve` (issue 14). A bench command (`harness =
//! false`) that prints figures, against the fake cloud in this process on
//! 127.0.0.1 and the release `rds-dr`. The fake serves both operations for
//! every target, ListDrRelations and ListDrInfos (one record per edge, a
//! few of each health defect), so serve scans with health as it does by
//! default.
//!
//! 1. `metrics`: `/metrics` on a fleet of about 10,000 edges, scanned every
//!    100 ms: the encode time of each new scan's exposition (serve logs it
//!    at debug level: `encoded /metrics ... elapsed_us`), and the latency of
//!    100 scrapes taken while it scans (p50, p99; serve encodes each scan's
//!    body for the formats scraped so far before it publishes the scan, so
//!    a scrape should not pay it), against 100 scrapes of a
//!    serve that scans once an hour (the cached exposition).
//! 2. `memory`: a 2,000-primary fleet scanned every 100 ms and scraped as
//!    Prometheus scrapes (so every scan encodes its body); peak RSS
//!    (VmRSS, sampled every 10 ms for a second) after 30, 100, 300, 600 and
//!    1,000 scans (`RDS_DR_BENCH_SERVE_SCANS=30,300` to choose; the goal:
//!    300 within 10% of 30).
//! 3. `scan`: cost of a scan: 1,000 targets, serve's scans (min and median
//!    of each scan's time in its log, and the mean of its
//!    `rds_dr_scan_duration_seconds` histogram over 10 or more scans)
//!    against the min and median of six `rds-dr check` wall times over the
//!    same targets (three before serve runs, three after; they also pay the
//!    process start).
//!
//! `RDS_DR_BENCH_SERVE_PARTS=memory` (comma-separated) runs only some parts.
//! The binary is `RDS_DR_RELEASE_BIN` when set, else built with
//! `cargo build --release -p rds-dr-cli --bin rds-dr`.
//!
//! `cargo bench -p rds-dr-tests --bench serve_scale`

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rds_dr_fake::{FakeCloud, FakeCloudBuilder};
use rds_dr_model::synth::{Fleet, FleetSpec, HealthSpec, generate, health};
use rds_dr_tests::{Fake, target_args};

/// The `Accept` header of Prometheus 2.x's scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct Serve {
    child: Child,
    url: String,
    stderr: PathBuf,
    /// How often `wait_scans` asks for the scan count: each answer lists
    /// every target, so for 1,000 targets it is asked seldom, to leave the
    /// two cores to the scans being measured.
    poll: Duration,
}

impl Serve {
    /// `verbose`: `-v` for each scan's time in the log, `-vv` also for the
    /// encode times.
    fn start(
        bin: &Path,
        fake_url: &str,
        targets: &[String],
        (interval, verbose): (&str, Option<&str>),
        dir: &Path,
    ) -> Result<Serve, String> {
        // `RDS_DR_BENCH_SERVE_LOGS=DIR` keeps serve's logs there.
        let logs = std::env::var_os("RDS_DR_BENCH_SERVE_LOGS").map(PathBuf::from);
        let stderr = logs
            .as_deref()
            .unwrap_or(dir)
            .join(format!("serve-{}-{interval}.log", targets.len()));
        let mut child = Command::new(bin)
            .arg("serve")
            .args(targets)
            .args([
                "--endpoint",
                fake_url,
                "--listen",
                "127.0.0.1:0",
                "--interval",
                interval,
            ])
            .args(verbose)
            .env("HUAWEICLOUD_SDK_AK", "BENCHACCESSKEY")
            .env("HUAWEICLOUD_SDK_SK", "bench-secret")
            .env("HOME", dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("start serve: {e}"))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("first line {line:?}"))?
            .to_owned();
        let poll = Duration::from_millis(if targets.len() > 100 { 250 } else { 20 });
        Ok(Serve {
            child,
            url,
            stderr,
            poll,
        })
    }

    fn scans(&self, client: &reqwest::blocking::Client) -> u64 {
        client
            .get(format!("{}/api/v1/targets", self.url))
            .send()
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.text().ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["scans"].as_u64())
            .unwrap_or(0)
    }

    fn wait_scans(
        &self,
        client: &reqwest::blocking::Client,
        n: u64,
        limit: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while self.scans(client) < n {
            if Instant::now() > deadline {
                return Err(format!("fewer than {n} scans within {limit:?}"));
            }
            std::thread::sleep(self.poll);
        }
        Ok(())
    }

    fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| e.to_string())?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmRSS".to_owned())
    }
}

impl Serve {
    /// CPU time the process has used (user and system, from
    /// `/proc/PID/stat`; Linux counts it in 1/100 s for user space).
    fn cpu(&self) -> Result<Duration, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .map_err(|e| e.to_string())?;
        // Fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| -> Result<u64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("no field {i} in /proc/PID/stat"))
        };
        // utime and stime are fields 14 and 15, the 12th and 13th after `)`.
        Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake cloud for `fleet`, serving its ListDrRelations captures and
/// ListDrInfos records for every edge (a few of each health defect, so that
/// every `rds_dr_replication_*` family and health value appears), as a real
/// fleet with health does: serve calls both operations for every target.
fn fake_of(fleet: &Fleet) -> (FakeCloudBuilder, usize) {
    let infos = health(fleet, &HealthSpec::new().seed(14).every_defect(3));
    let records = infos.record_count();
    let builder = FakeCloud::builder()
        .captures(fleet.captures.clone())
        .infos(infos.captures);
    (builder, records)
}

/// The encode times serve logged (`encoded /metrics ... elapsed_us=N`,
/// at `-vv`), sorted.
fn encode_times(log: &str) -> Vec<Duration> {
    logged_times(log, "encoded /metrics")
}

/// The times of the log lines (`-vv`) with `what`, from their
/// `elapsed_us`, sorted.
fn logged_times(log: &str, what: &str) -> Vec<Duration> {
    let mut times: Vec<Duration> = log
        .lines()
        .filter(|l| l.contains(what))
        .filter_map(|l| {
            l.split("elapsed_us=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .map(Duration::from_micros)
        .collect();
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn scrapes(
    client: &reqwest::blocking::Client,
    url: &str,
    n: usize,
) -> Result<(Vec<Duration>, usize), String> {
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let start = Instant::now();
        let body = client
            .get(format!("{url}/metrics"))
            .send()
            .and_then(|r| r.bytes())
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        bytes = body.len();
        std::thread::sleep(Duration::from_millis(30));
    }
    times.sort();
    Ok((times, bytes))
}

/// What every part of the bench uses: the binary, a scratch directory and
/// an HTTP client.
struct Bench {
    bin: PathBuf,
    dir: tempfile::TempDir,
    client: reqwest::blocking::Client,
}

fn run() -> Result<(), String> {
    let bench = Bench {
        bin: rds_dr_tests::release_bin()?,
        dir: tempfile::tempdir().map_err(|e| e.to_string())?,
        // Bodies as written: the gzip figures of the `metrics` part ask
        // for gzip themselves.
        client: reqwest::blocking::Client::builder()
            .no_proxy()
            .no_gzip()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?,
    };
    // `RDS_DR_BENCH_SERVE_PARTS=metrics,memory,scan` (the default: all).
    let parts = std::env::var("RDS_DR_BENCH_SERVE_PARTS")
        .unwrap_or_else(|_| "metrics,memory,scan".to_owned());
    for part in parts.split(',').map(str::trim) {
        match part {
            "metrics" => metrics(&bench)?,
            "memory" => memory(&bench)?,
            "scan" => scan_cost(&bench)?,
            other => return Err(format!("unknown part {other:?} (metrics, memory, scan)")),
        }
    }
    Ok(())
}

/// 1. `/metrics` on about 10,000 edges.
fn metrics(bench: &Bench) -> Result<(), String> {
    let Bench { bin, dir, client } = bench;
    let fleet = generate(
        &FleetSpec::new()
            .seed(14)
            .region_count(8)
            .projects_per_region(2)
            .primaries(6_000),
    );
    let targets = target_args(fleet.captures.iter().map(|c| c.source.clone()));
    let (builder, infos) = fake_of(&fleet);
    let fake = Fake::start(builder);
    let scanning = Serve::start(
        bin,
        &fake.url(),
        &targets,
        ("100ms", Some("-vv")),
        dir.path(),
    )?;
    scanning.wait_scans(client, 3, Duration::from_secs(120))?;
    let summary: serde_json::Value = client
        .get(format!("{}/api/v1/findings", scanning.url))
        .send()
        .and_then(|r| r.text())
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))?;
    let edges = summary["summary"]["edges"].as_u64().unwrap_or(0);
    let before = scanning.scans(client);
    let (during, bytes) = scrapes(client, &scanning.url, 100)?;
    let scans_during = scanning.scans(client) - before;
    let log = std::fs::read_to_string(&scanning.stderr).map_err(|e| e.to_string())?;
    let encode = encode_times(&log);
    drop(scanning);
    let idle = Serve::start(bin, &fake.url(), &targets, ("1h", Some("-vv")), dir.path())?;
    idle.wait_scans(client, 1, Duration::from_secs(120))?;
    let _ = scrapes(client, &idle.url, 1)?;
    let (cached, _) = scrapes(client, &idle.url, 100)?;
    // As Prometheus scrapes: asking for gzip (the client decompresses).
    let gzip_client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let (gzipped, _) = scrapes(&gzip_client, &idle.url, 100)?;
    let idle_log = std::fs::read_to_string(&idle.stderr).map_err(|e| e.to_string())?;
    let quiet = encode_times(&idle_log);
    let compress = logged_times(&idle_log, "gzipped /metrics");
    drop(idle);
    println!(
        "serve_scale: /metrics of {edges} edges ({} captures, {infos} ListDrInfos records), {bytes} bytes",
        fleet.captures.len()
    );
    if !encode.is_empty() {
        println!(
            "  encode (serve's log, {} encodings): p50 {}, p99 {}, max {}",
            encode.len(),
            ms(percentile(&encode, 0.5)),
            ms(percentile(&encode, 0.99)),
            ms(*encode.last().unwrap())
        );
    }
    if let Some(quiet) = quiet.first() {
        println!(
            "  encode with no scan running (the first scrape of a serve that scans once an hour): {}",
            ms(*quiet)
        );
    }
    println!(
        "  100 scrapes while scanning every 100 ms ({scans_during} scans meanwhile): p50 {}, p99 {}",
        ms(percentile(&during, 0.5)),
        ms(percentile(&during, 0.99))
    );
    println!(
        "  100 scrapes of a serve scanning once an hour (cached): p50 {}, p99 {}",
        ms(percentile(&cached, 0.5)),
        ms(percentile(&cached, 0.99))
    );
    if let Some(compress) = compress.first() {
        println!(
            "  gzip: compressed once by the first scrape that asks ({}); 100 such scrapes (decompressed by the client): p50 {}, p99 {}, max {}",
            ms(*compress),
            ms(percentile(&gzipped, 0.5)),
            ms(percentile(&gzipped, 0.99)),
            ms(*gzipped.last().unwrap_or(&Duration::ZERO))
        );
    }
    Ok(())
}

/// 2. RSS after N scans of a 2,000-primary fleet scanned every 100 ms.
fn memory(bench: &Bench) -> Result<(), String> {
    let Bench { bin, dir, client } = bench;
    let fleet = generate(
        &FleetSpec::new()
            .seed(15)
            .region_count(8)
            .projects_per_region(2)
            .primaries(2_000),
    );
    let targets = target_args(fleet.captures.iter().map(|c| c.source.clone()));
    let (builder, _) = fake_of(&fleet);
    let fake = Fake::start(builder);
    let serve = Serve::start(bin, &fake.url(), &targets, ("100ms", None), dir.path())?;
    let started = Instant::now();
    let mut rss = Vec::new();
    // `RDS_DR_BENCH_SERVE_SCANS=30,300,1000`: where to sample (30 and 300
    // are needed for the goal).
    let points: Vec<u64> = std::env::var("RDS_DR_BENCH_SERVE_SCANS")
        .unwrap_or_else(|_| "30,100,300,600,1000".to_owned())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .map_err(|_| format!("bad scan count {n:?}"))
        })
        .collect::<Result<_, _>>()?;
    // Scraped as Prometheus scrapes (OpenMetrics asked for first), once
    // before the first sample and once in each: from the first scrape on,
    // every scan encodes its /metrics body and keeps it.
    let scrape = || -> Result<(), String> {
        client
            .get(format!("{}/metrics", serve.url))
            .header("Accept", PROMETHEUS_ACCEPT)
            .send()
            .and_then(|r| r.bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    };
    serve.wait_scans(client, 1, Duration::from_secs(120))?;
    scrape()?;
    for &scans in &points {
        serve.wait_scans(client, scans, Duration::from_secs(900))?;
        // The peak over about ten scans, so that where in a scan the sample
        // falls does not decide the figure.
        let mut peak = 0;
        for i in 0..100 {
            if i == 50 {
                scrape()?;
            }
            peak = peak.max(serve.rss_kib()?);
            std::thread::sleep(Duration::from_millis(10));
        }
        rss.push((scans, peak));
    }
    let at = |n: u64| {
        rss.iter()
            .find(|(scans, _)| *scans == n)
            .map(|(_, kib)| *kib as f64)
    };
    let growth = match (at(30), at(300)) {
        (Some(a), Some(b)) => format!("{:+.1}% from 30 to 300", (b - a) / a * 100.0),
        _ => "30 or 300 not sampled".to_owned(),
    };
    let trend: Vec<String> = rss.iter().map(|(n, kib)| format!("{n}: {kib}")).collect();
    println!(
        "serve_scale: 2,000 primaries every 100 ms: peak RSS KiB after N scans {} ({growth}; {:.1} s)",
        trend.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// 3. A scan of 1,000 targets against `check` of the same targets.
fn scan_cost(bench: &Bench) -> Result<(), String> {
    let Bench { bin, dir, client } = bench;
    let fleet = generate(
        &FleetSpec::new()
            .seed(16)
            .region_count(10)
            .projects_per_region(100)
            .primaries(3_000),
    );
    let targets = target_args(fleet.captures.iter().map(|c| c.source.clone()));
    let count = fleet.captures.len();
    let (builder, _) = fake_of(&fleet);
    let fake = Fake::start(builder);
    // Wall and CPU time (user and system) of one `check` run.
    let check = || -> Result<(Duration, Duration), String> {
        let cpu_before = children_cpu();
        let start = Instant::now();
        let status = Command::new(bin)
            .arg("check")
            .args(&targets)
            .args([
                "--endpoint",
                &fake.url(),
                "--format",
                "json",
                "--no-progress",
                "--fail-on",
                "never",
            ])
            .env("HUAWEICLOUD_SDK_AK", "BENCHACCESSKEY")
            .env("HUAWEICLOUD_SDK_SK", "bench-secret")
            .env("HOME", dir.path())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("check failed: {status}"));
        }
        Ok((start.elapsed(), children_cpu().saturating_sub(cpu_before)))
    };
    // Three `check` runs before serve and three after, so that a machine
    // that drifts shows in the spread.
    let mut checks = (0..3).map(|_| check()).collect::<Result<Vec<_>, _>>()?;
    let serve = Serve::start(
        bin,
        &fake.url(),
        &targets,
        ("100ms", Some("-v")),
        dir.path(),
    )?;
    let histogram = |client: &reqwest::blocking::Client| -> Result<(f64, f64), String> {
        let text = client
            .get(format!("{}/metrics", serve.url))
            .send()
            .and_then(|r| r.text())
            .map_err(|e| e.to_string())?;
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Ok((
            value("rds_dr_scan_duration_seconds_sum"),
            value("rds_dr_scan_duration_seconds_count"),
        ))
    };
    serve.wait_scans(client, 1, Duration::from_secs(300))?;
    let (sum_1, count_1) = histogram(client)?;
    let cpu_1 = serve.cpu()?;
    serve.wait_scans(client, count_1 as u64 + 10, Duration::from_secs(600))?;
    let (sum_n, count_n) = histogram(client)?;
    let cpu_n = serve.cpu()?;
    let log = std::fs::read_to_string(&serve.stderr).map_err(|e| e.to_string())?;
    drop(serve);
    checks.extend((0..3).map(|_| check()).collect::<Result<Vec<_>, _>>()?);
    let mut check_cpu: Vec<Duration> = checks.iter().map(|c| c.1).collect();
    check_cpu.sort();
    let mut checks: Vec<Duration> = checks.iter().map(|c| c.0).collect();
    checks.sort();
    let mean = Duration::from_secs_f64((sum_n - sum_1) / (count_n - count_1));
    // Each scan from the first call to the published snapshot, as its log
    // line says (the first scan left out: it also starts the connections).
    let mut scans: Vec<Duration> = log
        .lines()
        .filter(|l| l.contains("scan published"))
        .skip(1)
        .filter_map(|l| {
            l.split("elapsed_ms=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .map(Duration::from_millis)
        .collect();
    scans.sort();
    if scans.is_empty() {
        return Err("no `scan published` line in serve's log".to_owned());
    }
    println!(
        "serve_scale: {count} targets: serve scans (log, {} scans) min {}, median {}; histogram mean {}, CPU {} a scan ({} scans); `rds-dr check` wall (6 runs, process start included) min {}, median {}, CPU median {}",
        scans.len(),
        ms(scans[0]),
        ms(percentile(&scans, 0.5)),
        ms(mean),
        ms((cpu_n - cpu_1).div_f64(count_n - count_1)),
        count_n - count_1,
        ms(checks[0]),
        ms(percentile(&checks, 0.5)),
        ms(percentile(&check_cpu, 0.5)),
    );
    Ok(())
}

/// CPU time (user and system) of this process's children that have
/// exited and been waited for.
fn children_cpu() -> Duration {
    // SAFETY: `getrusage` only writes the `rusage` it is handed, which
    // lives on this stack for the call.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn main() -> ExitCode {
    rds_dr_tests::bench_main("serve_scale", run)
}
