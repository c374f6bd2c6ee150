//! The command line, as clap derives it: every subcommand of the contract,
//! the global options, and the value types they parse into.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use rds_dr_api::Language;
use rds_dr_model::Target;

use crate::inputs::InputSpec;

const AFTER_HELP: &str = "\
Exit status: 0 success (no finding at or above --fail-on), 1 findings at or above --fail-on
(or a target that could not be fetched), 2 usage, input, credential or API error.

Credentials come from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (/ HUAWEICLOUD_SDK_SECURITY_TOKEN)
or the profile file ~/.huaweicloud/credentials ([basic] ak, sk, project_id).
Try `rds-dr demo` for a tour against a built-in fake cloud.";

/// Huawei Cloud RDS disaster-recovery topology: fetch, check, draw.
#[derive(Debug, Parser)]
#[command(
    name = "rds-dr",
    bin_name = "rds-dr",
    version,
    about = "Huawei Cloud RDS disaster-recovery topology: fetch, check, draw",
    long_about = "Huawei Cloud RDS disaster-recovery topology: fetch, check, draw.\n\n\
                  Reads ListDrRelations answers (live, or captures saved by `rds-dr fetch`), merges \
                  both sides of every primary -> DR relation into one graph, and reports what does \
                  not add up.",
    after_help = AFTER_HELP,
    max_term_width = 100,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Options every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// How many targets to query at the same time
    #[arg(
        long,
        global = true,
        value_name = "N",
        default_value_t = 8,
        env = "RDS_DR_CONCURRENCY",
        value_parser = clap::value_parser!(u16).range(1..=256),
        help_heading = "Global options"
    )]
    pub concurrency: u16,

    /// Timeout of one request in seconds (connect and read) [default: 60 connect, 120 read]
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_timeout, help_heading = "Global options")]
    pub timeout: Option<Duration>,

    /// Retries after a failed attempt (throttling, 5xx, timeouts, broken connections)
    #[arg(long, global = true, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=20), help_heading = "Global options")]
    pub retries: u32,

    /// More logging on stderr: -v info, -vv debug, -vvv trace (RUST_LOG works too)
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,

    /// Only errors on stderr; no progress bar
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,

    /// No progress bar
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_progress: bool,

    /// Send every RDS call to this base URL instead of the region's endpoint
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub endpoint: Option<url::Url>,

    /// Send IAM project-id discovery to this base URL
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub iam_endpoint: Option<url::Url>,

    /// Allow plain http:// endpoints on hosts other than loopback
    #[arg(long, global = true, help_heading = "Global options")]
    pub insecure: bool,

    /// Language of the service's messages (X-Language)
    #[arg(
        long,
        global = true,
        value_name = "LANG",
        help_heading = "Global options"
    )]
    pub language: Option<LanguageArg>,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!(
            "`{text}` must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_region(text: &str) -> Result<String, String> {
    let region = text.trim();
    rds_dr_model::validate_region(region)?;
    Ok(region.to_owned())
}

fn parse_project_id(text: &str) -> Result<String, String> {
    let project_id = text.trim();
    rds_dr_model::validate_project_id(project_id)?;
    Ok(project_id.to_owned())
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    rds_dr_fake::parse_listen_addr(text).map_err(|e| e.to_string())
}

fn parse_fault_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!("`{text}` must be between 0 and 1"));
    }
    Ok(rate)
}

/// `--language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LanguageArg {
    /// English (the service default)
    #[value(name = "en-us")]
    EnUs,
    /// Simplified Chinese
    #[value(name = "zh-cn")]
    ZhCn,
}

