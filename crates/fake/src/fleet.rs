//! The served fleet: capture envelopes from files or values, merged per
//! project id into ready-to-send bodies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rds_dr_model::{Capture, EnvelopeOperation, InfosCapture, Operation, Source};
use serde_json::Value;

use crate::FakeError;

/// One capture as the fake keeps it: where it came from, its source, and its
/// response body exactly as recorded (unknown fields and malformed records
/// included).
#[derive(Debug)]
pub(crate) struct Entry {
    origin: String,
    source: Source,
    operation: Operation,
    response: Value,
}

impl Entry {
    /// An entry from a typed capture; the body is the capture's response as
    /// the model serializes it.
    pub(crate) fn from_capture(origin: String, capture: &Capture) -> Result<Entry, FakeError> {
        let response =
            serde_json::to_value(&capture.response).map_err(|e| FakeError::InvalidSource {
                origin: origin.clone(),
                reason: format!("the response cannot be encoded as JSON: {e}"),
            })?;
        Ok(Entry {
            origin,
            source: capture.source.clone(),
            operation: Operation::ListDrRelations,
            response,
        })
    }

    /// An entry from a typed ListDrInfos capture.
    pub(crate) fn from_infos(origin: String, capture: &InfosCapture) -> Result<Entry, FakeError> {
        let response =
            serde_json::to_value(&capture.response).map_err(|e| FakeError::InvalidSource {
                origin: origin.clone(),
                reason: format!("the response cannot be encoded as JSON: {e}"),
            })?;
        Ok(Entry {
            origin,
            source: capture.source.clone(),
            operation: Operation::ListDrInfos,
            response,
        })
    }
}

/// One served project.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) region: String,
    pub(crate) body: Bytes,
}

/// Every served project, by project id.
#[derive(Debug, Default)]
pub(crate) struct Fleet {
    /// ListDrRelations bodies.
    pub(crate) projects: BTreeMap<String, Project>,
    /// ListDrInfos records, as recorded, of the projects with infos
    /// envelopes (the records of several envelopes concatenated in order).
    pub(crate) infos: BTreeMap<String, Vec<crate::health::Record>>,
}

impl Fleet {
    /// Validates the sources and merges the entries of each project id: the
    /// first entry's body with `instance_dr_relations` replaced by the
    /// concatenation of every entry's records, in order. A project served by
    /// one entry is served exactly as recorded. ListDrInfos entries (told
    /// apart by their `operation`) give the project's infos records; a
    /// project id has one region whichever kind names it.
    pub(crate) fn build(entries: Vec<Entry>) -> Result<Fleet, FakeError> {
        let mut grouped: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for entry in entries {
            entry
                .source
                .validate()
                .map_err(|e| FakeError::InvalidSource {
                    origin: entry.origin.clone(),
                    reason: e.reason().to_owned(),
                })?;
            let group = grouped.entry(entry.source.project_id.clone()).or_default();
            if let Some(first) = group.first()
                && first.source.region != entry.source.region
            {
                return Err(FakeError::RegionConflict {
                    project_id: entry.source.project_id.clone(),
                    first_region: first.source.region.clone(),
                    first_origin: first.origin.clone(),
                    second_region: entry.source.region.clone(),
                    second_origin: entry.origin.clone(),
                });
            }
            group.push(entry);
        }
        let mut projects = BTreeMap::new();
        let mut infos = BTreeMap::new();
        for (project_id, group) in grouped {
            let (infos_group, group): (Vec<Entry>, Vec<Entry>) = group
                .into_iter()
                .partition(|e| e.operation == Operation::ListDrInfos);
            if !infos_group.is_empty() {
                let responses: Vec<&Value> = infos_group.iter().map(|e| &e.response).collect();
                infos.insert(project_id.clone(), crate::health::records_of(&responses));
            }
            let Some(region) = group.first().map(|e| e.source.region.clone()) else {
                continue;
            };
            let body = merge(group);
            let bytes = serde_json::to_vec(&body).map_err(|e| FakeError::InvalidSource {
                origin: format!("project {project_id}"),
                reason: format!("the merged response cannot be encoded: {e}"),
            })?;
            projects.insert(
                project_id,
                Project {
                    region,
                    body: Bytes::from(bytes),
                },
            );
        }
        Ok(Fleet { projects, infos })
    }
}

