//! The dashboard page in a real browser: headless Chromium loads a report
//! file (`file://`, nothing else) and `--dump-dom` prints the DOM after the
//! page's script ran. The rows match the findings, the filters follow the
//! URL fragment, the page's own policy lets its script run (and nothing
//! else), and hostile project names and ids run nothing and show as text.
//! The page `rds-dr serve` serves at `/` (over HTTP on 127.0.0.1, under its
//! Content-Security-Policy header) shows the rows of `/api/v1/findings`.
//!
//! Chromium is `RDS_DR_CHROMIUM`, else `chromium` or `chromium-browser` on
//! the PATH (`.ci/run` installs Debian's `chromium`). Without one these
//! tests say so and pass, except under CI (`CI=true`), where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rds_dr_tests::{demo_fleet_dir, rds_dr, stderr_of, target_args};

mod serving;

/// The browser, or `None` outside CI when there is none.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("RDS_DR_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["chromium", "chromium-browser"].iter().find_map(|name| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no chromium: install it (apt-get install -y chromium) or set RDS_DR_CHROMIUM"
        );
        eprintln!("no chromium on the PATH (nor RDS_DR_CHROMIUM): browser tests not run");
    }
    found
}

/// What Chromium printed for one page.
struct Loaded {
    dom: String,
    /// Chromium's log, including the page's console and policy messages.
    log: String,
}

/// Loads `url` in headless Chromium with a fresh profile and returns the
/// DOM after load (`--dump-dom`). Fails after 90 s.
fn dump_dom(browser: &Path, url: &str) -> Loaded {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = tempfile::NamedTempFile::new().expect("stdout file");
    let err = tempfile::NamedTempFile::new().expect("stderr file");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(out.reopen().expect("reopen"))
        .stderr(err.reopen().expect("reopen"))
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s for {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(out.path()).expect("read the DOM");
    let log = std::fs::read_to_string(err.path()).unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}): {log}");
    assert!(dom.contains("</html>"), "no DOM for {url}: {log}");
    Loaded { dom, log }
}

/// Writes the report of `input` and returns its `file://` URL.
fn report(input: &Path, out: &Path) -> String {
    let output = rds_dr()
        .args(["report", path_str(input), "-o", path_str(out)])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    format!("file://{}", out.display())
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `(code, severity, hidden)` of every finding row of a dumped DOM.
fn rows(dom: &str) -> Vec<(String, String, bool)> {
    dom.match_indices("<tr data-code=\"")
        .map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>').expect("tag ends")];
            let attribute = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
                tag[start..start + tag[start..].find('"').expect("quote")].to_owned()
            };
            (
                attribute("data-code"),
                attribute("data-severity"),
                tag.contains(" hidden"),
            )
        })
        .collect()
}

