//! Scale of `rds-dr check --input DIR` (issue 4). A bench command
//! (`harness = false`) that prints figures:
//!
//! 1. Generates the 100,000-primary fleet with `rds_dr_model::synth` (30
//!    regions x 3 projects = 90 captures, about 267,000 instances) into a
//!    temporary directory as capture envelope files (compact JSON), and its
//!    ListDrInfos captures beside them (`synth::health`: one healthy record
//!    per edge, 90 infos envelopes); `RDS_DR_BENCH_NO_HEALTH=1` leaves the
//!    infos out, for the relations-only figures.
//! 2. The floor: reading every file and parsing it with
//!    `serde_json::from_slice::<serde::de::IgnoredAny>` (JSON syntax only, no
//!    model); also the parse alone over bytes already in memory.
//! 3. The release `rds-dr check --input DIR --format json` under
//!    `/usr/bin/time -v` (when present), nine times (shared machines drift
//!    by tens of percent within a minute), each right after a floor run: the
//!    best wall time, its ratio to the best floor (goal <= 3x), the range of
//!    each run's ratio to the floor run before it, and peak RSS against the
//!    total input size (goal: below). The JSON report is checked (90
//!    sources, every instance of the fleet, and with the infos every edge
//!    `healthy`) so a fast failure does not pass for a fast run.
//!
//! The binary is `RDS_DR_RELEASE_BIN` when set, else built with
//! `cargo build --release -p rds-dr-cli --bin rds-dr` (a no-op when fresh).
//! `RDS_DR_BENCH_FLEET_DIR=DIR` writes the fleet into `DIR` (created if
//! needed, left in place afterwards, e.g. for `perf record`) instead of a
//! temporary directory. `RDS_DR_BENCH_UNKNOWN_FIELDS=1` adds fields the
//! model does not know to every record and every peer (a string, a number,
//! and a nested object with an array and an escaped string, as a newer API
//! version might send), so the figures show what unknown fields cost.
//!
//! Runs only under `cargo bench` (which passes `--bench`); under
//! `cargo test --benches` it prints how to run it and exits.
//!
//! `cargo bench -p rds-dr-tests --bench check_scale`

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rds_dr_model::synth::{HealthSpec, generate, health};
use serde::de::IgnoredAny;

const RUNS: usize = 9;

#[path = "../common/bench_fleet.rs"]
mod bench_fleet;
use bench_fleet::spec;

