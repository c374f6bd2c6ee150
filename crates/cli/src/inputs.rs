//! Reading captures from `INPUT`s: one envelope file, a directory of
//! envelope files, a `.jsonl` file with one envelope per line, or
//! `REGION/PROJECT_ID=PATH` for a raw API body.
//!
//! Envelopes of both kinds, ListDrRelations and ListDrInfos, may come in any
//! mix (in a directory, a `.jsonl` file, or single files): each envelope's
//! `"operation"` tells them apart, never its file name. They are handed
//! over alike, as [`Item::Envelope`]; the decoder reads the `operation`
//! (`TopologyBuilder::decode_capture`), so no envelope is parsed twice.
//! A raw body (`REGION/PROJECT_ID=PATH`) is a ListDrInfos body when it is an
//! object with `instance_dr_infos` and without `instance_dr_relations`
//! (handed over as the envelope `fetch` would have written), else a
//! ListDrRelations body.
//!
//! A bad *file* (unreadable, not JSON, not an envelope) is an [`InputError`]
//! naming the file (and the line of a `.jsonl` file) and what is wrong: the
//! command stops with exit status 2. A bad *record* inside a good file is
//! kept by the model's `Lenient` decoding and reported by `check` as a
//! `malformed-record` finding.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use rds_dr_model::{
    Capture, EnvelopeOperation, InfosCapture, ListDrRelationsResponse, Operation, Source,
};

/// One `INPUT` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// An envelope file, a directory of them, or a `.jsonl` file.
    Path(PathBuf),
    /// `REGION/PROJECT_ID=PATH`: a raw API body and where it came from.
    Raw {
        /// The (region, project) that was queried.
        source: Source,
        /// The file holding the body.
        path: PathBuf,
    },
}

impl FromStr for InputSpec {
    type Err = std::convert::Infallible;

    /// `REGION/PROJECT_ID=PATH` when the text before the first `=` is a valid
    /// target; any other text is a path.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some((target, path)) = text.split_once('=')
            && let Ok(source) = target.parse::<Source>()
            && !path.is_empty()
        {
            return Ok(InputSpec::Raw {
                source,
                path: PathBuf::from(path),
            });
        }
        Ok(InputSpec::Path(PathBuf::from(text)))
    }
}

impl fmt::Display for InputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSpec::Path(path) => write!(f, "{}", path.display()),
            InputSpec::Raw { source, path } => write!(f, "{source}={}", path.display()),
        }
    }
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    path: PathBuf,
    line: Option<usize>,
    problem: String,
}

impl InputError {
    fn new(path: &Path, line: Option<usize>, problem: impl Into<String>) -> Self {
        InputError {
            path: path.to_owned(),
            line,
            problem: problem.into(),
        }
    }

