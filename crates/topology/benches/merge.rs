//! Merge + validate at fleet scale: 100,000 primaries (about 267,000
//! instances) over 30 regions x 3 projects = 90 captures.
//!
//! `cargo bench -p rds-dr-topology --bench merge -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rds_dr_model::Capture;
use rds_dr_model::synth::generate;
use rds_dr_topology::Topology;
use serde::de::IgnoredAny;

#[path = "../../../tests/common/bench_fleet.rs"]
mod bench_fleet;
use bench_fleet::spec;

fn merge(c: &mut Criterion) {
    let fleet = generate(&spec());
    let bytes: Vec<Vec<u8>> = fleet
        .captures
        .iter()
        .map(|c| serde_json::to_vec(c).expect("serialises"))
        .collect();
    let total: usize = bytes.iter().map(Vec::len).sum();
    let topology = {
        let mut b = Topology::builder();
        for c in &fleet.captures {
            b.capture(c);
        }
        b.build()
    };
    eprintln!(
        "fleet: {} captures, {} records, {} instances, {} edges, {} findings, {:.1} MB JSON",
        fleet.captures.len(),
        fleet.record_count(),
        topology.node_count(),
        topology.edge_count(),
        topology.findings().len(),
        total as f64 / 1e6
    );
    drop(topology);

    let mut group = c.benchmark_group("fleet-100k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total as u64));

    group.bench_function("generate", |b| b.iter(|| generate(black_box(&spec()))));

    group.bench_function("build+validate (decoded captures)", |b| {
        b.iter(|| {
            let mut builder = Topology::builder();
            for c in &fleet.captures {
                builder.capture(c);
            }
            builder.build()
        })
    });

    group.bench_function("json: IgnoredAny floor", |b| {
        b.iter(|| {
            for bytes in &bytes {
                let _: IgnoredAny = serde_json::from_slice(black_box(bytes)).expect("json");
            }
        })
    });

    group.bench_function("json: decode Capture only", |b| {
        b.iter(|| {
            for bytes in &bytes {
                let capture: Capture = serde_json::from_slice(black_box(bytes)).expect("json");
                black_box(capture);
            }
        })
    });

    group.bench_function("json: capture_json + validate", |b| {
        b.iter(|| {
            let mut builder = Topology::builder();
            for bytes in &bytes {
                builder.capture_json(black_box(bytes)).expect("json");
            }
            builder.build()
        })
    });

    group.bench_function("json: decode Capture + merge + validate", |b| {
        b.iter(|| {
            let mut builder = Topology::builder();
            for bytes in &bytes {
                let capture: Capture = serde_json::from_slice(black_box(bytes)).expect("json");
                builder.capture(capture);
            }
            builder.build()
        })
    });
    group.finish();
}

criterion_group!(benches, merge);
criterion_main!(benches);