impl From<LanguageArg> for Language {
    fn from(value: LanguageArg) -> Self {
        match value {
            LanguageArg::EnUs => Language::EnUs,
            LanguageArg::ZhCn => Language::ZhCn,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call ListDrRelations for one region and print the answer
    Relations(RelationsArgs),
    /// Fetch targets and save one capture file per target
    Fetch(FetchArgs),
    /// Merge captures and report problems (exit 1 on findings at or above --fail-on)
    Check(CheckArgs),
    /// Show the merged DR topology as a tree, a table or JSON
    Topology(TopologyArgs),
    /// Export the merged DR topology (dot, mermaid, graphml, node-link, cytoscape, svg)
    Export(ExportArgs),
    /// What a region failure would do to every primary
    Impact(ImpactArgs),
    /// Run a fake RDS + IAM endpoint on loopback, serving a fleet of captures
    FakeServer(FakeServerArgs),
    /// Watch the fleet: scan every --interval and serve metrics and JSON over HTTP
    Serve(ServeArgs),
    /// A tour: a built-in fake cloud, fetched, checked and drawn (no set-up needed)
    Demo,
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

/// Where the data comes from: capture files, live targets, or both.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Capture file, directory of *.json captures, .jsonl file, or REGION/PROJECT_ID=PATH (raw API body)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<InputSpec>,

    /// Same as a positional INPUT (repeatable)
    #[arg(short = 'i', long = "input", value_name = "INPUT")]
    pub more_inputs: Vec<InputSpec>,

    /// Live targets to query and merge with the inputs.
    #[command(flatten)]
    pub targets: TargetArgs,
}

impl SourceArgs {
    /// Every input, positional first.
    pub fn all_inputs(&self) -> Vec<InputSpec> {
        self.inputs
            .iter()
            .chain(&self.more_inputs)
            .cloned()
            .collect()
    }
}

/// Live targets.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Query this region and project (repeatable)
    #[arg(
        long = "target",
        value_name = "REGION/PROJECT_ID",
        help_heading = "Targets"
    )]
    pub targets: Vec<Target>,

    /// Read targets from FILE, one REGION/PROJECT_ID per line (# comments)
    #[arg(long = "targets-file", value_name = "FILE", help_heading = "Targets")]
    pub targets_files: Vec<PathBuf>,

    /// Query this region; the project id comes from HUAWEICLOUD_SDK_PROJECT_ID, the profile or IAM
    #[arg(long = "region", value_name = "REGION", value_parser = parse_region, help_heading = "Targets")]
    pub regions: Vec<String>,
}

impl TargetArgs {
    /// Whether any target was given.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.targets_files.is_empty() && self.regions.is_empty()
    }
}

/// `relations`.
#[derive(Debug, Clone, Args)]
pub struct RelationsArgs {
    /// Region to query
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: String,

    /// Project id [default: HUAWEICLOUD_SDK_PROJECT_ID, the profile, or IAM discovery]
    #[arg(long, value_name = "PROJECT_ID", value_parser = parse_project_id)]
    pub project_id: Option<String>,

    /// json prints the body exactly as received
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    pub output: RelationsOutput,
}

/// `relations --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RelationsOutput {
    /// The API body as received
    Json,
    /// One aligned row per relation
    Table,
    /// One tab-separated row per relation, with a header line
    Tsv,
}

/// `fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Targets to fetch.
    #[command(flatten)]
    pub targets: TargetArgs,

    /// Directory for the capture files (REGION_PROJECTID.json; created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Inputs and targets.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: CheckFormat,

    /// Exit 1 when a finding of this severity or worse is present
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,
}

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// For people
    Text,
    /// Summary and findings as JSON
    Json,
}

/// `check --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only
    Error,
    /// Errors and warnings
    Warning,
    /// Any finding
    Info,
    /// Never exit 1 for findings
    Never,
}

/// `topology`.
#[derive(Debug, Clone, Args)]
pub struct TopologyArgs {
    /// Inputs and targets.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "tree")]
    pub format: TopologyFormat,
}

/// `topology --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TopologyFormat {
    /// One indented tree per DR group
    Tree,
    /// One row per instance
    Table,
    /// Nodes and edges as JSON
    Json,
}

