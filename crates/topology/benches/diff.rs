//! The comparison of `rds-dr diff` alone, on the pair `diff_scale` times as
//! a whole: the 100,000-primary fleet (about 267,000 instances) as OLD, and
//! NEW without its 8th capture. Against one build of OLD, for scale (issue
//! 15: the comparison should cost at most about half a `check`).
//!
//! - `build OLD`: decoded captures -> `Topology` (what `check` does after
//!   reading);
//! - `diff`: [`diff::diff`], on the topologies' own tables;
//! - `diff_views`: the views of both sides made, then compared
//!   ([`diff::diff_views`], the general path).
//!
//! `cargo bench -p rds-dr-topology --bench diff -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rds_dr_model::Capture;
use rds_dr_model::synth::generate;
use rds_dr_topology::{Topology, diff};

#[path = "../../../tests/common/bench_fleet.rs"]
mod bench_fleet;
use bench_fleet::spec;

fn build<'a>(captures: impl IntoIterator<Item = &'a Capture>) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    builder.build()
}

fn compare(c: &mut Criterion) {
    let fleet = generate(&spec());
    let old = build(&fleet.captures);
    let new = build(
        fleet
            .captures
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 7)
            .map(|(_, c)| c),
    );
    let changes = diff::diff(&old, &new);
    eprintln!(
        "OLD: {} instances, {} edges, {} findings; NEW: {} instances; diff: {:?}",
        old.node_count(),
        old.edge_count(),
        old.findings().len(),
        new.node_count(),
        changes.summary
    );
    assert_eq!(
        changes,
        diff::diff_views(&old.view(), old.findings(), &new.view(), new.findings()),
        "the two paths agree"
    );

    let mut group = c.benchmark_group("diff-100k");
    group.sample_size(10);
    group.bench_function("build OLD", |b| {
        b.iter(|| build(black_box(&fleet.captures)))
    });
    group.bench_function("diff", |b| {
        b.iter(|| diff::diff(black_box(&old), black_box(&new)))
    });
    group.bench_function("diff_views", |b| {
        b.iter(|| {
            diff::diff_views(
                &black_box(&old).view(),
                old.findings(),
                &black_box(&new).view(),
                new.findings(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