    /// The file.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line of a `.jsonl` file, 1-based.
    #[cfg(test)]
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "input {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for InputError {}

/// One capture as read from an input: the bytes of an envelope, or the
/// bytes of a raw API body and the source it came from.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A capture envelope (JSON) of either operation: its `operation`
    /// member tells them apart, and the decoder reads it
    /// (`TopologyBuilder::decode_capture`).
    Envelope(&'a [u8]),
    /// A raw API body (JSON) returned for `source`.
    Raw {
        /// The (region, project) that was queried.
        source: &'a Source,
        /// The body.
        body: &'a [u8],
    },
}

/// Decodes a ListDrInfos envelope and checks its source.
pub fn decode_infos(bytes: &[u8]) -> Result<InfosCapture, serde_json::Error> {
    let capture: InfosCapture = serde_json::from_slice(bytes)?;
    capture
        .source
        .validate()
        .map_err(<serde_json::Error as serde::de::Error>::custom)?;
    Ok(capture)
}

/// Reads the files and decodes each item with `decode` on several threads
/// (the calling thread and a worker per other available core, at most one
/// per file), while `sink` takes the decoded items on the calling thread.
/// Returns how many items there were.
///
/// The items reach `sink` in **no particular order** (files are decoded
/// concurrently), so `sink` must not depend on the order; merging into a
/// `TopologyBuilder` does not. Each worker holds one file in memory, and at
/// most about one decoded item per worker waits for `sink`.
///
/// The error is the one reading in order would return first (inputs in order, a
/// directory's files in name order, a `.jsonl` file's lines in order), even
/// when a later file fails too. When there is an error, `sink` may have been
/// given items from any file, before or after the bad one. If `sink`
/// panics, the workers stop and the panic goes on.
pub fn for_each_decoded<T: Send>(
    files: &Files<'_>,
    decode: impl Fn(Item<'_>) -> Result<T, serde_json::Error> + Sync,
    mut sink: impl FnMut(T),
) -> Result<usize, InputError> {
    let jobs = &files.0;
    // The calling thread decodes too, whenever no decoded item waits for
    // it: one worker fewer than the cores, so no thread waits for a core.
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .saturating_sub(1)
        .min(jobs.len());
    // The next job to start; no job after `stop_after` (the lowest failed
    // job so far) is started, but every job before it is finished, so the
    // lowest failed job is always found. `stop_after` only goes down, so a
    // relaxed load never reads a value below the final one: the ordering
    // of these two counters needs nothing stronger.
    let next = AtomicUsize::new(0);
    let stop_after = AtomicUsize::new(usize::MAX);
    let (jobs, decode, next, stop_after) = (&jobs, &decode, &next, &stop_after);
    // The next job not yet started, if any may still start.
    let take = move || {
        let index = next.fetch_add(1, Ordering::Relaxed);
        (index < jobs.len() && index <= stop_after.load(Ordering::Relaxed)).then_some(index)
    };
    let failed = move |index: usize, error: InputError| {
        stop_after.fetch_min(index, Ordering::Relaxed);
        Some((index, error))
    };
    std::thread::scope(|scope| {
        // Made in here so that `rx` is dropped when `sink` panics: a worker
        // blocked in `send` then gets an error and stops.
        let (tx, rx) = std::sync::mpsc::sync_channel::<T>(workers.max(1));
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let tx = tx.clone();
                scope.spawn(move || -> Option<(usize, InputError)> {
                    let mut send = |item: Item<'_>| {
                        let decoded = decode(item)?;
                        // The receiver is only gone when `sink` panicked.
                        tx.send(decoded).map_err(|_| {
                            <serde_json::Error as serde::de::Error>::custom("the merge stopped")
                        })
                    };
                    while let Some(index) = take() {
                        if let Err(error) = jobs[index].run(&mut send) {
                            // Every later index is higher: nothing more to do.
                            return failed(index, error);
                        }
                    }
                    None
                })
            })
            .collect();
        drop(tx);
        let mut count = 0;
        let mut own_error = None;
        let mut own_done = false;
        loop {
            // Merge what the workers decoded; when none waits, decode the
            // next file here; when no file is left, wait for the workers.
            let received = if own_done {
                rx.recv().ok()
            } else {
                rx.try_recv().ok()
            };
            if let Some(decoded) = received {
                count += 1;
                sink(decoded);
                continue;
            }
            if own_done {
                break;
            }
            let Some(index) = take() else {
                own_done = true;
                continue;
            };
            let mut merge_here = |item: Item<'_>| {
                let decoded = decode(item)?;
                count += 1;
                sink(decoded);
                Ok(())
            };
            if let Err(error) = jobs[index].run(&mut merge_here) {
                own_error = failed(index, error);
                own_done = true;
            }
        }
        let mut first: Option<(usize, InputError)> = own_error;
        for handle in handles {
            let failed = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if let Some((index, error)) = failed
                && first.as_ref().is_none_or(|(lowest, _)| index < *lowest)
            {
                first = Some((index, error));
            }
        }
        match first {
            Some((_, error)) => Err(error),
            None => Ok(count),
        }
    })
}

/// The inputs resolved to files, in reading order (directories listed once).
pub struct Files<'a>(Vec<Job<'a>>);

