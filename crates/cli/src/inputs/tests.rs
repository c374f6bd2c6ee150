//! Tests of reading inputs, and the in-order reference readers they compare
//! the parallel reader with (test code only: production reads through
//! [`for_each_decoded`]).

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
        let err = for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("7th");
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
    let err = for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("line 2");
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
    let err = for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("missing");
    assert_eq!(err.path(), missing);
    assert!(err.to_string().contains("cannot read"), "{err}");
    assert_eq!(err, load(&specs).expect_err("missing"));

    let specs = [
        InputSpec::Path(empty.path().to_owned()),
        InputSpec::Path(missing),
    ];
    let err = for_each_decoded(&Files::resolve(&specs), decode_capture, drop).expect_err("empty");
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

/// Reads every input, in order; a directory's files in name order.
fn load(specs: &[InputSpec]) -> Result<Vec<Capture>, InputError> {
    let mut captures = Vec::new();
    for_each(specs, |item| {
        captures.push(decode_capture(item)?);
        Ok(())
    })?;
    Ok(captures)
}

/// Whether an envelope is a ListDrInfos one, by its `operation` as the
/// model reads it (the reference for the topology's own reading). An
/// `operation` the model does not know is no envelope of either kind:
/// `false` here, and [`relations_envelope`] refuses it.
fn is_infos(bytes: &[u8]) -> bool {
    serde_json::from_slice::<rds_dr_model::EnvelopeOperation>(bytes)
        .is_ok_and(|e| e.operation() == rds_dr_model::Operation::ListDrInfos)
}

/// A relations envelope as the model reads it: its `operation` (absent,
/// `null` or `"ListDrRelations"`) read first, then the capture.
fn relations_envelope(bytes: &[u8]) -> Result<Capture, serde_json::Error> {
    serde_json::from_slice::<rds_dr_model::EnvelopeOperation>(bytes)?;
    let capture: Capture = serde_json::from_slice(bytes)?;
    capture
        .source
        .validate()
        .map_err(<serde_json::Error as serde::de::Error>::custom)?;
    Ok(capture)
}

