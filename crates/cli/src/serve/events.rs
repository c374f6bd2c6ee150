//! `--events FILE|-`: one JSON line per change between two scans, with the
//! change vocabulary of `rds-dr diff` (`rds_dr_topology::diff`, the same
//! pure comparison): `{"time", "kind", ...}` where `kind` is `node-added`,
//! `node-removed`, `node-changed`, `edge-added`, `edge-removed`,
//! `edge-changed`, `finding-raised`, `finding-resolved` (the fields of
//! `diff`'s event), or `target-down` / `target-up` (`target`, `region`,
//! `project_id`, `operation`, and `error` when down).
//!
//! The first scan has nothing to compare with and writes nothing. Each
//! scan's lines are written and flushed together, so a reader never sees
//! half a line and a stop loses nothing already scanned.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use rds_dr_topology::diff::Diff;
use serde_json::json;

use super::ledger::Transition;
use crate::error::CliError;

/// Where the events go.
pub struct Events {
    out: Box<dyn Write + Send>,
    name: String,
    failed: bool,
}

impl Events {
    /// `-` is stdout; anything else a file, appended to (created if missing).
    pub fn open(path: &Path) -> Result<Events, CliError> {
        if path == Path::new("-") {
            return Ok(Events {
                out: Box::new(std::io::stdout()),
                name: "stdout".to_owned(),
                failed: false,
            });
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| CliError::io(path, "open the events file", e))?;
        Ok(Events {
            out: Box::new(file),
            name: path.display().to_string(),
            failed: false,
        })
    }

    /// Writes one scan's lines and flushes. A failure is logged (once until
    /// writing works again), never fatal: the metrics go on.
    pub fn write(&mut self, lines: &str) {
        if lines.is_empty() {
            return;
        }
        match self
            .out
            .write_all(lines.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => self.failed = false,
            Err(error) if !self.failed => {
                self.failed = true;
                tracing::error!(events = %self.name, %error, "cannot write events");
            }
            Err(_) => {}
        }
    }
}

/// The lines for one scan finished at `time`: targets that went down or
/// came back, then the topology's changes.
pub fn lines(time: SystemTime, transitions: &[Transition], diff: Option<&Diff>) -> String {
    let time = crate::time::rfc3339(time);
    // Every event is an object: `time` goes first, then its own fields.
    let prefix = format!("{{\"time\":{},", json!(time));
    let mut out = String::new();
    let mut push = |object: &str| {
        if let Some(fields) = object.strip_prefix('{') {
            out.push_str(&prefix);
            out.push_str(fields);
            out.push('\n');
        }
    };
    for t in transitions {
        let mut event = json!({
            "kind": if t.up { "target-up" } else { "target-down" },
            "target": t.target.to_string(),
            "region": t.target.region,
            "project_id": t.target.project_id,
            "operation": t.operation.label(),
        });
        if let Some(error) = &t.error {
            event["error"] = json!(error);
        }
        push(&event.to_string());
    }
    for event in diff.into_iter().flat_map(Diff::events) {
        match serde_json::to_string(&event) {
            Ok(text) => push(&text),
            Err(error) => tracing::error!(%error, kind = event.kind(), "cannot encode an event"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::ledger::Operation;
    use rds_dr_model::{Capture, Target};
    use rds_dr_topology::Topology;
    use std::time::Duration;

    fn capture(drs: &[&str]) -> Capture {
        let peers: Vec<String> = drs
            .iter()
            .map(|id| {
                format!(
                    r#"{{"instance_id": "{id}", "region": "cn-east-3", "project_id": "054b61972980d4552f0bc00ac8d3f5cd"}}"#
                )
            })
            .collect();
        serde_json::from_str(&format!(
            r#"{{"source": {{"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"}},
                "response": {{"instance_dr_relations": [{{"instance_id": "p1", "slave_instances": [{}]}}]}}}}"#,
            peers.join(",")
        ))
        .unwrap()
    }

    #[test]
    fn lines_carry_time_and_kind_for_targets_and_changes() {
        let old = Topology::builder().capture(capture(&["d1"])).build();
        let new = Topology::builder().capture(capture(&["d1", "d2"])).build();
        let diff = rds_dr_topology::diff::diff(&old, &new);
        let target = Target::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663");
        let transitions = [Transition {
            target: target.clone(),
            operation: Operation::ListDrRelations,
            up: false,
            error: Some("HTTP 503".to_owned()),
        }];
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_860_000);
        let text = lines(at, &transitions, Some(&diff));
        let events: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
            .collect();
        assert!(
            text.lines()
                .all(|l| l.starts_with("{\"time\":\"2026-11-28T10:00:00Z\","))
        );
        let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            ["target-down", "node-added", "edge-added", "finding-raised"]
        );
        assert_eq!(events[0]["target"], target.to_string());
        assert_eq!(events[0]["operation"], "list_dr_relations");
        assert_eq!(events[0]["error"], "HTTP 503");
        assert_eq!(events[2]["source"], "p1");
        assert_eq!(events[2]["target"], "d2");
        assert_eq!(events[3]["code"], "unverified-edge");
        assert_eq!(
            lines(at, &[], Some(&rds_dr_topology::diff::diff(&new, &new))),
            ""
        );
    }

    #[test]
    fn a_file_is_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "{\"old\":1}\n").unwrap();
        let mut events = Events::open(&path).unwrap();
        events.write("{\"a\":1}\n");
        events.write("");
        drop(events);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"old\":1}\n{\"a\":1}\n"
        );
        let err = match Events::open(&dir.path().join("missing/events.jsonl")) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("opened a file in a missing directory"),
        };
        assert!(err.contains("events.jsonl"), "{err}");
    }
}
