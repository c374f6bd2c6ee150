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
        let capture = match item {
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
        };
        captures.push(capture);
        Ok(())
    })?;
    Ok(captures)
}

/// Reads every input, in order (a directory's files in name order), and
/// hands each capture's bytes to `sink` (which decodes them, e.g. with
/// `TopologyBuilder::capture_json`), one file in memory at a time. When
/// `sink` cannot decode an item, the item is decoded again here to say
/// what is wrong, naming the file (and line). Returns how many items there
/// were.
pub fn for_each(
    specs: &[InputSpec],
    mut sink: impl FnMut(Item<'_>) -> Result<(), serde_json::Error>,
) -> Result<usize, InputError> {
    let mut count = 0;
    let mut counted = |item: Item<'_>| {
        count += 1;
        sink(item)
    };
    for spec in specs {
        match spec {
            InputSpec::Raw { source, path } => load_raw(source, path, &mut counted)?,
            InputSpec::Path(path) => load_path(path, &mut counted)?,
        }
    }
    Ok(count)
}

/// [`for_each`] on a second thread: the files are read and each item is
/// decoded by `decode` there, while `sink` takes the items decoded so far,
/// in order, on the calling thread. At most a few decoded items wait at a
/// time. The errors are [`for_each`]'s: when `decode` fails, the items
/// before the bad one have been given to `sink`, and no item after it.
pub fn for_each_decoded<T: Send>(
    specs: &[InputSpec],
    decode: impl Fn(Item<'_>) -> Result<T, serde_json::Error> + Send,
    mut sink: impl FnMut(T),
) -> Result<usize, InputError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<T>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            for_each(specs, |item| {
                let decoded = decode(item)?;
                // The receiver is only gone when `sink` panicked: stop.
                tx.send(decoded).map_err(|_| {
                    <serde_json::Error as serde::de::Error>::custom("the merge stopped")
                })
            })
        });
        for decoded in rx {
            sink(decoded);
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

type Sink<'s> = dyn FnMut(Item<'_>) -> Result<(), serde_json::Error> + 's;

fn load_path(path: &Path, out: &mut Sink<'_>) -> Result<(), InputError> {
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
    if metadata.is_dir() {
        let files = envelope_files(path)?;
        if files.is_empty() {
            return Err(InputError::new(
                path,
                None,
                "the directory has no *.json or *.jsonl capture files",
            ));
        }
        for file in files {
            load_file(&file, out)?;
        }
        Ok(())
    } else {
        load_file(path, out)
    }
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
}
