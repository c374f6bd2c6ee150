//! Time and peak memory of decode + merge + validate over capture files, the
//! way `rds-dr check DIR` reads them (one file at a time).
//!
//! ```text
//! cargo run --release -p rds-dr-topology --example merge_memory -- write /tmp/fleet 100000
//! cargo run --release -p rds-dr-topology --example merge_memory -- check /tmp/fleet
//! ```
//! Linux only for the memory figure (`VmHWM` in `/proc/self/status`).

use std::path::Path;
use std::time::Instant;

use rds_dr_model::Capture;
use rds_dr_model::synth::{FleetSpec, generate};
use rds_dr_topology::Topology;

fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [mode, dir, ..] => (mode.as_str(), Path::new(dir)),
        _ => return Err("usage: merge_memory write|check DIR [PRIMARIES]".into()),
    };
    match mode {
        "write" => {
            let primaries = args
                .get(2)
                .map(|s| s.parse())
                .transpose()?
                .unwrap_or(100_000);
            let spec = FleetSpec::new()
                .seed(2026)
                .region_count(30)
                .projects_per_region(3)
                .primaries(primaries);
            let t = Instant::now();
            let fleet = generate(&spec);
            println!(
                "generated {} captures in {:?}",
                fleet.captures.len(),
                t.elapsed()
            );
            std::fs::create_dir_all(dir)?;
            let mut total = 0;
            for (i, c) in fleet.captures.iter().enumerate() {
                let bytes = serde_json::to_vec(c)?;
                total += bytes.len();
                std::fs::write(dir.join(format!("{i:03}.json")), bytes)?;
            }
            println!("wrote {:.1} MB", total as f64 / 1e6);
        }
        "check" => {
            let mut paths: Vec<_> = std::fs::read_dir(dir)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            paths.sort();
            let before = status_kb("VmHWM:").unwrap_or(0);
            let t = Instant::now();
            let mut builder = Topology::builder();
            let mut total = 0;
            for path in &paths {
                let bytes = std::fs::read(path)?;
                total += bytes.len();
                builder.capture_json(&bytes)?;
            }
            let merged = t.elapsed();
            let topology = builder.build();
            let elapsed = t.elapsed();
            let report = topology.report();
            println!(
                "{} files, {:.1} MB JSON: read+decode+collect {:?}, build+validate {:?}, total {:?}",
                paths.len(),
                total as f64 / 1e6,
                merged,
                elapsed - merged,
                elapsed
            );
            println!(
                "instances {}, edges {}, findings {} (errors {}, warnings {}, infos {})",
                report.summary.instances,
                report.summary.edges,
                report.findings.len(),
                report.summary.errors,
                report.summary.warnings,
                report.summary.infos
            );
            if let (Some(peak), Some(rss)) = (status_kb("VmHWM:"), status_kb("VmRSS:")) {
                println!(
                    "peak RSS {:.1} MB (at start {:.1} MB), RSS holding the topology {:.1} MB",
                    peak as f64 / 1024.0,
                    before as f64 / 1024.0,
                    rss as f64 / 1024.0
                );
            }
        }
        "floor" => {
            // Everything in memory first, then one timed pass of each stage.
            let mut files = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                files.push(std::fs::read(entry?.path())?);
            }
            let t = Instant::now();
            for bytes in &files {
                let _: serde::de::IgnoredAny = serde_json::from_slice(bytes)?;
            }
            println!("IgnoredAny: {:?}", t.elapsed());
            let t = Instant::now();
            let captures: Vec<Capture> = files
                .iter()
                .map(|b| serde_json::from_slice(b))
                .collect::<Result<_, _>>()?;
            println!("decode Capture: {:?}", t.elapsed());
            let t = Instant::now();
            let mut builder = Topology::builder();
            for c in &captures {
                builder.capture(c);
            }
            println!("collect claims: {:?}", t.elapsed());
            let t = Instant::now();
            let topology = builder.build();
            println!(
                "build+validate: {:?} ({} findings)",
                t.elapsed(),
                topology.findings().len()
            );
            drop((topology, captures));
            let t = Instant::now();
            let mut builder = Topology::builder();
            for bytes in &files {
                builder.capture_json(bytes)?;
            }
            let collected = t.elapsed();
            let topology = builder.build();
            println!(
                "capture_json: collect {:?}, + build+validate = {:?} ({} findings)",
                collected,
                t.elapsed(),
                topology.findings().len()
            );
        }
        _ => return Err(format!("unknown mode {mode}").into()),
    }
    Ok(())
}