impl<'a> Files<'a> {
    /// Lists the inputs' files; an input that cannot be resolved (missing,
    /// an empty directory, ...) stays in its place as its error, reported
    /// when reading gets there.
    pub fn resolve(specs: &'a [InputSpec]) -> Self {
        Files(jobs(specs))
    }

    /// The total size of the files that can be found, to size the merge.
    pub fn total_bytes(&self) -> u64 {
        self.0
            .iter()
            .filter_map(|job| match job {
                Job::File(path) => std::fs::metadata(path).ok(),
                Job::Raw { path, .. } => std::fs::metadata(path).ok(),
                Job::Failed(_) => None,
            })
            .map(|metadata| metadata.len())
            .sum()
    }
}

type Sink<'s> = dyn FnMut(Item<'_>) -> Result<(), serde_json::Error> + 's;

/// One unit of reading: a file, in reading order.
enum Job<'a> {
    /// An envelope or `.jsonl` file.
    File(PathBuf),
    /// A raw API body.
    Raw { source: &'a Source, path: &'a Path },
    /// An input that could not be resolved to files (missing, an empty
    /// directory, ...): running it is this error.
    Failed(InputError),
}

impl Job<'_> {
    fn run(&self, out: &mut Sink<'_>) -> Result<(), InputError> {
        match self {
            Job::File(path) => load_file(path, out),
            Job::Raw { source, path } => load_raw(source, path, out),
            Job::Failed(error) => Err(error.clone()),
        }
    }
}

/// The inputs as files in reading order: a directory becomes its files in
/// name order, and an input that fails to resolve becomes its error, in its
/// place.
fn jobs(specs: &[InputSpec]) -> Vec<Job<'_>> {
    let mut jobs = Vec::new();
    for spec in specs {
        match spec {
            InputSpec::Raw { source, path } => jobs.push(Job::Raw { source, path }),
            InputSpec::Path(path) => match path_files(path) {
                Ok(files) => jobs.extend(files.into_iter().map(Job::File)),
                Err(error) => jobs.push(Job::Failed(error)),
            },
        }
    }
    jobs
}

/// The file, or a directory's capture files in name order.
fn path_files(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    let metadata = std::fs::metadata(path).map_err(|e| {
        let mut problem = format!("cannot read: {e}");
        if path.to_string_lossy().contains('=') {
            problem.push_str(
                " (a raw API body is given as REGION/PROJECT_ID=PATH, e.g. \
                 cn-north-4/0483b6b16e954cb88930a360d2c4e663=body.json)",
            );
        }
        InputError::new(path, None, problem)
    })?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let files = envelope_files(path)?;
    if files.is_empty() {
        return Err(InputError::new(
            path,
            None,
            "the directory has no *.json or *.jsonl capture files",
        ));
    }
    Ok(files)
}

/// The `*.json` and `*.jsonl` files of a directory, sorted by name.
fn envelope_files(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir, None, format!("cannot list: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| InputError::new(dir, None, format!("cannot list: {e}")))?;
        let path = entry.path();
        let is_capture = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json") | Some("jsonl")
        );
        if is_capture && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    let mut bytes = std::fs::read(path)
        .map_err(|e| InputError::new(path, None, format!("cannot read: {e}")))?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(bytes)
}

fn load_file(path: &Path, out: &mut Sink<'_>) -> Result<(), InputError> {
    let bytes = read(path)?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        let mut any = false;
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if out(Item::Envelope(line)).is_err() {
                return Err(InputError::new(
                    path,
                    Some(index + 1),
                    envelope_problem(line),
                ));
            }
            any = true;
        }
        if !any {
            return Err(InputError::new(
                path,
                None,
                "the file has no capture envelopes",
            ));
        }
        Ok(())
    } else {
        if bytes.trim_ascii().is_empty() {
            return Err(InputError::new(path, None, "the file is empty"));
        }
        if out(Item::Envelope(&bytes)).is_err() {
            return Err(InputError::new(path, None, envelope_problem(&bytes)));
        }
        Ok(())
    }
}

