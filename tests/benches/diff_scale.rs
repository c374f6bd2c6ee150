//! Cost of `rds-dr diff` on two 100,000-primary fleets against one `rds-dr
//! check` of one of them (issue 15: at most about 2.5x). A bench command
//! (`harness = false`) that prints figures:
//!
//! 1. Writes `check_scale`'s fleet (its spec and writer, shared: 90 capture
//!    files, about 267,000 instances) as OLD, and NEW as the same files
//!    without one capture (so thousands of edges, nodes and findings
//!    differ, as after a day in which a project was not fetched). Both sides
//!    also hold the fleet's ListDrInfos captures (one record per edge), as
//!    `check_scale` writes them; `RDS_DR_BENCH_NO_HEALTH=1` leaves them out.
//! 2. Runs the release `rds-dr check --format json OLD` and `rds-dr diff
//!    --format json OLD NEW` in turn, `RUNS` times each (a shared machine's
//!    speed drifts), and prints the best of each and their ratio, and the
//!    range of each diff's ratio to the check just before it. The diff's
//!    JSON is checked (the counts of its lists) so a fast failure does not
//!    pass for a fast run.
//!
//! The binary is `RDS_DR_RELEASE_BIN` when set, else built with
//! `cargo build --release -p rds-dr-cli --bin rds-dr`.
//! `RDS_DR_BENCH_FLEET_DIR=DIR` writes OLD and NEW into `DIR/old` and
//! `DIR/new` (created if needed, left in place afterwards, e.g. for `perf
//! record` or for timing two binaries in turn) instead of temporary
//! directories.
//!
//! Runs only under `cargo bench` (which passes `--bench`).
//!
//! `cargo bench -p rds-dr-tests --bench diff_scale`

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[path = "check_scale.rs"]
#[allow(dead_code, reason = "only the fleet and the binary are shared")]
mod check_scale;

const RUNS: usize = 5;

/// Runs `rds-dr ARGS`, stdout to a file; returns the wall time and the
/// output, which must be JSON. `ok` lists the exit codes that mean success.
fn timed(
    bin: &Path,
    args: &[&str],
    ok: &[i32],
    scratch: &Path,
) -> Result<(Duration, serde_json::Value), String> {
    let out_path = scratch.join("out.json");
    let out = std::fs::File::create(&out_path).map_err(|e| format!("create: {e}"))?;
    let start = Instant::now();
    let output = Command::new(bin)
        .args(args)
        .arg("--no-progress")
        .env_clear()
        .env("HOME", scratch)
        .env("PATH", "/usr/bin:/bin")
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("run {}: {e}", bin.display()))?;
    let wall = start.elapsed();
    if !output.status.code().is_some_and(|c| ok.contains(&c)) {
        return Err(format!(
            "rds-dr {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let bytes = std::fs::read(&out_path).map_err(|e| format!("read output: {e}"))?;
    let json = serde_json::from_slice(&bytes).map_err(|e| format!("output is not JSON: {e}"))?;
    Ok((wall, json))
}

/// Puts OLD's `file` into NEW's `dir` under the same name: a hard link,
/// or a copy where links are not possible.
fn link_into(file: &Path, dir: &Path) -> Result<(), String> {
    let to = dir.join(file.file_name().ok_or("a file name")?);
    std::fs::hard_link(file, &to)
        .or_else(|_| std::fs::copy(file, &to).map(drop))
        .map_err(|e| format!("link {}: {e}", file.display()))
}

fn run() -> Result<(), String> {
    let temp = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let scratch = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let root = std::env::var_os("RDS_DR_BENCH_FLEET_DIR")
        .map_or_else(|| temp.path().to_owned(), PathBuf::from);
    let (old_dir, new_dir) = (root.join("old"), root.join("new"));
    for dir in [&old_dir, &new_dir] {
        // A fleet left by an earlier run is replaced, not added to.
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| format!("remove {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    let start = Instant::now();
    let (files, total, captures, records) = check_scale::write_fleet(&old_dir)?;
    // NEW: every capture but the 8th (a project of the first regions).
    for (i, file) in files.iter().enumerate() {
        if i != 7 {
            link_into(file, &new_dir)?;
        }
    }
    let with_health = std::env::var_os("RDS_DR_BENCH_NO_HEALTH").is_none_or(|v| v != "1");
    let mut health = String::from("no ListDrInfos");
    if with_health {
        let (infos, bytes, infos_records) = check_scale::write_infos(&old_dir)?;
        for file in &infos {
            link_into(file, &new_dir)?;
        }
        health = format!(
            "{} ListDrInfos files on both sides ({infos_records} records, {:.1} MB)",
            infos.len(),
            bytes as f64 / 1e6
        );
    }
    println!(
        "fleet: {captures} capture files, {records} records, {:.1} MB of JSON as OLD; NEW without one capture; {health} (written in {:.2} s)",
        total as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let bin = rds_dr_tests::release_bin()?;
    let (old, new) = (
        old_dir.to_str().ok_or("UTF-8 path")?,
        new_dir.to_str().ok_or("UTF-8 path")?,
    );
    let mut best_check = Duration::MAX;
    let mut best_diff = Duration::MAX;
    let mut ratios = Vec::new();
    let mut summary = serde_json::Value::Null;
    for _ in 0..RUNS {
        let (check, report) = timed(
            &bin,
            &["check", "--format", "json", "--fail-on", "never", old],
            &[0],
            scratch.path(),
        )?;
        if report["summary"]["sources"] != captures {
            return Err(format!(
                "check read {} sources",
                report["summary"]["sources"]
            ));
        }
        let (diff, json) = timed(
            &bin,
            &["diff", "--format", "json", old, new],
            &[1],
            scratch.path(),
        )?;
        for (group, kind) in [
            ("nodes", "added"),
            ("nodes", "removed"),
            ("nodes", "changed"),
            ("edges", "added"),
            ("edges", "removed"),
            ("edges", "changed"),
            ("findings", "raised"),
            ("findings", "resolved"),
        ] {
            let listed = json[group][kind].as_array().map_or(0, Vec::len);
            if json["summary"][format!("{group}_{kind}")] != listed {
                return Err(format!("the diff's {group}_{kind} does not match its list"));
            }
        }
        summary = json["summary"].clone();
        ratios.push(diff.as_secs_f64() / check.as_secs_f64());
        best_check = best_check.min(check);
        best_diff = best_diff.min(diff);
    }
    ratios.sort_by(f64::total_cmp);
    println!("diff: {summary}");
    let ratio = best_diff.as_secs_f64() / best_check.as_secs_f64();
    println!(
        "check OLD: {:.3} s, diff OLD NEW: {:.3} s (best of {RUNS} each): {ratio:.2}x (goal <= 2.5x: {}); \
         run by run {:.2}x to {:.2}x the check just before it (median {:.2}x)",
        best_check.as_secs_f64(),
        best_diff.as_secs_f64(),
        if ratio <= 2.5 { "met" } else { "MISSED" },
        ratios[0],
        ratios[ratios.len() - 1],
        ratios[ratios.len() / 2],
    );
    println!("binary: {}", bin.display());
    Ok(())
}

fn main() -> ExitCode {
    rds_dr_tests::bench_main("diff_scale", run)
}