/// Writes one envelope file per capture; returns the files and total bytes.
pub(crate) fn write_fleet(dir: &Path) -> Result<(Vec<PathBuf>, usize, usize, usize), String> {
    let fleet = generate(&spec());
    let records = fleet.record_count();
    let mut files = Vec::new();
    let mut total = 0;
    let unknown_fields = std::env::var_os("RDS_DR_BENCH_UNKNOWN_FIELDS").is_some_and(|v| v == "1");
    if unknown_fields {
        println!("fleet: with unknown fields on every record and peer");
    }
    for (i, capture) in fleet.captures.iter().enumerate() {
        let mut bytes = serde_json::to_vec(capture).map_err(|e| format!("serialise: {e}"))?;
        if unknown_fields {
            bytes = add_unknown_fields(&bytes);
        }
        total += bytes.len();
        let path = dir.join(format!("capture-{i:03}.json"));
        std::fs::write(&path, &bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
        files.push(path);
    }
    Ok((files, total, fleet.captures.len(), records))
}

/// Writes the fleet's ListDrInfos captures (one healthy record per edge),
/// one envelope file per (region, project); returns the files, their total
/// bytes and the number of records.
pub(crate) fn write_infos(dir: &Path) -> Result<(Vec<PathBuf>, usize, usize), String> {
    let fleet = generate(&spec());
    let infos = health(&fleet, &HealthSpec::new().seed(2026));
    let mut files = Vec::new();
    let mut total = 0;
    for (i, capture) in infos.captures.iter().enumerate() {
        let bytes = serde_json::to_vec(capture).map_err(|e| format!("serialise: {e}"))?;
        total += bytes.len();
        let path = dir.join(format!("infos-{i:03}.json"));
        std::fs::write(&path, &bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
        files.push(path);
    }
    Ok((files, total, infos.record_count()))
}

/// Adds fields the model does not know at the end of every record and
/// peer of a compact capture envelope: every object inside `response`
/// other than `response` itself is one of those.
fn add_unknown_fields(json: &[u8]) -> Vec<u8> {
    const EXTRA: &[u8] =
        br#""status":"normal","updated":1765000000000,"extra":{"tags":["a",1.5,true,null],"note":"say \"hi\"\n"}"#;
    let Some(response) = json.windows(11).position(|w| w == b"\"response\":") else {
        return json.to_vec();
    };
    let mut out = Vec::with_capacity(json.len() * 2);
    out.extend_from_slice(&json[..response + 11]);
    let (mut in_string, mut escaped, mut depth) = (false, false, 0usize);
    for &c in &json[response + 11..] {
        if in_string {
            in_string = escaped || c != b'"';
            escaped = !escaped && c == b'\\';
        } else if c == b'"' {
            in_string = true;
        } else if c == b'{' {
            depth += 1;
        } else if c == b'}' {
            // Depth 1 is `response` itself.
            if depth > 1 {
                if out.last() != Some(&b'{') {
                    out.push(b',');
                }
                out.extend_from_slice(EXTRA);
            }
            depth = depth.saturating_sub(1);
        }
        out.push(c);
    }
    out
}

/// Best of `RUNS` of `f`.
fn best_of(mut f: impl FnMut() -> Result<Duration, String>) -> Result<Duration, String> {
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        best = best.min(f()?);
    }
    Ok(best)
}

fn floor_read_and_parse(files: &[PathBuf]) -> Result<Duration, String> {
    let start = Instant::now();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
        serde_json::from_slice::<IgnoredAny>(&bytes)
            .map_err(|e| format!("parse {}: {e}", path.display()))?;
    }
    Ok(start.elapsed())
}

fn floor_parse(contents: &[Vec<u8>]) -> Result<Duration, String> {
    let start = Instant::now();
    for bytes in contents {
        serde_json::from_slice::<IgnoredAny>(std::hint::black_box(bytes))
            .map_err(|e| format!("parse: {e}"))?;
    }
    Ok(start.elapsed())
}

struct CliRun {
    wall: Duration,
    peak_rss_kb: Option<u64>,
    summary: serde_json::Value,
}

