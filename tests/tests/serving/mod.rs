//! What the serve tests share: `rds-dr serve` as a child process, an HTTP
//! client, polling, and reading the text exposition format.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rds_dr_fake::{Credentials, FakeCloud};
use rds_dr_model::{Capture, InfosCapture, Source};
use rds_dr_tests::{Fake, demo_fleet_dir, rds_dr_std, read_captures, read_infos, target_args};

pub const AK: &str = "SERVETESTACCESSKEY01";
pub const SK: &str = "serveTestSecretKeyThatMustNeverBePrinted7";
pub const TOKEN: &str = "serveTestSecurityTokenThatMustNeverBePrinted";

/// `rds-dr serve` as a child: its URL from the first stdout line, its
/// stderr in a file; killed on drop unless stopped.
pub struct Serve {
    pub child: Child,
    pub url: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    pub fn spawn(args: &[String]) -> Serve {
        let dir = tempfile::tempdir().expect("tempdir");
        let stderr = dir.path().join("stderr.log");
        let mut child = rds_dr_std()
            .arg("serve")
            .args(args)
            .env("HUAWEICLOUD_SDK_AK", AK)
            .env("HUAWEICLOUD_SDK_SK", SK)
            .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn rds-dr serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let url = match line.trim().strip_prefix("listening on ") {
            Some(url) => url.to_owned(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "first line {line:?}; stderr: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
        };
        Serve {
            child,
            url,
            stderr,
            _dir: dir,
        }
    }

    /// Waits until `/readyz` answers 200 (a scan has been published; at
    /// most 30 s).
    pub fn wait_ready(&self) {
        wait_for(30, "/readyz 200", || {
            get(&format!("{}/readyz", self.url)).0 == 200
        });
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, then the exit code (within 15 s).
    pub fn terminate(&mut self) -> Option<i32> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve did not stop within 15 s of SIGTERM");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().expect("GET");
    let status = response.status().as_u16();
    (status, response.text().expect("body"))
}

/// Polls `probe` every 50 ms until it is true (at most `secs` seconds).
pub fn wait_for(secs: u64, what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if probe() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// `name{labels}` -> value, from the text format.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

pub fn demo_captures() -> Vec<Capture> {
    read_captures(&demo_fleet_dir())
}

pub fn sources(captures: &[Capture]) -> Vec<Source> {
    captures.iter().map(|c| c.source.clone()).collect()
}

/// The demo fleet's ListDrInfos lists (one lagging and one broken edge
/// among them) of the projects `captures` come from.
pub fn demo_infos_for(captures: &[Capture]) -> Vec<InfosCapture> {
    let projects: Vec<&str> = captures
        .iter()
        .map(|c| c.source.project_id.as_str())
        .collect();
    read_infos(&demo_fleet_dir())
        .into_iter()
        .filter(|i| projects.contains(&i.source.project_id.as_str()))
        .collect()
}

/// A signed fake serving `captures` and their projects' demo ListDrInfos
/// lists ([`demo_infos_for`]).
pub fn signed_fake(captures: Vec<Capture>) -> Fake {
    Fake::start(
        FakeCloud::builder()
            .infos(demo_infos_for(&captures))
            .captures(captures)
            .credentials(Credentials::new(AK, SK).with_security_token(TOKEN)),
    )
}

/// `rds-dr serve` of every target of `captures`, calling `url` (a fake),
/// listening on 127.0.0.1:0, with `extra` arguments.
pub fn serve_targets(captures: &[Capture], url: &str, extra: &[&str]) -> Serve {
    let mut all = target_args(sources(captures));
    all.extend(args(&["--endpoint", url, "--listen", "127.0.0.1:0"]));
    all.extend(args(extra));
    Serve::spawn(&all)
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
