//! `rds-dr serve` against the fake cloud on 127.0.0.1: the JSON endpoints
//! are the CLI's documents byte for byte, the metrics count what the
//! topology holds, a dead fake leaves the data in place marked stale,
//! SIGTERM exits 0, no secret leaks; TLS with a test CA, basic auth, the
//! listen refusals, and oversized requests.

mod serving;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use rds_dr_fake::{Credentials, FakeCloud, Fault};
use rds_dr_tests::{Fake, rds_dr, stderr_of, stdout_of, target_args};
use serving::{
    AK, SK, Serve, TOKEN, args, client, demo_captures, demo_infos_for, get, samples, serve_targets,
    signed_fake, sources, wait_for,
};

fn cli_stdout(url: &str, args: &[String]) -> String {
    let output = rds_dr()
        .args(args)
        .args(["--endpoint", url, "--iam-endpoint", url, "--no-progress"])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK)
        .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
        .output()
        .expect("runs");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr_of(&output)
    );
    stdout_of(&output)
}

#[test]
fn documents_match_the_cli_metrics_match_the_fleet_and_stale_data_stays() {
    let captures = demo_captures();
    let targets = target_args(sources(&captures));
    let mut fake = Some(signed_fake(captures));
    let url = fake.as_ref().unwrap().url();
    let mut serve_args = targets.clone();
    serve_args.extend(args(&[
        "--endpoint",
        &url,
        "--iam-endpoint",
        &url,
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "200ms",
        "--retries",
        "0",
        "-vvv",
    ]));
    let mut serve = Serve::spawn(&serve_args);
    assert!(serve.url.starts_with("http://127.0.0.1:"), "{}", serve.url);
    serve.wait_ready();
    let mut bodies = Vec::new();

    // The JSON documents are the CLI's, byte for byte.
    let with = |extra: &[&str]| {
        let mut a = args(extra);
        a.extend(targets.iter().cloned());
        a
    };
    let topology = get(&format!("{}/api/v1/topology", serve.url));
    assert_eq!(topology.0, 200);
    assert_eq!(
        topology.1,
        cli_stdout(&url, &with(&["topology", "--format", "json"]))
    );
    let findings = get(&format!("{}/api/v1/findings", serve.url));
    assert_eq!(
        findings.1,
        cli_stdout(&url, &with(&["check", "--format", "json"]))
    );
    let impact = get(&format!(
        "{}/api/v1/impact?fail_region=cn-north-4",
        serve.url
    ));
    assert_eq!(impact.0, 200);
    assert_eq!(
        impact.1,
        cli_stdout(
            &url,
            &with(&["impact", "--fail-region", "cn-north-4", "--format", "json"])
        )
    );
    assert_eq!(get(&format!("{}/api/v1/impact", serve.url)).0, 400);
    assert_eq!(
        get(&format!(
            "{}/api/v1/impact?fail_region=NOT%20A%20REGION",
            serve.url
        ))
        .0,
        400
    );
    assert_eq!(get(&format!("{}/nowhere", serve.url)).0, 404);
    dashboard_is_the_report_with_its_policy(&serve.url, 5);
    for path in ["/", "/metrics", "/api/v1/topology", "/healthz"] {
        let status = client()
            .post(format!("{}{path}", serve.url))
            .body("x")
            .send()
            .expect("POST")
            .status();
        assert_eq!(status.as_u16(), 405, "POST {path}");
        let status = client()
            .delete(format!("{}{path}", serve.url))
            .send()
            .expect("DELETE")
            .status();
        assert_eq!(status.as_u16(), 405, "DELETE {path}");
    }

    // The metrics count what the topology holds.
    let doc: serde_json::Value = serde_json::from_str(&topology.1).expect("JSON");
    let report: serde_json::Value = serde_json::from_str(&findings.1).expect("JSON");
    let (status, metrics) = get(&format!("{}/metrics", serve.url));
    assert_eq!(status, 200);
    let values = samples(&metrics);
    for status in ["confirmed", "primary-only", "dr-only", "unverified"] {
        let n = doc["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] == status)
            .count();
        assert_eq!(
            values[&format!("rds_dr_edges{{status=\"{status}\"}}")],
            n as f64,
            "{status}"
        );
    }
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        *by_code
            .entry(f["code"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(!by_code.is_empty());
    for (code, n) in &by_code {
        let series = values
            .iter()
            .find(|(k, _)| k.starts_with(&format!("rds_dr_findings{{code=\"{code}\",")))
            .unwrap_or_else(|| panic!("no series for {code}"));
        assert_eq!(*series.1, *n as f64, "{code}");
    }
    // Both operations of every target answered (the fake has no infos
    // envelope: an empty ListDrInfos list is an answer too).
    for operation in ["list_dr_relations", "list_dr_infos"] {
        let label = format!("operation=\"{operation}\"");
        let up: Vec<f64> = values
            .iter()
            .filter(|(k, _)| k.starts_with("rds_dr_target_up{") && k.contains(&label))
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(up, vec![1.0; 5], "{operation}");
        let last = values
            .iter()
            .filter(|(k, _)| {
                k.starts_with("rds_dr_target_last_success_timestamp_seconds{") && k.contains(&label)
            })
            .count();
        assert_eq!(last, 5, "{operation}");
    }
    assert!(values["rds_dr_scans_total"] >= 1.0);
    bodies.extend([topology.1.clone(), findings.1, impact.1, metrics.clone()]);

    // OpenMetrics when asked for.
    let response = client()
        .get(format!("{}/metrics", serve.url))
        .header(
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .expect("GET");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let open_metrics = response.text().unwrap();
    assert!(open_metrics.ends_with("# EOF\n"));
    assert!(open_metrics.contains("# TYPE rds_dr_scans counter\n"));

    // The fake dies: every target is down, and the data stays.
    let before_edges: Vec<(String, f64)> = values
        .into_iter()
        .filter(|(k, _)| k.starts_with("rds_dr_edges{"))
        .collect();
    drop(fake.take());
    wait_for(30, "every target down", || {
        let metrics = get(&format!("{}/metrics", serve.url)).1;
        samples(&metrics)
            .iter()
            .filter(|(k, _)| k.starts_with("rds_dr_target_up{"))
            .all(|(_, v)| *v == 0.0)
    });
    let (_, metrics) = get(&format!("{}/metrics", serve.url));
    let after_edges: Vec<(String, f64)> = samples(&metrics)
        .into_iter()
        .filter(|(k, _)| k.starts_with("rds_dr_edges{"))
        .collect();
    assert_eq!(after_edges, before_edges);
    assert_eq!(
        get(&format!("{}/api/v1/topology", serve.url)).1,
        topology.1,
        "no instance or edge lost"
    );
    assert_eq!(get(&format!("{}/readyz", serve.url)).0, 200);
    let (_, targets_doc) = get(&format!("{}/api/v1/targets", serve.url));
    let targets_doc: serde_json::Value = serde_json::from_str(&targets_doc).unwrap();
    for t in targets_doc["targets"].as_array().unwrap() {
        assert_eq!(t["up"], false, "{t}");
        assert_eq!(t["stale"], true, "{t}");
        assert!(t["last_success"].is_string(), "{t}");
    }
    bodies.push(metrics);
    bodies.push(targets_doc.to_string());

    // SIGTERM: exit 0. No secret anywhere.
    assert_eq!(serve.terminate(), Some(0), "{}", serve.stderr());
    let stderr = serve.stderr();
    assert!(stderr.contains("scan published"), "trace logs were written");
    assert!(stderr.contains("target is down"), "{stderr}");
    for text in bodies.iter().chain([&stderr]) {
        assert!(!text.contains(SK), "the secret key leaked");
        assert!(!text.contains(TOKEN), "the security token leaked");
    }
    for body in &bodies {
        assert!(!body.contains(AK), "a response holds the access key");
    }
}

/// The `'sha256-...'` of every inline `<tag>` element's text in `html`.
fn inline_hashes(html: &str, tag: &str) -> Vec<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start..];
        let body = &body[body.find('>').expect("tag ends") + 1..];
        let end = body.find(&close).expect("element closes");
        let digest = sha2::Sha256::digest(&body.as_bytes()[..end]);
        hashes.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[end..];
    }
    hashes
}

/// `/` is the dashboard (`rds-dr report`'s page, with each target's
/// freshness and an auto-refresh), sent with a Content-Security-Policy
/// header that allows exactly the page's own inline style and script.
fn dashboard_is_the_report_with_its_policy(url: &str, targets: usize) {
    let response = client().get(format!("{url}/")).send().expect("GET /");
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    let page = response.text().expect("body");
    let header = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .expect("ASCII")
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    let policy = header("content-security-policy");
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let directive = |name: &str| -> Vec<String> {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {policy}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let mut styles = inline_hashes(&page, "style");
    styles.sort();
    styles.dedup();
    let mut allowed_styles = directive("style-src ");
    allowed_styles.sort();
    assert_eq!(allowed_styles, styles, "style-src is the page's own styles");
    assert_eq!(
        directive("script-src "),
        inline_hashes(&page, "script"),
        "script-src is the page's own script"
    );
    // The page's own <meta> policy is the header's, less frame-ancestors.
    let prefix = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
    let meta = &page[page.find(prefix).expect("a <meta> policy") + prefix.len()..];
    let meta = meta[..meta.find('"').expect("quote")]
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    assert_eq!(format!("{meta}; frame-ancestors 'none'"), policy);
    // Served: the freshness of every target and operation, and a reload.
    assert!(page.contains("<section id=\"freshness\">"));
    for operation in ["list_dr_relations", "list_dr_infos"] {
        assert_eq!(
            page.matches(&format!(">{operation}<")).count(),
            targets,
            "{operation}"
        );
    }
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"1\">"));
    assert!(page.contains("<tr data-code=\""), "the findings table");
}

