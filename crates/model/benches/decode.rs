//! Decoding throughput of a large ListDrRelations body.
//!
//! The body (50,000 records: primaries with 1-3 DRs and DRs with their
//! primary, realistic ids) is generated deterministically, serialized once,
//! then decoded as (a) the model and (b) `IgnoredAny`, the floor: what
//! serde_json needs just to parse the same bytes.
//!
//! `cargo bench -p rds-dr-model --bench decode -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rds_dr_model::{DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse};
use serde::de::IgnoredAny;

const RECORDS: usize = 50_000;

const REGIONS: &[&str] = &[
    "cn-north-4",
    "cn-east-3",
    "cn-south-1",
    "ap-southeast-1",
    "ap-southeast-3",
    "eu-west-101",
    "la-south-2",
    "af-south-1",
];

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 16
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..len).map(|_| char::from(HEX[self.below(16)])).collect()
    }

    /// An RDS instance id: 32 hex digits and an engine suffix (36 chars).
    fn instance_id(&mut self) -> String {
        format!("{}in03", self.hex(32))
    }

    fn peer(&mut self) -> DrPeer {
        let region = REGIONS[self.below(REGIONS.len())];
        DrPeer {
            instance_id: Some(self.instance_id()),
            region: Some(region.to_owned()),
            project_id: Some(self.hex(32)),
            project_name: Some(region.to_owned()),
        }
    }
}

fn body() -> Vec<u8> {
    let mut lcg = Lcg(0x5eed_0fd1_5a57_e5e5);
    let records = (0..RECORDS)
        .map(|_| {
            let record = if lcg.below(2) == 0 {
                let slaves = 1 + lcg.below(3);
                InstanceDrRelation {
                    instance_id: Some(lcg.instance_id()),
                    master_instance: None,
                    slave_instances: (0..slaves).map(|_| Lenient::Valid(lcg.peer())).collect(),
                }
            } else {
                InstanceDrRelation {
                    instance_id: Some(lcg.instance_id()),
                    master_instance: Some(Lenient::Valid(lcg.peer())),
                    slave_instances: Vec::new(),
                }
            };
            Lenient::Valid(record)
        })
        .collect();
    let response = ListDrRelationsResponse {
        instance_dr_relations: records,
    };
    serde_json::to_vec(&response).expect("a model value serializes")
}

fn decode(c: &mut Criterion) {
    let bytes = body();
    // Sanity: the body decodes completely, every record valid.
    let decoded: ListDrRelationsResponse =
        serde_json::from_slice(&bytes).expect("the generated body decodes");
    assert_eq!(decoded.instance_dr_relations.len(), RECORDS);
    assert!(decoded.instance_dr_relations.iter().all(Lenient::is_valid));

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.bench_function("model", |b| {
        b.iter(|| {
            serde_json::from_slice::<ListDrRelationsResponse>(black_box(&bytes))
                .expect("the generated body decodes")
        })
    });
    group.bench_function("ignored_any", |b| {
        b.iter(|| {
            serde_json::from_slice::<IgnoredAny>(black_box(&bytes))
                .expect("the generated body parses")
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