/// One `rds-dr check --input DIR --format json`, under `/usr/bin/time -v`
/// when it exists.
fn run_check(bin: &Path, dir: &Path, scratch: &Path) -> Result<CliRun, String> {
    let time = Path::new("/usr/bin/time");
    let time_out = scratch.join("time.txt");
    let report = scratch.join("report.json");
    let stdout = std::fs::File::create(&report).map_err(|e| format!("create report: {e}"))?;
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg("-o").arg(&time_out).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(["check", "--format", "json", "--no-progress", "--input"])
        .arg(dir)
        .env_clear()
        .env("HOME", scratch)
        .env("PATH", "/usr/bin:/bin")
        .stdout(stdout)
        .stderr(Stdio::piped());
    let start = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("run {}: {e}", bin.display()))?;
    let wall = start.elapsed();
    // 0: no error findings; 1: error findings. 2 is a failed run.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Err(format!(
            "rds-dr check failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let peak_rss_kb = std::fs::read_to_string(&time_out).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
    });
    let text = std::fs::read(&report).map_err(|e| format!("read the report: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("the report is not JSON: {e}"))?;
    Ok(CliRun {
        wall,
        peak_rss_kb,
        summary: json["summary"].clone(),
    })
}

fn run() -> Result<(), String> {
    let temporary = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let scratch = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let inputs = match std::env::var_os("RDS_DR_BENCH_FLEET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
            dir
        }
        None => temporary.path().to_owned(),
    };
    let start = Instant::now();
    let (mut files, mut total, captures, records) = write_fleet(&inputs)?;
    println!(
        "fleet: {captures} capture files, {records} records, {:.1} MB of JSON (generated and written in {:.2} s)",
        total as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let with_health = std::env::var_os("RDS_DR_BENCH_NO_HEALTH").is_none_or(|v| v != "1");
    if with_health {
        let (infos, bytes, infos_records) = write_infos(&inputs)?;
        println!(
            "fleet: {} ListDrInfos files, {infos_records} records, {:.1} MB of JSON; {:.1} MB in all",
            infos.len(),
            bytes as f64 / 1e6,
            (total + bytes) as f64 / 1e6
        );
        files.extend(infos);
        total += bytes;
    }

    let contents: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("read {}: {e}", p.display())))
        .collect::<Result<_, _>>()?;
    let parse = best_of(|| floor_parse(&contents))?;
    drop(contents);

    // The floor and `check` in turn, so that both see the same machine
    // (a shared one's speed drifts by tens of percent within a minute).
    let bin = rds_dr_tests::release_bin()?;
    let mut read_parse = Duration::MAX;
    let mut best: Option<CliRun> = None;
    let mut peak = None;
    let mut ratios = Vec::new();
    for _ in 0..RUNS {
        let floor = floor_read_and_parse(&files)?;
        read_parse = read_parse.min(floor);
        let run = run_check(&bin, &inputs, scratch.path())?;
        ratios.push(run.wall.as_secs_f64() / floor.as_secs_f64());
        peak = peak.max(run.peak_rss_kb);
        if best.as_ref().is_none_or(|b| run.wall < b.wall) {
            best = Some(run);
        }
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "floor: read + IgnoredAny {:.3} s ({:.0} MB/s), IgnoredAny alone {:.3} s (best of {RUNS})",
        read_parse.as_secs_f64(),
        total as f64 / 1e6 / read_parse.as_secs_f64(),
        parse.as_secs_f64()
    );
    let best = best.ok_or("no run")?;
    let sources = best.summary["sources"].as_u64().unwrap_or(0);
    let instances = best.summary["instances"].as_u64().unwrap_or(0);
    println!(
        "check: {} sources, {instances} instances, {} edges ({} confirmed), {} errors, {} warnings, {} infos",
        sources,
        best.summary["edges"],
        best.summary["confirmed_edges"],
        best.summary["errors"],
        best.summary["warnings"],
        best.summary["infos"]
    );
    let healthy = best.summary["edge_health"]["healthy"].as_u64().unwrap_or(0);
    println!("check: edge health {}", best.summary["edge_health"]);
    if with_health && Some(healthy) != best.summary["edges"].as_u64() {
        return Err(format!(
            "rds-dr check did not merge the health of every edge: {healthy} healthy of {} edges",
            best.summary["edges"]
        ));
    }
    if sources != captures as u64 || instances < records as u64 / 2 {
        return Err(format!(
            "rds-dr check did not read the whole fleet: {sources} sources (expected {captures}), \
             {instances} instances"
        ));
    }
    let ratio = best.wall.as_secs_f64() / read_parse.as_secs_f64();
    println!(
        "check: wall {:.3} s (best of {RUNS}), {ratio:.2}x the best read+parse floor (goal <= 3x: {}), \
         {:.2}x the parse-only floor; run by run {:.2}x to {:.2}x the floor just before it (median {:.2}x)",
        best.wall.as_secs_f64(),
        if ratio <= 3.0 { "met" } else { "MISSED" },
        best.wall.as_secs_f64() / parse.as_secs_f64(),
        ratios[0],
        ratios[ratios.len() - 1],
        ratios[ratios.len() / 2],
    );
    match peak {
        Some(kb) => {
            let rss = kb as f64 * 1024.0;
            println!(
                "check: peak RSS {:.1} MB = {:.2}x the {:.1} MB of input (goal: below: {})",
                rss / 1e6,
                rss / total as f64,
                total as f64 / 1e6,
                if rss < total as f64 { "met" } else { "MISSED" }
            );
        }
        None => println!("check: peak RSS not measured (/usr/bin/time -v not available)"),
    }
    println!("binary: {}", bin.display());
    Ok(())
}

fn main() -> ExitCode {
    rds_dr_tests::bench_main("check_scale", run)
}
