//! Exports and text renderings of a 10,000-instance view (the shapes of
//! `tests/export_support::big_fleet`).
//!
//! `cargo bench -p rds-dr-topology --bench export -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rds_dr_topology::export::{self, Format};
use rds_dr_topology::render;

#[path = "../tests/export_support/mod.rs"]
mod export_support;

fn exports(c: &mut Criterion) {
    let ids = export_support::big_ids(10_000);
    let view = export_support::big_fleet(&ids);
    let mut group = c.benchmark_group("export_10k");
    for format in Format::ALL {
        group.bench_function(format.as_str(), |b| {
            b.iter(|| export::export(black_box(&view), format))
        });
    }
    group.bench_function("tree", |b| b.iter(|| render::tree(black_box(&view))));
    group.bench_function("table", |b| b.iter(|| render::table(black_box(&view))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = exports
}
criterion_main!(benches);
