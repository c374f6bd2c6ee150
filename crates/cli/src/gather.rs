//! Collecting the data of `check`, `topology`, `export` and `impact`: input
//! files, and live targets fetched concurrently, merged into one topology.

use rds_dr_topology::{Topology, TopologyBuilder};

use crate::cli::{GlobalArgs, SourceArgs};
use crate::error::CliError;
use crate::inputs::Item;
use crate::live::{Live, is_fatal, report_failures};

/// The merged topology and how many targets could not be fetched.
pub struct Gathered {
    /// Everything merged, with a `query-failed` finding per failed target.
    pub topology: Topology,
    /// Targets that failed after retries.
    pub failed_targets: usize,
}

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
    let started = std::time::Instant::now();
    // Reading and decoding on worker threads, merging on this one.
    let count = crate::inputs::for_each_decoded(
        &inputs,
        |item| match item {
            Item::Envelope(bytes) => TopologyBuilder::decode_capture(bytes),
            Item::Raw { source, body } => TopologyBuilder::decode_records(source, body),
        },
        |decoded| {
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
        failed_targets = report.failures.len();
        for capture in &report.captures {
            builder.capture(capture);
        }
        for failure in report.failures {
            builder.failed_target(failure.target, failure.error.to_string());
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
    })
}

/// Merges captures (no targets): for tests.
#[cfg(test)]
pub fn merge(captures: &[rds_dr_model::Capture]) -> Topology {
    let mut builder = Topology::builder();
    for capture in captures {
        builder.capture(capture);
    }
    builder.build()
}

/// Warns on stderr that coverage is partial, for commands that show the
/// topology rather than check it.
pub fn warn_partial(gathered: &Gathered, global: &GlobalArgs) {
    if gathered.failed_targets > 0 && !global.quiet {
        eprintln!(
            "warning: {} target(s) could not be fetched: the topology is partial (exit status 1)",
            gathered.failed_targets
        );
    }
}