/// `(code, severity)` of every finding `check --format json` reports.
fn check_findings(input: &Path) -> Vec<(String, String)> {
    let output = rds_dr()
        .args([
            "check",
            "--format",
            "json",
            "--fail-on",
            "never",
            path_str(input),
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    findings_of(&serde_json::from_slice(&output.stdout).expect("JSON"))
}

/// `(code, severity)` of every finding of a `check --format json` document.
fn findings_of(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect()
}

fn no_policy_violation(loaded: &Loaded) {
    assert!(
        !loaded.log.contains("Content Security Policy"),
        "the page's own style or script was refused: {}",
        loaded.log
    );
}

#[test]
fn rows_match_the_findings_and_the_filters_follow_the_fragment() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = demo_fleet_dir();
    let url = report(&fleet, &dir.path().join("demo.html"));
    let findings = check_findings(&fleet);
    assert!(findings.len() >= 3, "the demo fleet has findings");

    // No fragment: every row shows, and the script revealed the filters.
    let loaded = dump_dom(&browser, &url);
    no_policy_violation(&loaded);
    let all = rows(&loaded.dom);
    let shown: Vec<(String, String)> = all.iter().map(|(c, s, _)| (c.clone(), s.clone())).collect();
    assert_eq!(shown, findings);
    assert!(all.iter().all(|(_, _, hidden)| !hidden), "{all:?}");
    assert!(
        loaded
            .dom
            .contains("<form class=\"filters\" id=\"findings-filters\">"),
        "the script ran and showed the filters"
    );
    assert!(
        loaded
            .dom
            .contains(&format!("{n} of {n} shown", n = findings.len()))
    );

    // #severity=error: only the errors show.
    let loaded = dump_dom(&browser, &format!("{url}#severity=error"));
    no_policy_violation(&loaded);
    let filtered = rows(&loaded.dom);
    assert_eq!(filtered.len(), findings.len());
    for (code, severity, hidden) in &filtered {
        assert_eq!(*hidden, severity != "error", "{code} {severity}");
    }
    let errors = findings.iter().filter(|(_, s)| s == "error").count();
    assert!(errors > 0 && errors < findings.len());
    assert!(
        loaded
            .dom
            .contains(&format!("{errors} of {} shown", findings.len()))
    );

    // #code=...: only that code; both together: both must hold.
    let (code, _) = findings
        .iter()
        .find(|(_, s)| s == "warning")
        .expect("a warning");
    let loaded = dump_dom(&browser, &format!("{url}#code={code}"));
    for (c, _, hidden) in rows(&loaded.dom) {
        assert_eq!(hidden, c != *code, "{c}");
    }
    let loaded = dump_dom(&browser, &format!("{url}#severity=error&code={code}"));
    assert!(rows(&loaded.dom).iter().all(|(_, _, hidden)| *hidden));
    assert!(
        loaded
            .dom
            .contains(&format!("0 of {} shown", findings.len()))
    );
}

const SCRIPT_PAYLOAD: &str = "<script>document.body.setAttribute('data-pwned','script')</script>";
const IMG_PAYLOAD: &str = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";

/// A primary whose project name is a script, with a DR whose id and project
/// name are an `<img onerror>` (both sides captured), and another whose id
/// is one too, in a project not captured (so findings name it).
fn write_hostile_fleet(dir: &Path) {
    let (pa, pb, pc) = (
        "0483b6b16e954cb88930a360d2c4e663",
        "08fd4e669e00d57d2ffec01352c7cb77",
        "054b61972980d4552f0bc00ac8d3f5cd",
    );
    let primary = serde_json::json!({
        "source": {"region": "cn-north-4", "project_id": pa},
        "response": {"instance_dr_relations": [{"instance_id": "p1", "slave_instances": [
            {"instance_id": IMG_PAYLOAD, "region": "ap-southeast-1", "project_id": pb,
             "project_name": IMG_PAYLOAD},
            {"instance_id": format!("{IMG_PAYLOAD}2"), "region": "cn-east-3", "project_id": pc,
             "project_name": SCRIPT_PAYLOAD}]}]}});
    let dr = serde_json::json!({
        "source": {"region": "ap-southeast-1", "project_id": pb},
        "response": {"instance_dr_relations": [{"instance_id": IMG_PAYLOAD, "master_instance":
            {"instance_id": "p1", "region": "cn-north-4", "project_id": pa,
             "project_name": SCRIPT_PAYLOAD}},
            {"instance_id": "d9", "master_instance":
            {"instance_id": "p1", "region": "cn-north-4", "project_id": pa,
             "project_name": SCRIPT_PAYLOAD}}]}});
    for (name, capture) in [("a.json", primary), ("b.json", dr)] {
        std::fs::write(dir.join(name), capture.to_string()).expect("write");
    }
}

#[test]
fn hostile_names_run_nothing_and_show_as_text() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    std::fs::create_dir(&fleet).expect("mkdir");
    write_hostile_fleet(&fleet);
    let url = report(&fleet, &dir.path().join("hostile.html"));
    let loaded = dump_dom(&browser, &url);
    let dom = &loaded.dom;
    no_policy_violation(&loaded);
    // The page's own script ran (so scripts were on)...
    assert!(dom.contains("<form class=\"filters\" id=\"findings-filters\">"));
    // ...and nothing else did: no element came from the data.
    let body = &dom[dom.find("<body").expect("body")..];
    let body_tag = &body[..body.find('>').expect("tag ends")];
    assert!(
        !body_tag.contains("data-pwned"),
        "a payload ran: {body_tag}"
    );
    assert!(!dom.contains("<img"), "an <img> element was created");
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the page's own script"
    );
    // The text shows, as text.
    assert!(
        dom.contains(
            "&lt;img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"&gt;"
        ),
        "the id shows as text"
    );
    assert!(
        dom.contains(
            "&lt;script&gt;document.body.setAttribute('data-pwned','script')&lt;/script&gt;"
        ),
        "the project name shows as text"
    );
    // The rows still match the findings, which name the hostile ids.
    let codes: Vec<(String, String)> = rows(dom).into_iter().map(|(c, s, _)| (c, s)).collect();
    assert_eq!(codes, check_findings(&fleet));
    assert!(
        codes.iter().any(|(c, _)| c == "unverified-edge"),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|(c, _)| c == "unconfirmed-edge"),
        "{codes:?}"
    );
}

#[test]
fn served_dashboard_rows_match_the_served_findings() {
    let Some(browser) = chromium() else { return };
    let captures = serving::demo_captures();
    let fake = serving::signed_fake(captures.clone());
    let fake_url = fake.url();
    let mut args = target_args(serving::sources(&captures));
    args.extend(serving::args(&[
        "--endpoint",
        &fake_url,
        "--iam-endpoint",
        &fake_url,
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "60s",
        "--retries",
        "0",
    ]));
    let serve = serving::Serve::spawn(&args);
    serve.wait_ready();
    let (status, findings) = serving::get(&format!("{}/api/v1/findings", serve.url));
    assert_eq!(status, 200);
    let findings = findings_of(&serde_json::from_str(&findings).expect("JSON"));
    assert!(findings.len() >= 3, "the demo fleet has findings");

    // Under the served policy header the page's own script runs, and the
    // rows are the served findings.
    let url = format!("{}/", serve.url);
    let loaded = dump_dom(&browser, &url);
    no_policy_violation(&loaded);
    let all = rows(&loaded.dom);
    let shown: Vec<(String, String)> = all.iter().map(|(c, s, _)| (c.clone(), s.clone())).collect();
    assert_eq!(shown, findings);
    assert!(all.iter().all(|(_, _, hidden)| !hidden), "{all:?}");
    assert!(
        loaded
            .dom
            .contains("<form class=\"filters\" id=\"findings-filters\">"),
        "the script ran and showed the filters: {}",
        loaded.log
    );
    // Each target's freshness, both operations, none stale.
    let freshness = &loaded.dom[loaded.dom.find("id=\"freshness\"").expect("freshness")..];
    let freshness = &freshness[..freshness.find("</section>").expect("section ends")];
    assert_eq!(
        freshness.matches("<tr data-stale=\"false\">").count(),
        2 * captures.len()
    );
    assert!(!freshness.contains("data-stale=\"true\""));

    // The filters follow the fragment on the served page too.
    let loaded = dump_dom(&browser, &format!("{url}#severity=error"));
    no_policy_violation(&loaded);
    let filtered = rows(&loaded.dom);
    assert_eq!(filtered.len(), findings.len());
    for (code, severity, hidden) in &filtered {
        assert_eq!(*hidden, severity != "error", "{code} {severity}");
    }
    drop(serve);
    drop(fake);
}