/// One raw HTTP/1.1 exchange; the status code of the answer (None: the
/// connection closed without one).
fn raw_status(addr: &str, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before reading everything.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[test]
fn huge_header_or_path_is_a_clear_4xx_and_the_server_lives_on() {
    let captures = demo_captures();
    let fake = signed_fake(captures.clone());
    let url = fake.url();
    let serve = serve_targets(&captures, &url, &["--interval", "5s"]);
    let addr = serve.url.strip_prefix("http://").unwrap().to_owned();

    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(200_000)
    );
    assert_eq!(raw_status(&addr, huge_header.as_bytes()), Some(431));
    let long_path = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "p".repeat(20_000)
    );
    assert_eq!(raw_status(&addr, long_path.as_bytes()), Some(414));
    let many_headers: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}Connection: close\r\n\r\n");
    let status = raw_status(&addr, many.as_bytes());
    assert!(matches!(status, Some(400..=499)), "{status:?}");
    assert_eq!(
        raw_status(&addr, b"NONSENSE\r\n\r\n").map(|s| s / 100),
        Some(4)
    );
    assert_eq!(
        get(&format!("{}/healthz", serve.url)),
        (200, "ok\n".to_owned())
    );
}

struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
}

/// A test CA and a server certificate for 127.0.0.1 and localhost signed
/// by it, written as PEM files into a temporary directory.
fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "rds-dr test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    std::fs::write(dir.path().join("server.crt"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
    Pki {
        dir,
        ca_pem: ca_cert.pem(),
    }
}