/// An item decoded the way [`load`] decodes it: the reference that the
/// production decoders (the topology's, [`decode_infos`]) are compared with.
fn decode_capture(item: Item<'_>) -> Result<Capture, serde_json::Error> {
    Ok(match item {
        Item::Envelope(bytes) if is_infos(bytes) => {
            // Not a relations capture: an empty one stands in for it in
            // the multisets the tests compare (its source kept).
            let infos = decode_infos(bytes)?;
            Capture {
                source: infos.source,
                fetched_at: infos.fetched_at,
                response: Default::default(),
            }
        }
        Item::Envelope(bytes) => relations_envelope(bytes)?,
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
fn for_each(
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

fn infos_envelope(region: &str, project: &str, id: &str) -> String {
    format!(
        r#"{{"response": {{"total_count": 1, "instance_dr_infos": [{{"id": "{id}", "status": "normal"}}]}},
            "operation": "ListDrInfos", "source": {{"region": "{region}", "project_id": "{project}"}}}}"#
    )
}

/// Reads the inputs through the production reader, sorting what it got
/// into relations sources and infos record ids.
fn read_both(specs: &[InputSpec]) -> Result<(Vec<String>, Vec<String>), InputError> {
    let files = Files::resolve(specs);
    let mut relations = Vec::new();
    let mut infos = Vec::new();
    for_each_decoded(
        &files,
        |item| match item {
            Item::Envelope(bytes) if is_infos(bytes) => {
                decode_infos(bytes).map(|c| Err(c.response))
            }
            other => decode_capture(other).map(|c| Ok(c.source.to_string())),
        },
        |decoded| match decoded {
            Ok(source) => relations.push(source),
            Err(response) => infos.extend(
                response
                    .instance_dr_infos
                    .iter()
                    .filter_map(|r| r.valid().and_then(|r| r.id.clone())),
            ),
        },
    )?;
    relations.sort();
    infos.sort();
    Ok((relations, infos))
}

#[test]
fn both_kinds_in_any_mix_are_told_apart_by_operation_not_by_name() {
    let dir = tempdir();
    // An infos envelope under a plain name, a relations one under an
    // infos-looking name, and a relations envelope that says so.
    write(
        dir.path(),
        "a.json",
        &infos_envelope("cn-north-4", P1, "r-a"),
    );
    write(
        dir.path(),
        "b.infos.json",
        &envelope("cn-north-4", P1, "i1"),
    );
    let explicit =
        envelope("cn-north-4", P2, "i2").replacen('{', r#"{"operation": "ListDrRelations", "#, 1);
    write(dir.path(), "c.json", &explicit);
    let lines = format!(
        "{}\n{}\n",
        infos_envelope("ap-southeast-1", P2, "r-l").replace('\n', " "),
        envelope("ap-southeast-1", P2, "i3").replace('\n', " ")
    );
    let jsonl = write(dir.path(), "d.jsonl", &lines);
    let single = write(
        dir.path(),
        "e.json",
        &infos_envelope("cn-east-3", P1, "r-e"),
    );
    let (relations, infos) = read_both(&[InputSpec::Path(dir.path().to_owned())]).unwrap();
    assert_eq!(
        relations,
        [
            format!("ap-southeast-1/{P2}"),
            format!("cn-north-4/{P1}"),
            format!("cn-north-4/{P2}")
        ]
    );
    assert_eq!(infos, ["r-a", "r-e", "r-l"]);
    let (relations, infos) = read_both(&[InputSpec::Path(jsonl), InputSpec::Path(single)]).unwrap();
    assert_eq!(relations, [format!("ap-southeast-1/{P2}")]);
    assert_eq!(infos, ["r-e", "r-l"]);
}

#[test]
fn an_unknown_operation_or_a_bad_infos_envelope_names_the_file() {
    let dir = tempdir();
    let unknown = write(
        dir.path(),
        "x.json",
        &envelope("cn-north-4", P1, "i1").replacen('{', r#"{"operation": "ListDrThings", "#, 1),
    );
    let err = read_both(&[InputSpec::Path(unknown.clone())]).unwrap_err();
    assert_eq!(err.path(), unknown);
    assert!(err.to_string().contains("`operation` must be"), "{err}");
    let bad = write(
        dir.path(),
        "y.json",
        &infos_envelope("cn-north-4", "nothex", "r"),
    );
    let err = read_both(&[InputSpec::Path(bad)]).unwrap_err();
    assert!(
        err.to_string().contains("ListDrInfos capture envelope"),
        "{err}"
    );
}

#[test]
fn a_raw_body_of_either_kind_is_read_as_its_kind() {
    let dir = tempdir();
    let infos = write(
        dir.path(),
        "infos-body.json",
        r#"{"total_count": 1, "instance_dr_infos": [{"id": "raw-1", "extra": true}]}"#,
    );
    let relations = write(
        dir.path(),
        "relations-body.json",
        r#"{"instance_dr_relations": [{"instance_id": "x"}]}"#,
    );
    let source = Source::new("cn-north-4", P1);
    let (got_relations, got_infos) = read_both(&[
        InputSpec::Raw {
            source: source.clone(),
            path: infos.clone(),
        },
        InputSpec::Raw {
            source: source.clone(),
            path: relations,
        },
    ])
    .unwrap();
    assert_eq!(got_relations, [format!("cn-north-4/{P1}")]);
    assert_eq!(got_infos, ["raw-1"]);
    // A broken infos body is an error naming the file.
    let bad = write(
        dir.path(),
        "bad-infos.json",
        r#"{"instance_dr_infos": [], "total_count": "many"}"#,
    );
    let err = read_both(&[InputSpec::Raw {
        source,
        path: bad.clone(),
    }])
    .unwrap_err();
    assert_eq!(err.path(), bad);
    assert!(err.to_string().contains("ListDrInfos body"), "{err}");
}
