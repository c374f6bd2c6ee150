//! Collecting the data of `check`, `topology`, `export` and `impact`: input
//! files, and live targets fetched concurrently, merged into one topology.

use rds_dr_api::fleet::TargetFailure;
use rds_dr_model::Operation;
use rds_dr_topology::{Topology, TopologyBuilder};

use crate::Outcome;
use crate::cli::{GlobalArgs, SourceArgs};
use crate::error::CliError;
use crate::inputs::Item;
use crate::live::{Live, is_fatal, report_failures};

/// The merged topology and how many targets could not be fetched.
///
/// The ListDrInfos side (captures read from the inputs or fetched live) is
/// merged into the topology as each edge's replication health; a target
/// whose ListDrInfos failed is a `query-failed` finding with
/// `{"operation": "ListDrInfos"}` (its relations still count), and a
/// warning for the commands that show the topology.
pub struct Gathered {
    /// Everything merged, with a `query-failed` finding per failed target.
    pub topology: Topology,
    /// Targets whose ListDrRelations failed after retries.
    pub failed_targets: usize,
    /// How many ListDrInfos captures were merged, from inputs and live
    /// targets.
    pub infos: usize,
    /// The live targets whose ListDrInfos failed after retries.
    pub infos_failures: Vec<TargetFailure>,
}

/// Input bytes per instance assumed to size the merge (a low guess: compact
/// JSON takes about 270).
const BYTES_PER_INSTANCE: u64 = 300;

/// The most instances reserved on that guess (the table then grows as it
/// must).
const MAX_GUESS: usize = 1 << 24;

/// Reads the inputs, fetches the targets, and merges both.
///
/// A bad input file, unusable credentials, a project id that cannot be
/// found, or a failure that means the run itself is wrong (HTTP 401, see
/// [`is_fatal`]) is an error (exit 2). Any other failed target becomes a
/// `query-failed` finding, and is also printed on stderr.
pub fn gather(source: &SourceArgs, global: &GlobalArgs) -> Result<Gathered, CliError> {
    let inputs = source.all_inputs();
    if inputs.is_empty() && source.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to read: give capture files or directories (INPUT...), or targets \
             (--target REGION/PROJECT_ID, --targets-file FILE, --region REGION)"
                .into(),
        ));
    }
    let mut builder = Topology::builder();
    source.thresholds.apply(&mut builder);
    let started = std::time::Instant::now();
    // Compact captures take about 270 bytes an instance; guessing low only
    // costs a growth step.
    let files = crate::inputs::Files::resolve(&inputs);
    let guess = files.total_bytes() / BYTES_PER_INSTANCE;
    let mut reserve = Some(usize::try_from(guess).map_or(MAX_GUESS, |g| g.min(MAX_GUESS)));
    // Reading and decoding on worker threads, merging on this one. The
    // merge is sized when the first capture comes, so that the workers
    // start decoding while its tables are being filled.
    let mut infos = 0;
    // Envelopes of both operations decode the same way (each is told
    // apart by its `operation`); a raw ListDrInfos body comes as the
    // envelope `fetch` would have written.
    let count = crate::inputs::for_each_decoded(
        &files,
        |item| match item {
            Item::Envelope(bytes) => TopologyBuilder::decode_capture(bytes),
            Item::Raw { source, body } => TopologyBuilder::decode_records(source, body),
        },
        |decoded| {
            if decoded.operation() == Operation::ListDrInfos {
                infos += 1;
            } else if let Some(instances) = reserve.take() {
                builder.reserve(instances);
            }
            builder.add(decoded);
        },
    )?;
    tracing::info!(
        captures = count,
        inputs = inputs.len(),
        elapsed_ms = started.elapsed().as_millis(),
        "read the inputs"
    );

    let mut failed_targets = 0;
    let mut infos_failures = Vec::new();
    if !source.targets.is_empty() {
        let (report, _) = Live::fetch_all(global, &source.targets, false)?;
        tracing::info!(
            captures = report.captures.len(),
            failures = report.failures.len(),
            "fetched the targets"
        );
        report_failures(&report.failures);
        if let Some(fatal) = report.failures.iter().find(|f| is_fatal(&f.error)) {
            return Err(CliError::Other(format!(
                "{} of {} target(s) failed; {} was refused ({}): check the credentials \
                 (HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK) and the endpoint",
                report.failures.len(),
                report.total(),
                fatal.target,
                fatal.error.code().unwrap_or("no error code"),
            )));
        }
        for capture in &report.captures {
            builder.capture(capture);
        }
        infos += report.infos.len();
        for capture in &report.infos {
            builder.infos_capture(capture);
        }
        for failure in report.failures {
            match failure.operation {
                Operation::ListDrRelations => {
                    failed_targets += 1;
                    builder.failed_target(failure.target, failure.error.to_string());
                }
                _ => {
                    builder.failed_infos_target(failure.target.clone(), failure.error.to_string());
                    infos_failures.push(failure);
                }
            }
        }
    }
    let started = std::time::Instant::now();
    let topology = builder.build();
    tracing::info!(
        instances = topology.node_count(),
        edges = topology.edge_count(),
        elapsed_ms = started.elapsed().as_millis(),
        "merged and validated"
    );
    Ok(Gathered {
        topology,
        failed_targets,
        infos,
        infos_failures,
    })
}

impl Gathered {
    /// Ends a command without freeing the merged topology piece by piece:
    /// the process exits right after, and the OS takes the memory back at
    /// once (freeing the topology of 100,000 primaries takes about 10 ms).
    pub fn end(self) {
        std::mem::forget(self);
    }

    /// Ends a command that shows the topology: warns when coverage is
    /// partial, then exits 1 if a target failed, else 0.
    pub fn finish(self, global: &GlobalArgs) -> Outcome {
        warn_partial(&self, global);
        let outcome = if self.failed_targets > 0 {
            Outcome::Findings
        } else {
            Outcome::Success
        };
        self.end();
        outcome
    }
}

/// Warns on stderr that coverage is partial, for commands that show the
/// topology rather than check it.
fn warn_partial(gathered: &Gathered, global: &GlobalArgs) {
    tracing::debug!(
        infos_captures = gathered.infos,
        infos_failures = gathered.infos_failures.len(),
        "ListDrInfos merged as replication health"
    );
    if !gathered.infos_failures.is_empty() && !global.quiet {
        eprintln!(
            "warning: ListDrInfos failed for {} target(s): replication health is partial",
            gathered.infos_failures.len()
        );
    }
    if gathered.failed_targets > 0 && !global.quiet {
        eprintln!(
            "warning: {} target(s) could not be fetched: the topology is partial (exit status 1)",
            gathered.failed_targets
        );
    }
}
