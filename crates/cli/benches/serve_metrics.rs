//! `/metrics` of `rds-dr serve` encoded in-process, without a serve
//! process (issue 14: "`/metrics` for a 10,000-edge fleet encodes in a few
//! milliseconds"). A bench command (`harness = false`) that prints figures.
//!
//! The fleet is `tests/benches/serve_scale.rs`'s `metrics` one: 6,000
//! primaries over 8 regions x 2 projects (9,956 edges), a ListDrInfos
//! record on every edge with a few of each health defect. Each round builds
//! a new topology (as each scan of serve does; not timed), then times the
//! encode of the fleet's families (`serve/metrics/fleet.rs`: instances,
//! edges, findings, each edge's replication series, each primary's
//! protection; everything of the body but the few lines of the process and
//! the targets):
//!
//! - `first`: the text format, the first encode of that topology (what the
//!   first scrape of a scan pays, or the scan itself before it publishes);
//! - `openmetrics`: then the OpenMetrics format of the same topology;
//! - `again`: then the text format once more.
//!
//! It prints the min, median and max of each over the rounds
//! (`RDS_DR_BENCH_METRICS_ROUNDS`, default 15).
//!
//! The binary has no library target, so the encoder's files are included
//! here with `#[path]`, as they are (`src/serve/exposition.rs`,
//! `src/serve/metrics/fleet.rs`), and so is the binary's global allocator
//! (`src/alloc.rs`, set up as `serve` sets it), since the body is a fresh
//! block of about 10 MB each time.
//!
//! `cargo bench -p rds-dr-cli --bench serve_metrics`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use rds_dr_model::synth::{FleetSpec, HealthSpec, generate, health};
use rds_dr_topology::{Protection, Topology};

#[path = "../src/alloc.rs"]
#[allow(dead_code, unsafe_code, unused_imports)]
mod alloc;

#[global_allocator]
static ALLOC: alloc::HugeAlloc = alloc::HugeAlloc;

#[path = "../src/serve/exposition.rs"]
#[allow(dead_code)]
mod exposition;

#[path = "../src/serve/metrics/fleet.rs"]
#[allow(dead_code)]
mod fleet;

/// The module paths the included files name (`crate::serve::...`).
mod serve {
    pub(crate) use super::exposition;
}

use exposition::{Exposition, Format};

/// What `serve/state.rs`'s `RegionFailures::of` computes for the
/// protection families, as it does: every primary with a known region (id,
/// region, protected), sorted by id, and each region's unprotected
/// primaries.
struct Failures {
    primaries: Vec<(String, String, bool)>,
    unprotected: Vec<(String, usize)>,
}

fn failures(topology: &Topology) -> Failures {
    let mut unprotected: BTreeMap<&str, usize> = BTreeMap::new();
    let primaries = (topology.own_region_failures().into_iter())
        .map(|failure| {
            let protected = failure.status == Protection::Protected;
            *unprotected.entry(failure.region).or_default() += usize::from(!protected);
            (failure.primary, failure.region.to_owned(), protected)
        })
        .collect();
    Failures {
        primaries,
        unprotected: (unprotected.into_iter())
            .map(|(region, count)| (region.to_owned(), count))
            .collect(),
    }
}

/// The fleet's families of `topology` in `format`, as `render` writes them.
fn encode(topology: &Topology, failures: &Failures, format: Format) -> String {
    let mut e = Exposition::with_capacity(format, 4096 + fleet::capacity(topology));
    fleet::topology(&mut e, topology);
    fleet::protection(
        &mut e,
        (failures.primaries.iter()).map(|(p, r, protected)| (p.as_str(), r.as_str(), *protected)),
        (failures.unprotected.iter()).map(|(r, n)| (r.as_str(), *n)),
    );
    e.finish()
}

fn timed(f: impl FnOnce() -> String) -> (Duration, usize) {
    let started = Instant::now();
    let text = black_box(f());
    let took = started.elapsed();
    (took, text.len())
}

fn line(name: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "  {name:<12} min {}, median {}, max {}",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

fn main() {
    alloc::tune();
    alloc::one_heap();
    let rounds: usize = std::env::var("RDS_DR_BENCH_METRICS_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(15);
    let fleet = generate(
        &FleetSpec::new()
            .seed(14)
            .region_count(8)
            .projects_per_region(2)
            .primaries(6_000),
    );
    let infos = health(&fleet, &HealthSpec::new().seed(14).every_defect(3));
    let build = || {
        let mut builder = Topology::builder();
        for c in &fleet.captures {
            builder.capture(c);
        }
        for c in &infos.captures {
            builder.infos_capture(c);
        }
        builder.build()
    };
    let (mut first, mut openmetrics, mut again) = (Vec::new(), Vec::new(), Vec::new());
    let mut sizes = (0, 0);
    let mut edges = 0;
    for _ in 0..rounds {
        let topology = build();
        let failures = failures(&topology);
        edges = topology.edge_count();
        let (took, text) = timed(|| encode(&topology, &failures, Format::Text));
        first.push(took);
        let (took, open) = timed(|| encode(&topology, &failures, Format::OpenMetrics("1.0.0")));
        openmetrics.push(took);
        again.push(timed(|| encode(&topology, &failures, Format::Text)).0);
        sizes = (text, open);
        drop(black_box(topology));
    }
    println!(
        "serve_metrics: the fleet's families of {edges} edges, {} bytes (text), {} bytes (OpenMetrics), {rounds} rounds",
        sizes.0, sizes.1
    );
    line("first", &mut first);
    line("openmetrics", &mut openmetrics);
    line("again", &mut again);
}