fn merge(mut group: Vec<Entry>) -> Value {
    if group.len() == 1 {
        return group.pop().map(|e| e.response).unwrap_or_default();
    }
    let mut records = Vec::new();
    for entry in &group {
        if let Some(Value::Array(items)) = entry.response.get("instance_dr_relations") {
            records.extend(items.iter().cloned());
        }
    }
    let mut base = match group.swap_remove(0).response {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    base.insert("instance_dr_relations".to_owned(), Value::Array(records));
    Value::Object(base)
}

/// Loads a fleet path: a directory (every `*.json` envelope file and every
/// line of every `*.jsonl` file in it, not recursive, in file-name order) or
/// one such file.
pub(crate) fn load_path(path: &Path) -> Result<Vec<Entry>, FakeError> {
    let meta = std::fs::metadata(path).map_err(|source| FakeError::FleetDir {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_file() {
        return load_file(path);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|source| FakeError::FleetDir {
            path: path.to_owned(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| is_capture_file(p) && p.is_file())
        .collect();
    if files.is_empty() {
        return Err(FakeError::EmptyFleetDir {
            path: path.to_owned(),
        });
    }
    files.sort();
    let mut entries = Vec::new();
    for file in files {
        entries.extend(load_file(&file)?);
    }
    Ok(entries)
}

fn is_capture_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "jsonl")
    )
}

fn load_file(path: &Path) -> Result<Vec<Entry>, FakeError> {
    let bytes = std::fs::read(path).map_err(|e| FakeError::FleetFile {
        path: path.to_owned(),
        line: None,
        problem: format!("cannot read: {e}"),
    })?;
    if path.extension().and_then(|e| e.to_str()) == Some("jsonl") {
        let mut entries = Vec::new();
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            entries.push(parse_envelope(path, Some(index + 1), line)?);
        }
        if entries.is_empty() {
            return Err(FakeError::FleetFile {
                path: path.to_owned(),
                line: None,
                problem: "no capture envelope in this .jsonl file".into(),
            });
        }
        Ok(entries)
    } else {
        Ok(vec![parse_envelope(path, None, &bytes)?])
    }
}

fn parse_envelope(path: &Path, line: Option<usize>, bytes: &[u8]) -> Result<Entry, FakeError> {
    let problem = |problem: String| FakeError::FleetFile {
        path: path.to_owned(),
        line,
        problem,
    };
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|e| problem(format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(problem(
            "not a capture envelope: expected a JSON object".into(),
        ));
    }
    let operation = serde_json::from_value::<EnvelopeOperation>(value.clone())
        .map_err(|e| problem(format!("not a capture envelope: {e}")))?
        .operation();
    let source = if operation == Operation::ListDrInfos {
        serde_json::from_value::<InfosCapture>(value.clone())
            .map_err(|e| {
                problem(format!(
                    "not a ListDrInfos capture envelope ({{\"source\", \"operation\", \"response\"}}): {e}"
                ))
            })?
            .source
    } else {
        serde_json::from_value::<Capture>(value.clone())
            .map_err(|e| {
                problem(format!(
                    "not a capture envelope ({{\"source\", \"response\"}}): {e}"
                ))
            })?
            .source
    };
    let response = value
        .as_object_mut()
        .and_then(|map| map.remove("response"))
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    let origin = match line {
        Some(line) => format!("{} line {line}", path.display()),
        None => path.display().to_string(),
    };
    Ok(Entry {
        origin,
        source,
        operation,
        response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P1: &str = "0483b6b16e954cb88930a360d2c4e663";

    fn entry(origin: &str, region: &str, response: Value) -> Entry {
        Entry {
            origin: origin.into(),
            source: Source::new(region, P1),
            operation: Operation::ListDrRelations,
            response,
        }
    }

    #[test]
    fn merges_records_of_one_project_in_order() {
        let a = json!({"instance_dr_relations": [{"instance_id": "a"}], "extra": 1});
        let b = json!({"instance_dr_relations": [{"instance_id": "b"}, 42]});
        let fleet = Fleet::build(vec![
            entry("a", "cn-north-4", a),
            entry("b", "cn-north-4", b),
        ])
        .unwrap();
        let body: Value = serde_json::from_slice(&fleet.projects[P1].body).unwrap();
        assert_eq!(
            body,
            json!({"instance_dr_relations": [{"instance_id": "a"}, {"instance_id": "b"}, 42], "extra": 1})
        );
    }

    #[test]
    fn a_project_in_two_regions_is_an_error_naming_both_origins() {
        let err = Fleet::build(vec![
            entry("one.json", "cn-north-4", json!({})),
            entry("two.json", "cn-east-3", json!({})),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("one.json") && text.contains("two.json") && text.contains(P1),
            "{text}"
        );
    }

    #[test]
    fn an_invalid_source_is_an_error() {
        let bad = Entry {
            origin: "x.json".into(),
            source: Source::new("cn-north-4", "nothex"),
            operation: Operation::ListDrRelations,
            response: json!({}),
        };
        let err = Fleet::build(vec![bad]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.json: invalid capture source"),
            "{err}"
        );
    }

    #[test]
    fn infos_envelopes_are_told_apart_by_operation_and_merged_per_project() {
        let infos = |origin: &str, region: &str, ids: &[&str]| Entry {
            origin: origin.into(),
            source: Source::new(region, P1),
            operation: Operation::ListDrInfos,
            response: json!({"total_count": ids.len(),
                "instance_dr_infos": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()}),
        };
        let fleet = Fleet::build(vec![
            infos("i1", "cn-north-4", &["r1", "r2"]),
            entry("rel", "cn-north-4", json!({"instance_dr_relations": []})),
            infos("i2", "cn-north-4", &["r3"]),
        ])
        .unwrap();
        let page = crate::health::page(&fleet.infos[P1], &Default::default()).unwrap();
        let page: Value = serde_json::from_slice(&page).unwrap();
        assert_eq!(
            page,
            json!({"total_count": 3, "instance_dr_infos": [{"id": "r1"}, {"id": "r2"}, {"id": "r3"}]})
        );
        let body: Value = serde_json::from_slice(&fleet.projects[P1].body).unwrap();
        assert_eq!(body, json!({"instance_dr_relations": []}));
        // One region per project id, whichever kind names it.
        let err = Fleet::build(vec![
            entry("rel", "cn-north-4", json!({})),
            infos("inf", "cn-east-3", &[]),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("inf"), "{err}");
    }

    #[test]
    fn envelope_files_of_both_kinds_parse_by_operation() {
        let path = Path::new("fleet/x.json");
        let relations = br#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
            "response": {"instance_dr_relations": [{"instance_id": "a"}]}}"#;
        let entry = parse_envelope(path, None, relations).unwrap();
        assert_eq!(entry.operation, Operation::ListDrRelations);
        let infos = br#"{"operation": "ListDrInfos", "source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
            "response": {"instance_dr_infos": [{"id": "r", "new": 1}]}}"#;
        let entry = parse_envelope(path, Some(3), infos).unwrap();
        assert_eq!(entry.operation, Operation::ListDrInfos);
        assert_eq!(entry.response["instance_dr_infos"][0]["new"], 1);
        let unknown = br#"{"operation": "Nope", "source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}}"#;
        let err = parse_envelope(path, Some(4), unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("Nope"), "{err}");
    }
}
