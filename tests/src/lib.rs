//! End-to-end tests across the rds-dr crates: the `rds-dr` binary against
//! capture files and the fake cloud, on 127.0.0.1 only. The tests are in
//! `tests/*.rs`; this library holds what they share.
//!
//! The binary is built on demand with `cargo build -p rds-dr-cli --bin
//! rds-dr` (once per test process; a no-op when it is fresh), because a
//! package's tests cannot name another package's binary. `RDS_DR_BIN`
//! overrides the path.
//!
//! Every command runs with a cleared environment: `HOME` is an empty
//! temporary directory (no profile file), no `HUAWEICLOUD_SDK_*`, no proxy,
//! no `RUST_LOG`; tests add what they need.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use rds_dr_fake::{FakeCloudBuilder, RunningFake};
use rds_dr_model::{Capture, Source};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// The bundled demo fleet directory (`crates/cli/demo-fleet`).
pub fn demo_fleet_dir() -> PathBuf {
    workspace_root().join("crates/cli/demo-fleet")
}

/// The path of the `rds-dr` binary, built if needed (`RDS_DR_BIN` names a
/// ready one).
pub fn rds_dr_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("RDS_DR_BIN") {
            return PathBuf::from(path);
        }
        build_rds_dr("--profile=dev").expect("build rds-dr")
    })
}

/// The release `rds-dr` the bench commands measure: `RDS_DR_RELEASE_BIN`
/// when set, else built with `cargo build --release`.
pub fn release_bin() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("RDS_DR_RELEASE_BIN") {
        return Ok(PathBuf::from(path));
    }
    build_rds_dr("--release")
}

/// Builds `rds-dr` with cargo in `profile` (`--profile=dev`, `--release`)
/// and returns the executable cargo reports.
fn build_rds_dr(profile: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = StdCommand::new(cargo);
    // The variables cargo sets for this test crate would look like a
    // changed environment to build scripts that track them (ring tracks
    // CARGO_MANIFEST_DIR) and force a rebuild: leave them out.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_TARGET_TMPDIR",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_RUSTC_CURRENT_DIR",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .args([
            "build",
            "--quiet",
            "--locked",
            profile,
            "-p",
            "rds-dr-cli",
            "--bin",
            "rds-dr",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("run cargo build {profile} -p rds-dr-cli: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build {profile} -p rds-dr-cli failed"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "rds-dr")
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo did not report the rds-dr executable".to_owned())
}

/// An empty directory used as `HOME` for every command of this process.
pub fn empty_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temporary HOME"))
        .path()
}

/// `rds-dr` with a cleared environment (see the crate docs).
pub fn rds_dr() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(rds_dr_bin());
    command
        .env_clear()
        .env("HOME", empty_home())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .timeout(Duration::from_secs(120));
    command
}

/// The same as [`rds_dr`], as a plain `std::process::Command` (for a
/// long-running child such as `fake-server`).
pub fn rds_dr_std() -> StdCommand {
    let mut command = StdCommand::new(rds_dr_bin());
    command
        .env_clear()
        .env("HOME", empty_home())
        .env("NO_COLOR", "1");
    command
}

/// A fake cloud running in this process on its own tokio runtime.
pub struct Fake {
    fake: Option<RunningFake>,
    runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// Starts `builder` on 127.0.0.1.
    pub fn start(builder: FakeCloudBuilder) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = runtime.block_on(builder.start()).expect("the fake starts");
        Fake {
            fake: Some(fake),
            runtime,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.running().base_url()
    }

    /// The running server.
    pub fn running(&self) -> &RunningFake {
        self.fake.as_ref().expect("running until dropped")
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(fake) = self.fake.take() {
            self.runtime.block_on(fake.shutdown());
        }
    }
}

/// `rds-dr fake-server` as a child process, killed on drop.
pub struct FakeServerChild {
    child: Child,
    url: String,
}

impl FakeServerChild {
    /// Spawns `rds-dr fake-server ARGS` and reads its first stdout line.
    pub fn spawn(args: &[&str], envs: &[(&str, &str)]) -> FakeServerChild {
        let mut command = rds_dr_std();
        command
            .arg("fake-server")
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("spawn rds-dr fake-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        FakeServerChild { child, url }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FakeServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// The ListDrRelations captures of a directory of envelope files (infos
/// envelopes skipped, told apart by `operation`), sorted by file name.
pub fn read_captures(dir: &Path) -> Vec<Capture> {
    read_envelopes(dir, rds_dr_model::Operation::ListDrRelations)
        .iter()
        .map(|bytes| serde_json::from_slice(bytes).expect("an envelope"))
        .collect()
}

/// Every ListDrInfos capture file (`*.json` whose envelope says
/// `"operation": "ListDrInfos"`) in a directory, in file-name order.
pub fn read_infos(dir: &Path) -> Vec<rds_dr_model::InfosCapture> {
    read_envelopes(dir, rds_dr_model::Operation::ListDrInfos)
        .iter()
        .map(|bytes| serde_json::from_slice(bytes).expect("an infos envelope"))
        .collect()
}

/// The bytes of the `*.json` envelopes of one operation, by file name.
fn read_envelopes(dir: &Path, operation: rds_dr_model::Operation) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .filter(|bytes| {
            serde_json::from_slice::<rds_dr_model::EnvelopeOperation>(bytes)
                .expect("an envelope")
                .operation()
                == operation
        })
        .collect()
}

/// `--target REGION/PROJECT_ID` arguments for every source.
pub fn target_args(sources: impl IntoIterator<Item = Source>) -> Vec<String> {
    sources
        .into_iter()
        .flat_map(|s| ["--target".to_owned(), s.to_string()])
        .collect()
}

/// Stdout of an assert_cmd output, as text.
pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr of an assert_cmd output, as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether the bench command `name` (a `harness = false` bench) was asked
/// for: `cargo bench` passes `--bench`, `cargo test --benches` does not
/// (these benches are minutes of work, so they only run under `cargo
/// bench`; otherwise this prints how to run it), and a filter argument
/// that does not match `name` means another bench was asked for.
pub fn bench_asked(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!(
            "{name}: a bench command; run it with `cargo bench -p rds-dr-tests --bench {name}`"
        );
        return false;
    }
    !args
        .iter()
        .any(|a| !a.starts_with('-') && !name.contains(a.as_str()))
}

/// The `main` of the bench command `name`: runs `run` when it was asked
/// for ([`bench_asked`]); a failure is printed and fails the process.
pub fn bench_main(name: &str, run: impl FnOnce() -> Result<(), String>) -> std::process::ExitCode {
    if !bench_asked(name) {
        return std::process::ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
