//! Reading captures from `INPUT`s: one envelope file, a directory of
//! envelope files, a `.jsonl` file with one envelope per line, or
//! `REGION/PROJECT_ID=PATH` for a raw API body.
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

use rds_dr_model::{Capture, ListDrRelationsResponse, Source};

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
    /// A capture envelope (JSON).
    Envelope(&'a [u8]),
    /// A raw API body (JSON) returned for `source`.
    Raw {
        /// The (region, project) that was queried.
        source: &'a Source,
        /// The body.
        body: &'a [u8],
    },
}

/// Reads every input, in order; a directory's files in name order.
#[cfg(test)]
pub fn load(specs: &[InputSpec]) -> Result<Vec<Capture>, InputError> {
    let mut captures = Vec::new();
    for_each(specs, |item| {
        captures.push(decode_capture(item)?);
        Ok(())
    })?;
    Ok(captures)
}

/// An item decoded the way [`load`] decodes it.
#[cfg(test)]
fn decode_capture(item: Item<'_>) -> Result<Capture, serde_json::Error> {
    Ok(match item {
        Item::Envelope(bytes) => {
            let capture: Capture = serde_json::from_slice(bytes)?;
            capture
                .source
                .validate()
                .map_err(<serde_json::Error as serde::de::Error>::custom)?;
            capture
        }
        Item::Raw { source, body } => Capture {
            source: source.clone(),
            fetched_at: None,
            response: serde_json::from_slice(body)?,
        },
    })
}

