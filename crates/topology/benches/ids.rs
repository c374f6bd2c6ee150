//! The id table under ids crafted to collide: decoding one capture of `n`
//! records (each its own instance, no peers) and adding it to a builder
//! (which interns every id), for `n` = 5,000, 10,000 and 20,000, with three sets of ids:
//!
//! - `random`: ids of the usual shape from a pseudo-random generator;
//! - `collide-fxhash`: ids whose packed keys all have one hash under the
//!   fixed FxHash-style mix the id table used before it was keyed;
//! - `collide-foldhash-fixed`: ids whose packed keys all have one hash under
//!   `foldhash::fast::FixedState::default()` (a fixed, known key).
//!
//! With a keyed hash whose seed is random per process, every set is spread
//! like `random`: the time per id (criterion's throughput) stays flat as `n`
//! doubles. Under a fixed key, a crafted set makes every insertion probe
//! past all the earlier ones: the time per id doubles with `n`.
//!
//! `cargo bench -p rds-dr-topology --bench ids -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rds_dr_topology::Topology;

/// The per-hasher seed of foldhash 0.1's fixed key (`FixedState::default`),
/// which the third set targets.
const SEED: u64 = 0x082e_fa98_ec4e_6c89;

/// One capture of `ids.len()` records with those ids.
fn capture(ids: &[String]) -> Vec<u8> {
    let records: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"instance_id":"{id}"}}"#))
        .collect();
    format!(
        r#"{{"source":{{"region":"cn-north-4","project_id":"0483b6b16e954cb88930a360d2c4e663"}},"response":{{"instance_dr_relations":[{}]}}}}"#,
        records.join(",")
    )
    .into_bytes()
}

fn random(n: u64) -> Vec<String> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        // SplitMix64.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| format!("{:016x}{:016x}in03", next(), next()))
        .collect()
}

/// Under the old fixed mix, a packed key `(hi, lo, suffix)` hashed as
/// `((rotl(hi * K, 5) ^ lo) * K ...)`: choosing `lo = rotl(hi * K, 5) ^ C`
/// makes the state after `lo` the same for every `hi`.
fn collide_fxhash(n: u64) -> Vec<String> {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    (1..=n)
        .map(|hi| {
            let lo = hi.wrapping_mul(K).rotate_left(5) ^ 0x5555;
            format!("{hi:016x}{lo:016x}in03")
        })
        .collect()
}

/// Under foldhash with a known per-hasher seed, a key whose first word
/// equals the seed folds to zero whatever the second word is.
fn collide_foldhash_fixed(n: u64) -> Vec<String> {
    (0..n)
        .map(|lo| format!("{SEED:016x}{lo:016x}in03"))
        .collect()
}

fn ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("ids");
    group.sample_size(10);
    type Ids = fn(u64) -> Vec<String>;
    let sets: [(&str, Ids); 3] = [
        ("random", random),
        ("collide-fxhash", collide_fxhash),
        ("collide-foldhash-fixed", collide_foldhash_fixed),
    ];
    for (name, make) in sets {
        for n in [5_000u64, 10_000, 20_000] {
            let bytes = capture(&make(n));
            let built = Topology::builder()
                .capture_json(&bytes)
                .expect("json")
                .build();
            assert_eq!(built.node_count(), n as usize, "{name}: distinct ids");
            group.throughput(Throughput::Elements(n));
            group.bench_with_input(BenchmarkId::new(name, n), &bytes, |b, bytes| {
                b.iter(|| {
                    let mut builder = Topology::builder();
                    builder.capture_json(black_box(bytes)).expect("json");
                    builder
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, ids);
criterion_main!(benches);