/// `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Inputs and targets.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Export format
    #[arg(long, value_name = "FORMAT")]
    pub format: ExportFormat,

    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Graphviz DOT
    Dot,
    /// Mermaid flowchart
    Mermaid,
    /// GraphML
    #[value(name = "graphml")]
    GraphMl,
    /// networkx node-link JSON
    NodeLink,
    /// Cytoscape.js elements JSON
    Cytoscape,
    /// SVG picture
    Svg,
}

impl ExportFormat {
    /// The name on the command line.
    #[cfg(test)]
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Dot => "dot",
            ExportFormat::Mermaid => "mermaid",
            ExportFormat::GraphMl => "graphml",
            ExportFormat::NodeLink => "node-link",
            ExportFormat::Cytoscape => "cytoscape",
            ExportFormat::Svg => "svg",
        }
    }
}

/// `impact`.
#[derive(Debug, Clone, Args)]
pub struct ImpactArgs {
    /// Inputs and targets.
    #[command(flatten)]
    pub source: SourceArgs,

    /// A region that fails (repeatable)
    #[arg(long = "fail-region", value_name = "REGION", required = true, value_parser = parse_region)]
    pub fail_regions: Vec<String>,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: ImpactFormat,
}

/// `impact --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImpactFormat {
    /// For people
    Text,
    /// As JSON
    Json,
}

/// `fake-server`.
#[derive(Debug, Clone, Args)]
pub struct FakeServerArgs {
    /// Directory of capture files to serve (*.json envelopes, *.jsonl)
    #[arg(long, value_name = "DIR", required_unless_present = "synthetic")]
    pub fleet: Option<PathBuf>,

    /// Serve a generated fleet with this many primaries instead of --fleet
    #[arg(long, value_name = "PRIMARIES", conflicts_with = "fleet",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub synthetic: Option<u32>,

    /// Loopback address to listen on (HOST:PORT, localhost:PORT or a port)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = parse_listen)]
    pub listen: SocketAddr,

    /// Access key to accept (turns signature checking on; needs --sk)
    #[arg(long, value_name = "AK", requires = "sk")]
    pub ak: Option<String>,

    /// Secret key of --ak
    #[arg(
        long,
        value_name = "SK",
        requires = "ak",
        env = "RDS_DR_FAKE_SK",
        hide_env_values = true
    )]
    pub sk: Option<String>,

    /// Require this signed X-Security-Token
    #[arg(
        long,
        value_name = "TOKEN",
        requires = "ak",
        env = "RDS_DR_FAKE_SECURITY_TOKEN",
        hide_env_values = true
    )]
    pub security_token: Option<String>,

    /// Delay every response by N milliseconds
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,

    /// Share of requests that get a fault (0 to 1)
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_fault_rate)]
    pub fault_rate: f64,

    /// Fault kinds to draw from: 429,500,503,reset,truncate,slow [default: all]
    #[arg(long, value_name = "KINDS")]
    pub faults: Option<String>,

    /// Seed for the fault sequence (and the --synthetic fleet)
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
}

/// `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Targets to watch.
    #[command(flatten)]
    pub targets: TargetArgs,

    /// Address to listen on (HOST:PORT, localhost:PORT, a port, or :PORT for every interface);
    /// anything but loopback needs --web-config with TLS or basic auth, or --insecure-listen
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9871", value_parser = parse_serve_listen)]
    pub listen: SocketAddr,

    /// Time between two scans' starts (500ms, 30s, 5m; each wait is up to 10% shorter, at random)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_interval)]
    pub interval: Duration,

    /// Append a JSON line per change between two scans to FILE (- for stdout)
    #[arg(long, value_name = "FILE|-")]
    pub events: Option<PathBuf>,

    /// Prometheus exporter-toolkit web config: tls_server_config and basic_auth_users
    #[arg(long, value_name = "FILE")]
    pub web_config: Option<PathBuf>,

    /// Allow a non-loopback --listen without TLS and basic auth
    #[arg(long)]
    pub insecure_listen: bool,
}