fn write_web_config(dir: &Path, text: &str) -> String {
    let path = dir.join("web.yml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn tls_with_a_test_ca_and_basic_auth() {
    let captures = demo_captures();
    let fake = signed_fake(captures.clone());
    let url = fake.url();
    let pki = pki();
    let password = "correct horse battery staple";
    let hash = bcrypt::hash(password, 4).unwrap();
    // Relative file names are read from the config file's directory.
    let config = write_web_config(
        pki.dir.path(),
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '{hash}'\n"
        ),
    );
    let serve = serve_targets(
        &captures,
        &url,
        &["--interval", "5s", "--web-config", &config],
    );
    assert!(serve.url.starts_with("https://127.0.0.1:"), "{}", serve.url);

    let trusting = reqwest::blocking::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let metrics = format!("{}/metrics", serve.url);
    let response = trusting
        .get(&metrics)
        .send()
        .expect("TLS handshake with the test CA");
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let wrong = trusting
        .get(&metrics)
        .basic_auth("prometheus", Some("wrong"))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let nobody = trusting
        .get(&metrics)
        .basic_auth("nobody", Some(password))
        .send()
        .unwrap();
    assert_eq!(nobody.status().as_u16(), 401);
    for _ in 0..2 {
        let right = trusting
            .get(&metrics)
            .basic_auth("prometheus", Some(password))
            .send()
            .unwrap();
        assert_eq!(right.status().as_u16(), 200);
        assert!(right.text().unwrap().contains("rds_dr_build_info"));
    }
    // A client that does not trust the test CA fails the handshake.
    let error = client()
        .get(&metrics)
        .send()
        .expect_err("untrusted certificate");
    assert!(
        format!("{error:?}").to_lowercase().contains("certificate"),
        "{error:?}"
    );
    // Plain HTTP to the TLS port gets no HTTP answer, and the server lives on.
    let addr = serve.url.strip_prefix("https://").unwrap();
    assert_eq!(
        raw_status(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        None
    );
    let right = trusting
        .get(&metrics)
        .basic_auth("prometheus", Some(password))
        .send()
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    assert!(!serve.stderr().contains(password));
}

#[test]
fn refusals_non_loopback_and_bad_web_configs() {
    let target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663";
    let run = |extra: &[&str]| {
        let output = rds_dr()
            .args(["serve", "--target", target])
            .args(extra)
            .output()
            .expect("runs");
        (output.status.code(), stdout_of(&output), stderr_of(&output))
    };
    let (code, stdout, stderr) = run(&["--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--insecure-listen"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["--listen", ":9871"]);
    assert_eq!(code, Some(2), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let open = write_web_config(dir.path(), "# nothing\n");
    let (code, _, stderr) = run(&["--listen", "0.0.0.0:0", "--web-config", &open]);
    assert_eq!(
        code,
        Some(2),
        "a web config without TLS or users does not protect: {stderr}"
    );
    let unknown = write_web_config(
        dir.path(),
        "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suitez: []\n",
    );
    let (code, _, stderr) = run(&["--web-config", &unknown]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cipher_suitez"), "{stderr}");
    let missing = write_web_config(
        dir.path(),
        "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n",
    );
    let (code, _, stderr) = run(&["--web-config", &missing]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("nope.crt"), "{stderr}");
    let plain = write_web_config(dir.path(), "basic_auth_users:\n  admin: hunter2\n");
    let (code, _, stderr) = run(&["--web-config", &plain]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("not a bcrypt hash") && !stderr.contains("hunter2"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["--interval", "1ms"]);
    assert_eq!(code, Some(2), "{stderr}");
    let output = rds_dr().args(["serve"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("nothing to watch"));
}

#[test]
fn events_name_targets_going_down_and_up_and_what_changed() {
    let captures = demo_captures();
    let first = signed_fake(captures.clone());
    let addr = first.running().local_addr();
    let url = first.url();
    let dir = tempfile::tempdir().unwrap();
    let events_path = dir.path().join("events.jsonl");
    let mut serve = serve_targets(
        &captures,
        &url,
        &[
            "--interval",
            "200ms",
            "--retries",
            "0",
            "--events",
            &events_path.to_string_lossy(),
        ],
    );
    serve.wait_ready();
    let events = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&events_path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect()
    };
    // Each target goes down and up once per operation (ListDrRelations,
    // ListDrInfos): both kinds count every target.
    let count = |kind: &str| {
        let of = |operation: &str| {
            (events().iter())
                .filter(|e| e["kind"] == kind && e["operation"] == operation)
                .count()
        };
        let relations = of("list_dr_relations");
        if relations == of("list_dr_infos") {
            relations
        } else {
            usize::MAX
        }
    };
    std::thread::sleep(Duration::from_millis(600));
    assert!(events().is_empty(), "nothing changed yet: {:?}", events());

    // The fake goes away: every target goes down.
    drop(first);
    wait_for(30, "target-down for every target", || {
        count("target-down") == captures.len()
    });
    // It comes back on the same address, with one project's answer emptied:
    // every target comes back up, and the topology changes.
    let mut changed = captures.clone();
    let mut body = serde_json::to_value(&changed[0]).unwrap();
    body["response"]["instance_dr_relations"] = serde_json::json!([]);
    changed[0] = serde_json::from_value(body).unwrap();
    let _second = Fake::start(
        FakeCloud::builder()
            .listen(addr)
            .captures(changed)
            .credentials(Credentials::new(AK, SK).with_security_token(TOKEN)),
    );
    wait_for(30, "target-up for every target", || {
        count("target-up") == captures.len()
    });
    wait_for(30, "a change of the topology", || {
        events().iter().any(|e| {
            e["kind"].as_str().is_some_and(|k| {
                k.starts_with("edge-") || k.starts_with("node-") || k.starts_with("finding-")
            })
        })
    });
    assert_eq!(serve.terminate(), Some(0), "{}", serve.stderr());
    for event in events() {
        assert!(
            event["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{event}"
        );
        let kind = event["kind"].as_str().unwrap();
        assert!(
            [
                "edge-added",
                "edge-removed",
                "edge-changed",
                "node-added",
                "node-removed",
                "node-changed",
                "finding-raised",
                "finding-resolved",
                "target-down",
                "target-up"
            ]
            .contains(&kind),
            "{event}"
        );
        if kind.starts_with("target-") {
            assert!(
                ["list_dr_relations", "list_dr_infos"]
                    .contains(&event["operation"].as_str().unwrap()),
                "{event}"
            );
            assert!(event["target"].as_str().unwrap().contains('/'));
        }
    }
    let text = std::fs::read_to_string(&events_path).unwrap();
    assert!(!text.contains(SK) && !text.contains(TOKEN));
}

#[test]
fn thirty_percent_faults_lose_nothing_and_readyz_stays_up() {
    let captures = demo_captures();
    // The reference: every target answering.
    let clean = signed_fake(captures.clone());
    let reference = cli_stdout(&clean.url(), &{
        let mut a = args(&["topology", "--format", "json"]);
        a.extend(target_args(sources(&captures)));
        a
    });
    drop(clean);
    let faulty = Fake::start(
        FakeCloud::builder()
            .infos(demo_infos_for(&captures))
            .captures(captures.clone())
            .credentials(Credentials::new(AK, SK).with_security_token(TOKEN))
            .fault_rate(0.3)
            .faults(&[
                Fault::TooManyRequests,
                Fault::InternalError,
                Fault::Unavailable,
                Fault::Reset,
                Fault::Truncate,
            ])
            .seed(14),
    );
    let url = faulty.url();
    // No retries: a fault is a failed call, and the last good answer must cover it.
    let mut serve = serve_targets(&captures, &url, &["--interval", "100ms", "--retries", "0"]);
    wait_for(60, "every target answered once", || {
        let (status, body) = get(&format!("{}/api/v1/targets", serve.url));
        status == 200
            && serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|doc| {
                doc["targets"]
                    .as_array()
                    .is_some_and(|t| t.iter().all(|t| t["last_success"].is_string()))
            })
    });
    let mut saw_down = false;
    for _ in 0..30 {
        assert_eq!(get(&format!("{}/readyz", serve.url)).0, 200);
        assert_eq!(
            get(&format!("{}/api/v1/topology", serve.url)).1,
            reference,
            "nothing lost"
        );
        let metrics = get(&format!("{}/metrics", serve.url)).1;
        saw_down |= samples(&metrics)
            .iter()
            .any(|(k, v)| k.starts_with("rds_dr_target_up{") && *v == 0.0);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        saw_down,
        "with 30% faults and no retries, some target was down some time"
    );
    assert_eq!(serve.terminate(), Some(0), "{}", serve.stderr());
}

#[test]
fn no_health_scans_list_dr_relations_only() {
    let captures = demo_captures();
    let fake = signed_fake(captures.clone());
    let url = fake.url();
    let mut serve = serve_targets(
        &captures,
        &url,
        &[
            "--iam-endpoint",
            &url,
            "--interval",
            "60s",
            "--retries",
            "0",
            "--no-health",
        ],
    );
    serve.wait_ready();
    let values = samples(&get(&format!("{}/metrics", serve.url)).1);
    let up: Vec<&String> = values
        .keys()
        .filter(|k| k.starts_with("rds_dr_target_up{"))
        .collect();
    assert_eq!(up.len(), captures.len(), "{up:?}");
    assert!(
        up.iter()
            .all(|k| k.contains("operation=\"list_dr_relations\"")),
        "{up:?}"
    );
    let (_, targets) = get(&format!("{}/api/v1/targets", serve.url));
    let targets: serde_json::Value = serde_json::from_str(&targets).unwrap();
    let operations: Vec<&str> = targets["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, vec!["list_dr_relations"; captures.len()]);
    // Every request that reached the fake was a ListDrRelations one.
    let relations: u64 = sources(&captures)
        .iter()
        .map(|s| fake.running().project_request_count(&s.project_id))
        .sum();
    assert!(relations >= captures.len() as u64);
    assert_eq!(fake.running().request_count(), relations, "no ListDrInfos");
    assert_eq!(serve.terminate(), Some(0), "{}", serve.stderr());
}