/// Reads every input, in order (a directory's files in name order), and
/// hands each capture's bytes to `sink` (which decodes them, e.g. with
/// `TopologyBuilder::capture_json`), one file in memory at a time. When
/// `sink` cannot decode an item, the item is decoded again here to say
/// what is wrong, naming the file (and line). Returns how many items there
/// were.
///
/// This is the reference for the errors of [`for_each_decoded`].
#[cfg(test)]
pub fn for_each(
    specs: &[InputSpec],
    mut sink: impl FnMut(Item<'_>) -> Result<(), serde_json::Error>,
) -> Result<usize, InputError> {
    let mut count = 0;
    let mut counted = |item: Item<'_>| {
        count += 1;
        sink(item)
    };
    for job in jobs(specs) {
        job.run(&mut counted)?;
    }
    Ok(count)
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

fn load_raw(source: &Source, path: &Path, out: &mut Sink<'_>) -> Result<(), InputError> {
    let bytes = read(path)?;
    if bytes.trim_ascii().is_empty() {
        return Err(InputError::new(path, None, "the file is empty"));
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
mod tests {
    use super::*;
    use std::io::Write;

    const P1: &str = "0483b6b16e954cb88930a360d2c4e663";
    const P2: &str = "08fd2ad8bd6a4e7c9e4d3b9b7f0a1c2d";

    fn envelope(region: &str, project: &str, instance: &str) -> String {
        format!(
            r#"{{"source": {{"region": "{region}", "project_id": "{project}"}},
                "response": {{"instance_dr_relations": [{{"instance_id": "{instance}"}}]}}}}"#
        )
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        let mut file = std::fs::File::create(&path).expect("create");
        file.write_all(text.as_bytes()).expect("write");
        path
    }

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    #[test]
    fn spec_parses_raw_and_paths() {
        let raw: InputSpec = format!("cn-north-4/{P1}=body.json").parse().unwrap();
        assert_eq!(
            raw,
            InputSpec::Raw {
                source: Source::new("cn-north-4", P1),
                path: "body.json".into()
            }
        );
        let path: InputSpec = "dir/a=b.json".parse().unwrap();
        assert_eq!(path, InputSpec::Path("dir/a=b.json".into()));
        let plain: InputSpec = "captures".parse().unwrap();
        assert_eq!(plain, InputSpec::Path("captures".into()));
        assert_eq!(raw.to_string(), format!("cn-north-4/{P1}=body.json"));
    }

    #[test]
    fn file_directory_and_jsonl() {
        let dir = tempdir();
        let one = write(dir.path(), "b.json", &envelope("cn-north-4", P1, "i1"));
        write(dir.path(), "a.json", &envelope("ap-southeast-1", P2, "i2"));
        write(dir.path(), "notes.txt", "ignored");
        let lines = format!(
            "{}\n\n{}\r\n",
            envelope("cn-north-4", P1, "i3").replace('\n', " "),
            envelope("cn-north-4", P2, "i4").replace('\n', " ")
        );
        let jsonl = write(dir.path(), "c.jsonl", &lines);

        let captures = load(&[InputSpec::Path(one.clone())]).unwrap();
        assert_eq!(captures.len(), 1);
        assert_eq!(captures[0].source, Source::new("cn-north-4", P1));

        let captures = load(&[InputSpec::Path(jsonl)]).unwrap();
        assert_eq!(captures.len(), 2);

        let captures = load(&[InputSpec::Path(dir.path().to_owned())]).unwrap();
        let ids: Vec<_> = captures
            .iter()
            .map(|c| {
                c.response.instance_dr_relations[0]
                    .valid()
                    .unwrap()
                    .instance_id
                    .clone()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, ["i2", "i1", "i3", "i4"], "name order, then line order");
    }

    #[test]
    fn raw_body() {
        let dir = tempdir();
        let path = write(
            dir.path(),
            "body.json",
            r#"{"instance_dr_relations": [{"instance_id": "x"}, 7]}"#,
        );
        let captures = load(&[InputSpec::Raw {
            source: Source::new("cn-north-4", P1),
            path,
        }])
        .unwrap();
        assert_eq!(captures[0].source.region, "cn-north-4");
        assert_eq!(captures[0].response.instance_dr_relations.len(), 2);
        assert!(!captures[0].response.instance_dr_relations[1].is_valid());
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let dir = tempdir();
        let cases = [
            ("empty.json", "", "empty"),
            ("trunc.json", r#"{"source": {"region""#, "not JSON"),
            ("array.json", "[1, 2]", "not a capture envelope"),
            (
                "raw.json",
                r#"{"instance_dr_relations": []}"#,
                "REGION/PROJECT_ID=PATH",
            ),
            (
                "badsource.json",
                r#"{"source": {"region": "CN", "project_id": "x"}, "response": {}}"#,
                "lowercase",
            ),
        ];
        for (name, text, expected) in cases {
            let path = write(dir.path(), name, text);
            let err = load(&[InputSpec::Path(path.clone())]).expect_err(name);
            assert_eq!(err.path(), path);
            let message = err.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains(expected), "{name}: {message}");
        }
        let missing = dir.path().join("missing.json");
        let err = load(&[InputSpec::Path(missing)]).expect_err("missing");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }

    #[test]
    fn bad_jsonl_line_is_named() {
        let dir = tempdir();
        let text = format!(
            "{}\n{{oops\n",
            envelope("cn-north-4", P1, "i1").replace('\n', " ")
        );
        let path = write(dir.path(), "x.jsonl", &text);
        let err = load(&[InputSpec::Path(path)]).expect_err("bad line");
        assert_eq!(err.line(), Some(2));
        assert!(
            err.to_string().contains("x.jsonl line 2: not JSON"),
            "{err}"
        );
    }

    #[test]
    fn empty_directory_is_an_error() {
        let dir = tempdir();
        let err = load(&[InputSpec::Path(dir.path().to_owned())]).expect_err("empty dir");
        assert!(err.to_string().contains("no *.json"), "{err}");
    }

    #[test]
    fn bad_record_in_good_file_is_kept() {
        let dir = tempdir();
        let text = format!(
            r#"{{"source": {{"region": "cn-north-4", "project_id": "{P1}"}},
                "response": {{"instance_dr_relations": [{{"instance_id": 5}}, {{"instance_id": "ok"}}]}}}}"#
        );
        let path = write(dir.path(), "x.json", &text);
        let captures = load(&[InputSpec::Path(path)]).unwrap();
        let records = &captures[0].response.instance_dr_relations;
        assert!(!records[0].is_valid());
        assert!(records[1].is_valid());
    }

    /// A directory of 40 envelope files `f00.json`..`f39.json` (instances
    /// `d00`..`d39`, half in each project).
    fn forty_files(dir: &Path) -> Vec<PathBuf> {
        (0..40)
            .map(|n| {
                let project = if n % 2 == 0 { P1 } else { P2 };
                let text = envelope("cn-north-4", project, &format!("d{n:02}"));
                write(dir, &format!("f{n:02}.json"), &text)
            })
            .collect()
    }

    /// Each capture as text, sorted: the multiset of what was read.
    fn multiset(captures: &[Capture]) -> Vec<String> {
        let mut texts: Vec<String> = captures
            .iter()
            .map(|c| serde_json::to_string(c).expect("serialize"))
            .collect();
        texts.sort();
        texts
    }

    #[test]
    fn decoded_in_parallel_are_the_items_read_in_order() {
        let dir = tempdir();
        forty_files(dir.path());
        let lines = format!(
            "{}\n{}\n{}\n",
            envelope("cn-north-4", P1, "j1").replace('\n', " "),
            envelope("cn-north-4", P2, "j2").replace('\n', " "),
            envelope("ap-southeast-1", P1, "j3").replace('\n', " ")
        );
        write(dir.path(), "lines.jsonl", &lines);
        let other = tempdir();
        let body = write(
            other.path(),
            "body.json",
            r#"{"instance_dr_relations": [{"instance_id": "r1"}, {"instance_id": "r2"}]}"#,
        );
        let specs = [
            InputSpec::Path(dir.path().to_owned()),
            InputSpec::Raw {
                source: Source::new("cn-north-4", P2),
                path: body,
            },
        ];

        let expected = load(&specs).unwrap();
        assert_eq!(expected.len(), 40 + 3 + 1);
        let caller = std::thread::current().id();
        let mut got = Vec::new();
        let count = for_each_decoded(&Files::resolve(&specs), decode_capture, |capture| {
            assert_eq!(std::thread::current().id(), caller, "sink on the caller");
            got.push(capture);
        })
        .unwrap();
        assert_eq!(count, expected.len());
        assert_eq!(got.len(), expected.len());
        assert_eq!(multiset(&got), multiset(&expected));
    }

    #[test]
    fn lowest_bad_file_is_the_error_every_time() {
        let dir = tempdir();
        let files = forty_files(dir.path());
        // The 7th file is large and only breaks at its very end, so it is
        // still being decoded when the other worker reaches the 30th.
        let records: Vec<String> = (0..20_000)
            .map(|n| format!(r#"{{"instance_id": "big{n}"}}"#))
            .collect();
        let seventh = format!(
            r#"{{"source": {{"region": "cn-north-4", "project_id": "{P1}"}},
                "response": {{"instance_dr_relations": [{}]"#,
            records.join(", ")
        );
        write(dir.path(), "f06.json", &seventh);
        write(dir.path(), "f29.json", "[1, 2]");
        let specs = [InputSpec::Path(dir.path().to_owned())];
        let expected = load(&specs).expect_err("7th");
        assert_eq!(expected.path(), files[6]);
        for _ in 0..20 {
            let err =
                for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("7th");
            assert_eq!(err, expected);
            assert!(err.to_string().contains("f06.json: not JSON"), "{err}");
        }

        let jsonl = tempdir();
        let text = format!(
            "{}\n{{oops\n{}\n",
            envelope("cn-north-4", P1, "i1").replace('\n', " "),
            envelope("cn-north-4", P1, "i3").replace('\n', " ")
        );
        let path = write(jsonl.path(), "x.jsonl", &text);
        let specs = [
            InputSpec::Path(path),
            InputSpec::Path(dir.path().to_owned()),
        ];
        let err =
            for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("line 2");
        assert_eq!(err.line(), Some(2));
        assert!(
            err.to_string().contains("x.jsonl line 2: not JSON"),
            "{err}"
        );
        assert_eq!(err, load(&specs).expect_err("line 2"));
    }

    #[test]
    fn unresolved_input_fails_in_its_place() {
        let dir = tempdir();
        forty_files(dir.path());
        let missing = dir.path().join("missing.json");
        let empty = tempdir();
        let specs = [
            InputSpec::Path(dir.path().to_owned()),
            InputSpec::Path(missing.clone()),
            InputSpec::Path(empty.path().to_owned()),
        ];
        let err =
            for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("missing");
        assert_eq!(err.path(), missing);
        assert!(err.to_string().contains("cannot read"), "{err}");
        assert_eq!(err, load(&specs).expect_err("missing"));

        let specs = [
            InputSpec::Path(empty.path().to_owned()),
            InputSpec::Path(missing),
        ];
        let err =
            for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("empty");
        assert!(err.to_string().contains("no *.json"), "{err}");
        assert_eq!(err, load(&specs).expect_err("empty"));
    }

    #[test]
    fn sink_panic_propagates_and_no_worker_hangs() {
        let dir = tempdir();
        forty_files(dir.path());
        let specs = vec![InputSpec::Path(dir.path().to_owned())];
        let (done, finished) = std::sync::mpsc::channel();
        // On a thread of its own, so that a hang fails the test instead of
        // blocking it.
        std::thread::spawn(move || {
            let mut seen = 0;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for_each_decoded(&Files::resolve(&specs), decode_capture, |_| {
                    seen += 1;
                    if seen == 3 {
                        panic!("sink gave up");
                    }
                })
            }));
            let _ = done.send(outcome.map_err(|panic| {
                panic
                    .downcast_ref::<&str>()
                    .map(|text| text.to_string())
                    .unwrap_or_default()
            }));
        });
        let outcome = finished
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("for_each_decoded returned");
        assert_eq!(outcome.map(|_| ()), Err("sink gave up".to_owned()));
    }
}
