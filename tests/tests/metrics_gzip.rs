//! `rds-dr serve`'s `/metrics` gzip-compressed for a scraper that asks for
//! it (Prometheus does on every scrape), as written for one that does not,
//! and the same text either way, in both formats.

mod serving;

use std::io::Read;

use serving::{demo_captures, get, serve_targets, signed_fake};

/// GET `/metrics` with these headers, without the client's own gzip
/// handling: (Content-Encoding, Vary, body as received).
fn scrape(url: &str, headers: &[(&str, &str)]) -> (Option<String>, String, Vec<u8>) {
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .no_gzip()
        .build()
        .expect("client");
    let mut request = client.get(format!("{url}/metrics"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().expect("GET /metrics");
    assert_eq!(response.status().as_u16(), 200);
    let header = |name| {
        (response.headers().get(name))
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (encoding, vary) = (header("content-encoding"), header("vary"));
    let body = response.bytes().expect("body").to_vec();
    (encoding, vary.unwrap_or_default(), body)
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut text)
        .expect("a gzip body");
    text
}

#[test]
fn metrics_are_gzipped_only_for_scrapers_that_ask() {
    let captures = demo_captures();
    let fake = signed_fake(captures.clone());
    let url = fake.url();
    // One scan: every request below reads the same snapshot.
    let serve = serve_targets(&captures, &url, &["--interval", "1h"]);
    serve.wait_ready();

    let (encoding, vary, plain) = scrape(&serve.url, &[]);
    assert_eq!(encoding, None);
    assert!(vary.contains("Accept-Encoding"), "{vary:?}");
    let plain_text = String::from_utf8(plain.clone()).unwrap();
    assert!(
        plain_text.contains("rds_dr_scans_total 1\n"),
        "{plain_text}"
    );

    // Prometheus 2.x's scrape headers.
    let openmetrics = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
    for accept in ["text/plain", openmetrics] {
        let (encoding, _, identity) = scrape(&serve.url, &[("accept", accept)]);
        assert_eq!(encoding, None);
        let (encoding, vary, zipped) = scrape(
            &serve.url,
            &[("accept", accept), ("accept-encoding", "gzip")],
        );
        assert_eq!(encoding.as_deref(), Some("gzip"), "{accept}");
        assert!(vary.contains("Accept-Encoding"), "{vary:?}");
        assert!(zipped.len() < identity.len(), "{accept}: compressed");
        assert_eq!(gunzip(&zipped), identity, "{accept}: the same text");
    }
    let (_, _, om) = scrape(&serve.url, &[("accept", openmetrics)]);
    assert!(String::from_utf8(om).unwrap().ends_with("# EOF\n"));

    // Refused, or not offered: as written.
    for refused in ["gzip;q=0", "identity", "br", "*;q=0"] {
        let (encoding, _, body) = scrape(&serve.url, &[("accept-encoding", refused)]);
        assert_eq!(encoding, None, "{refused}");
        assert_eq!(body, plain, "{refused}");
    }
    // A client that handles gzip itself reads the same text.
    let (status, text) = get(&format!("{}/metrics", serve.url));
    assert_eq!((status, text), (200, plain_text));
}
