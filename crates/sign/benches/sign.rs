//! Cost of signing and verifying one ListDrRelations request.
//! Run: `cargo bench -p rds-dr-sign --bench sign -- --measurement-time 2`

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use rds_dr_sign::{Credentials, ReceivedRequest, SignableRequest, sign, verify};

fn bench(c: &mut Criterion) {
    let headers: Vec<(String, String)> = [
        ("Content-Type", "application/json"),
        ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
        ("X-Language", "en-us"),
        ("User-Agent", "rds-dr/0.1.0"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let query = vec![("limit".to_string(), "100".to_string())];
    let request = SignableRequest {
        method: "GET",
        host: "rds.ap-southeast-1.myhuaweicloud.com",
        path: "/v3/0123456789abcdef0123456789abcdef/instances/disaster-recovery-relation",
        query: &query,
        headers: &headers,
        body: b"",
    };
    // Test-only credentials.
    let credentials = Credentials::new(
        "AKTESTAKTESTAKTEST",
        "SKtestSKtestSKtestSKtestSKtestSKtestSKte",
    )
    .with_security_token("TEST-ONLY-token");
    let time = UNIX_EPOCH + Duration::from_secs(1_704_067_200);

    c.bench_function("sign", |b| {
        b.iter(|| sign(black_box(&request), black_box(&credentials), time))
    });

    let out = sign(&request, &credentials, time);
    let mut received = headers.clone();
    received.push(("Host".into(), request.host.into()));
    received.extend(out.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    let received = ReceivedRequest {
        method: "GET",
        path: request.path,
        query: Some("limit=100"),
        headers: &received,
        body: b"",
    };
    c.bench_function("verify", |b| {
        b.iter(|| {
            verify(
                black_box(&received),
                |_| Some(credentials.clone()),
                time,
                Duration::from_secs(900),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
