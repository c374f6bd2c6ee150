//! Client overhead per call: [`HttpClient::list_dr_relations`] against the
//! fake cloud on 127.0.0.1, a small body (10 records), requests per second at
//! concurrency 1 and 32.
//!
//! Each call is signed (SDK-HMAC-SHA256, fresh `X-Sdk-Date`), sent over a
//! pooled keep-alive connection, read and decoded into the model. `signed`
//! runs the fake with signature checking on (it verifies every request, as
//! Huawei's gateway does); `unsigned` runs it without (the client still
//! signs), so the difference is the fake's verification cost.
//!
//! The fake has its own one-worker runtime (its own thread); the client runs
//! on a current-thread runtime, so on a two-core machine each side has a
//! core. One iteration is `concurrency` calls; criterion reports elements
//! (calls) per second.
//!
//! `cargo bench -p rds-dr-http --bench client -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rds_dr_api::{DrRelationsApi, RequestOptions, Target};
use rds_dr_fake::{FakeCloud, RunningFake};
use rds_dr_http::HttpClient;
use rds_dr_http::credentials::Credentials;
use rds_dr_model::{Capture, ListDrRelationsResponse};

const AK: &str = "BENCHAKBENCHAKBENCHAK";
const SK: &str = "bench-secret-key-bench-secret-key-bench";
const REGION: &str = "cn-north-4";
const PROJECT: &str = "0483b6b16e954cb88930a360d2c4e663";
const PEER_PROJECT: &str = "1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1";
/// Records in the served body.
const RECORDS: usize = 10;

/// A deterministic 32-hex-digit id.
fn hex_id(n: usize) -> String {
    format!(
        "{:032x}",
        (n as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

/// 10 records: 5 primaries with one cross-region DR each, and 5 DRs naming
/// their primary (about 3 KB of JSON).
fn body() -> ListDrRelationsResponse {
    let peer = |id: String, region: &str, project: &str| {
        serde_json::json!({
            "instance_id": id,
            "region": region,
            "project_id": project,
            "project_name": region,
        })
    };
    let mut records = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS / 2 {
        records.push(serde_json::json!({
            "instance_id": format!("{}in03", hex_id(2 * i + 1)),
            "slave_instances": [peer(format!("{}in03", hex_id(2 * i + 2)), "cn-east-3", PEER_PROJECT)],
        }));
        records.push(serde_json::json!({
            "instance_id": format!("{}in03", hex_id(100 + i)),
            "master_instance": peer(format!("{}in03", hex_id(200 + i)), "ap-southeast-1", PEER_PROJECT),
        }));
    }
    serde_json::from_value(serde_json::json!({ "instance_dr_relations": records }))
        .expect("the bench body is a valid ListDrRelations answer")
}

/// The fake, serving one project, on its own runtime (kept alive with it).
struct Fake {
    running: Option<RunningFake>,
    runtime: tokio::runtime::Runtime,
}

impl Fake {
    fn start(signed: bool) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fake runtime");
        let mut builder = FakeCloud::builder().capture(Capture {
            source: Target::new(REGION, PROJECT),
            fetched_at: None,
            response: body(),
        });
        if signed {
            builder = builder.credentials(Credentials::new(AK, SK));
        }
        let running = runtime
            .block_on(builder.start())
            .expect("the fake starts on 127.0.0.1");
        Fake {
            running: Some(running),
            runtime,
        }
    }

    fn base_url(&self) -> String {
        self.running
            .as_ref()
            .map(RunningFake::base_url)
            .expect("running")
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}

fn client(base_url: &str) -> HttpClient {
    HttpClient::builder()
        .credentials(Credentials::new(AK, SK))
        .endpoint(base_url.parse().expect("the fake's URL parses"))
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Makes `total` calls, at most `concurrency` in flight (each of
/// `concurrency` tasks takes the next call until none is left), and returns
/// the wall time. Panics on any failed call: a bench of errors measures
/// nothing.
async fn calls(client: &HttpClient, total: u64, concurrency: u64) -> Duration {
    let target = Arc::new(Target::new(REGION, PROJECT));
    let left = Arc::new(AtomicU64::new(total));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(total).max(1) {
        let client = client.clone();
        let target = target.clone();
        let left = left.clone();
        tasks.spawn(async move {
            let options = RequestOptions::default();
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                match client.list_dr_relations(&target, &options).await {
                    Ok(response) => {
                        assert_eq!(response.instance_dr_relations.len(), RECORDS);
                        black_box(response);
                    }
                    Err(e) => panic!("call failed during the bench: {e}"),
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a bench task panicked");
    }
    start.elapsed()
}

fn bench_client(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let mut group = c.benchmark_group("list_dr_relations");
    for (label, signed) in [("signed", true), ("unsigned", false)] {
        let fake = Fake::start(signed);
        let client = client(&fake.base_url());
        // Warm the pool and check the setup once before measuring.
        runtime.block_on(calls(&client, 32, 32));
        for concurrency in [1u64, 32] {
            group.throughput(Throughput::Elements(concurrency));
            group.bench_function(BenchmarkId::new(label, concurrency), |b| {
                b.iter_custom(|iters| {
                    runtime.block_on(calls(&client, iters * concurrency, concurrency))
                });
            });
        }
        drop(client);
        drop(fake);
    }
    group.finish();
}

criterion_group!(benches, bench_client);
criterion_main!(benches);