/// The shortest `--interval`.
pub const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// `--interval`: a duration such as `500ms`, `30s` or `5m`.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration such as 500ms, 30s or 5m ({e})"))?;
    if duration < MIN_INTERVAL || duration > Duration::from_secs(86_400) {
        return Err(format!("`{text}` must be from 50ms to 24h"));
    }
    Ok(duration)
}

/// `serve --listen`: `HOST:PORT` (any IP), `localhost:PORT`, a bare port
/// (loopback), or `:PORT` (every IPv4 interface, as Go exporters read it).
pub fn parse_serve_listen(text: &str) -> Result<SocketAddr, String> {
    use std::net::{IpAddr, Ipv4Addr};
    let input = text.trim();
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("`{text}`: the port is not a number from 0 to 65535"))
    };
    if let Ok(p) = input.parse::<u16>() {
        Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p))
    } else if let Some(p) = input.strip_prefix("localhost:") {
        Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port(p)?))
    } else if let Some(p) = input.strip_prefix(':') {
        Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port(p)?))
    } else {
        input.parse::<SocketAddr>().map_err(|_| {
            format!("`{text}` is not HOST:PORT with an IP address (e.g. 127.0.0.1:9871, [::1]:9871, 0.0.0.0:9871)")
        })
    }
}

/// `completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeout_parses_seconds() {
        assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("x").is_err());
        assert!(parse_timeout("NaN").is_err());
    }

    #[test]
    fn fault_rate_is_a_share() {
        assert_eq!(parse_fault_rate("0.3"), Ok(0.3));
        assert!(parse_fault_rate("1.5").is_err());
        assert!(parse_fault_rate("-0.1").is_err());
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from([
            "rds-dr",
            "check",
            "a.json",
            "--concurrency",
            "3",
            "-vv",
            "--fail-on",
            "warning",
        ])
        .expect("parses");
        assert_eq!(cli.global.concurrency, 3);
        assert_eq!(cli.global.verbose, 2);
        let Command::Check(check) = cli.command else {
            panic!("not check")
        };
        assert_eq!(check.fail_on, FailOn::Warning);
        assert_eq!(check.source.inputs.len(), 1);
    }

    #[test]
    fn serve_durations_and_addresses() {
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_interval("10ms").is_err());
        assert!(parse_interval("soon").is_err());
        assert_eq!(
            parse_serve_listen("9871"),
            Ok("127.0.0.1:9871".parse().unwrap())
        );
        assert_eq!(
            parse_serve_listen("localhost:1"),
            Ok("127.0.0.1:1".parse().unwrap())
        );
        assert_eq!(parse_serve_listen(":80"), Ok("0.0.0.0:80".parse().unwrap()));
        assert_eq!(
            parse_serve_listen("[::1]:9"),
            Ok("[::1]:9".parse().unwrap())
        );
        assert!(parse_serve_listen("example.invalid:80").is_err());
        let cli = Cli::try_parse_from([
            "rds-dr",
            "serve",
            "--target",
            "cn-north-4/0483b6b16e954cb88930a360d2c4e663",
            "--interval",
            "2s",
        ])
        .expect("parses");
        let Command::Serve(serve) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(serve.interval, Duration::from_secs(2));
        assert_eq!(serve.listen, "127.0.0.1:9871".parse().unwrap());
    }

    #[test]
    fn targets_are_validated() {
        let err = Cli::try_parse_from([
            "rds-dr",
            "fetch",
            "--target",
            "cn-north-4/xyz",
            "--out",
            "d",
        ])
        .expect_err("bad project id");
        assert!(err.to_string().contains("32 hexadecimal"), "{err}");
        let err =
            Cli::try_parse_from(["rds-dr", "check", "--region", "CN"]).expect_err("bad region");
        assert!(err.to_string().contains("lowercase"), "{err}");
    }
}