/// What is wrong with an envelope that could not be used.
fn envelope_problem(bytes: &[u8]) -> String {
    match serde_json::from_slice::<EnvelopeOperation>(bytes) {
        Ok(peek) if peek.operation() == Operation::ListDrInfos => {
            return match decode_infos(bytes) {
                Ok(_) => "not a usable ListDrInfos capture envelope".to_owned(),
                Err(e) if e.is_data() => format!("not a ListDrInfos capture envelope: {e}"),
                Err(e) => format!("not JSON: {e}"),
            };
        }
        Err(e) if e.is_data() => {
            return format!(
                "not a capture envelope: `operation` must be \"ListDrRelations\" or \"ListDrInfos\" ({e})"
            );
        }
        _ => {}
    }
    match serde_json::from_slice::<Capture>(bytes) {
        Ok(capture) => match capture.source.validate() {
            Err(e) => format!("not a usable capture envelope: `source` is {e}"),
            Ok(()) => "not a usable capture envelope".to_owned(),
        },
        Err(e) if e.is_data() => {
            let mut problem = format!("not a capture envelope: {e}");
            if looks_like_raw_body(bytes) {
                problem.push_str(
                    "; this looks like a raw API body: give it as REGION/PROJECT_ID=PATH, or save it \
                     with `rds-dr fetch`",
                );
            } else {
                problem.push_str(
                    " (expected {\"source\": {\"region\", \"project_id\"}, \"response\": {...}})",
                );
            }
            problem
        }
        Err(e) => format!("not JSON: {e}"),
    }
}

fn looks_like_raw_body(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| o.contains_key("instance_dr_relations") && !o.contains_key("source"))
        })
        .unwrap_or(false)
}

/// Whether a raw body is a ListDrInfos body: an object with
/// `instance_dr_infos` and without `instance_dr_relations` (searched for as
/// text first, so a relations body is not parsed twice).
fn is_raw_infos(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Keys {
        instance_dr_infos: Option<serde::de::IgnoredAny>,
        instance_dr_relations: Option<serde::de::IgnoredAny>,
    }
    memchr::memmem::find(bytes, b"\"instance_dr_infos\"").is_some()
        && serde_json::from_slice::<Keys>(bytes)
            .is_ok_and(|k| k.instance_dr_infos.is_some() && k.instance_dr_relations.is_none())
}

fn load_raw(source: &Source, path: &Path, out: &mut Sink<'_>) -> Result<(), InputError> {
    let bytes = read(path)?;
    if bytes.trim_ascii().is_empty() {
        return Err(InputError::new(path, None, "the file is empty"));
    }
    if is_raw_infos(&bytes) {
        // A raw ListDrInfos body: read as the envelope `fetch` would write.
        let mut envelope = br#"{"operation":"ListDrInfos","source":"#.to_vec();
        envelope.extend_from_slice(&serde_json::to_vec(source).unwrap_or_default());
        envelope.extend_from_slice(br#","response":"#);
        envelope.extend_from_slice(bytes.trim_ascii());
        envelope.push(b'}');
        if out(Item::Envelope(&envelope)).is_err() {
            let problem = match decode_infos(&envelope) {
                Err(e) if e.is_data() => format!("not a usable ListDrInfos body: {e}"),
                Err(e) => format!("not JSON: {e}"),
                Ok(_) => "not a usable ListDrInfos body".to_owned(),
            };
            return Err(InputError::new(path, None, problem));
        }
        return Ok(());
    }
    if out(Item::Raw {
        source,
        body: &bytes,
    })
    .is_err()
    {
        let problem = match serde_json::from_slice::<ListDrRelationsResponse>(&bytes) {
            Err(e) if e.is_data() => format!("not a ListDrRelations body: {e}"),
            Err(e) => format!("not JSON: {e}"),
            Ok(_) => "not a usable ListDrRelations body".to_owned(),
        };
        return Err(InputError::new(path, None, problem));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
