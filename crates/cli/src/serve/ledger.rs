//! What serve knows of each (target, operation): its last good answer and
//! the state of its last call ([`Ledger`]). A target that fails keeps the
//! answer it gave before, so one bad scan never removes an instance or an
//! edge; the ledger merges every last good answer into the next topology.

use std::collections::BTreeMap;
use std::time::SystemTime;

use rds_dr_api::fleet::FleetReport;
use rds_dr_model::{Capture, InfosCapture, Target};
use rds_dr_topology::{Thresholds, Topology};

/// An API operation that serve calls for every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// ListDrRelations: the relations as each side reports them.
    ListDrRelations,
    /// ListDrInfos: replication health (not called under `--no-health`).
    ListDrInfos,
}

impl Operation {
    /// The `operation` label value: `list_dr_relations`, `list_dr_infos`.
    pub fn label(self) -> &'static str {
        match self {
            Operation::ListDrRelations => "list_dr_relations",
            Operation::ListDrInfos => "list_dr_infos",
        }
    }

    /// The operation of the API crate's name for it (`None`: one that serve
    /// does not call).
    fn of(operation: rds_dr_model::Operation) -> Option<Operation> {
        match operation {
            rds_dr_model::Operation::ListDrRelations => Some(Operation::ListDrRelations),
            rds_dr_model::Operation::ListDrInfos => Some(Operation::ListDrInfos),
            _ => None,
        }
    }
}

/// One (target, operation) as the last scans left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetStatus {
    /// The target.
    pub target: Target,
    /// The operation.
    pub operation: Operation,
    /// Whether the last call succeeded.
    pub up: bool,
    /// When a call last succeeded (`None`: never).
    pub last_success: Option<SystemTime>,
    /// The last call's error, when it failed (never holds a credential).
    pub last_error: Option<String>,
}

impl TargetStatus {
    /// Down, with an older answer still in use.
    pub fn stale(&self) -> bool {
        !self.up && self.last_success.is_some()
    }
}

/// A target that went down or came back between two scans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The target.
    pub target: Target,
    /// The operation.
    pub operation: Operation,
    /// Up now (it was down), or down now (it was up).
    pub up: bool,
    /// The error, when down.
    pub error: Option<String>,
}

/// The last good answer of one (target, operation).
enum Answer {
    /// A ListDrRelations capture.
    Relations(Capture),
    /// A whole ListDrInfos list.
    Infos(InfosCapture),
}

struct Entry {
    status: TargetStatus,
    /// The last good answer.
    answer: Option<Answer>,
    /// Whether any scan has reported on it yet.
    seen: bool,
}

/// The last good answer of every (target, operation): a target that fails
/// keeps the answer it gave before, so one bad scan never removes an
/// instance or an edge.
pub struct Ledger {
    entries: BTreeMap<(Target, Operation), Entry>,
    thresholds: Thresholds,
    /// The answers the last [`Ledger::record`] replaced, until
    /// [`Ledger::retire`] hands them out (or the next `record` drops them).
    replaced: Vec<Answer>,
}

/// Answers a scan replaced, handed out so that they are freed after the
/// scan is published rather than while it is being merged.
pub struct Retired {
    _answers: Vec<Answer>,
}

impl Ledger {
    /// A ledger for these targets and operations, with nothing known yet.
    pub fn new(targets: &[Target], operations: &[Operation]) -> Ledger {
        let mut entries = BTreeMap::new();
        for target in targets {
            for &operation in operations {
                entries.insert(
                    (target.clone(), operation),
                    Entry {
                        status: TargetStatus {
                            target: target.clone(),
                            operation,
                            up: false,
                            last_success: None,
                            last_error: None,
                        },
                        answer: None,
                        seen: false,
                    },
                );
            }
        }
        Ledger {
            entries,
            thresholds: Thresholds::default(),
            replaced: Vec::new(),
        }
    }

    /// Takes in a scan finished at `now` (both operations, or only
    /// ListDrRelations under `--no-health`); returns the (target, operation)
    /// pairs that went down or came back (none on a pair's first scan).
    /// A pair the ledger was not made for is ignored. The answers it
    /// replaces are kept aside until [`Ledger::retire`] (or the next
    /// `record`).
    pub fn record(&mut self, report: FleetReport, now: SystemTime) -> Vec<Transition> {
        self.replaced.clear();
        let mut transitions = Vec::new();
        let answers = (report.captures.into_iter())
            .map(|c| (c.source.clone(), Answer::Relations(c)))
            .chain((report.infos.into_iter()).map(|c| (c.source.clone(), Answer::Infos(c))));
        for (target, answer) in answers {
            let operation = match answer {
                Answer::Relations(_) => Operation::ListDrRelations,
                Answer::Infos(_) => Operation::ListDrInfos,
            };
            let Some(entry) = self.entries.get_mut(&(target, operation)) else {
                continue;
            };
            if entry.seen && !entry.status.up {
                transitions.push(Transition {
                    target: entry.status.target.clone(),
                    operation,
                    up: true,
                    error: None,
                });
            }
            entry.seen = true;
            entry.status.up = true;
            entry.status.last_success = Some(now);
            entry.status.last_error = None;
            if let Some(old) = entry.answer.replace(answer) {
                self.replaced.push(old);
            }
        }
        for failure in report.failures {
            let Some(operation) = Operation::of(failure.operation) else {
                continue;
            };
            let Some(entry) = self.entries.get_mut(&(failure.target, operation)) else {
                continue;
            };
            let error = failure.error.to_string();
            if entry.seen && entry.status.up {
                transitions.push(Transition {
                    target: entry.status.target.clone(),
                    operation,
                    up: false,
                    error: Some(error.clone()),
                });
            }
            entry.seen = true;
            entry.status.up = false;
            entry.status.last_error = Some(error);
        }
        transitions
    }

    /// The answers the last [`Ledger::record`] replaced: freeing the
    /// previous scan's answers (a few small blocks a record) costs about as
    /// much as merging; the scan loop drops them once the new scan is
    /// published.
    pub fn retire(&mut self) -> Retired {
        Retired {
            _answers: std::mem::take(&mut self.replaced),
        }
    }

    /// The thresholds over which an edge is `lagging` (`--max-lag-mb`,
    /// `--max-delay-ms`).
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Ledger {
        self.thresholds = thresholds;
        self
    }

    /// Merges every last good answer of both operations: the relations
    /// make the graph, the ListDrInfos lists put health on its edges. A
    /// (target, operation) that never answered is a `query-failed` finding
    /// (naming the operation for ListDrInfos); one that answered before and
    /// fails now is merged with its last answer (it is stale, which its
    /// status says).
    pub fn merge(&self) -> Topology {
        let mut builder = Topology::builder();
        builder
            .max_lag_mb(self.thresholds.max_lag_mb)
            .max_delay_ms(self.thresholds.max_delay_ms);
        for entry in self.entries.values() {
            match &entry.answer {
                Some(Answer::Relations(capture)) => {
                    builder.capture(capture);
                }
                Some(Answer::Infos(capture)) => {
                    builder.infos_capture(capture);
                }
                None if entry.seen => {
                    let message = entry
                        .status
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "no answer yet".to_owned());
                    let target = entry.status.target.clone();
                    match entry.status.operation {
                        Operation::ListDrRelations => builder.failed_target(target, message),
                        Operation::ListDrInfos => builder.failed_infos_target(target, message),
                    };
                }
                None => {}
            }
        }
        builder.build()
    }

    /// The last good ListDrInfos list of every target that has one (stale
    /// ones included: their status says so), sorted by target: what goes
    /// to the topology with the relations.
    pub fn infos(&self) -> Vec<&InfosCapture> {
        (self.entries.values())
            .filter_map(|e| match &e.answer {
                Some(Answer::Infos(capture)) => Some(capture),
                _ => None,
            })
            .collect()
    }

    /// Every (target, operation), sorted.
    pub fn statuses(&self) -> Vec<TargetStatus> {
        self.entries.values().map(|e| e.status.clone()).collect()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rds_dr_api::ApiError;
    use rds_dr_api::fleet::TargetFailure;
    use rds_dr_model::synth::{FleetSpec, generate};
    use std::time::Duration;

    pub(in crate::serve) fn fleet() -> Vec<Capture> {
        generate(&FleetSpec::new().seed(7).primaries(20)).captures
    }

    pub(in crate::serve) fn report(captures: &[Capture], failing: &[&Target]) -> FleetReport {
        let mut report = FleetReport::default();
        for capture in captures {
            if failing.contains(&&capture.source) {
                report.failures.push(TargetFailure {
                    target: capture.source.clone(),
                    error: ApiError::from_status(503, "unavailable"),
                    operation: rds_dr_model::Operation::ListDrRelations,
                });
            } else {
                report.captures.push(capture.clone());
            }
        }
        report
    }

    #[test]
    fn a_failing_target_keeps_its_last_answer() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(ledger.record(report(&captures, &[]), t0).is_empty());
        let full = ledger.merge();
        assert!(full.edge_count() > 0);

        let down = &targets[0];
        let t1 = t0 + Duration::from_secs(60);
        let transitions = ledger.record(report(&captures, &[down]), t1);
        assert_eq!(transitions.len(), 1);
        assert_eq!(&transitions[0].target, down);
        assert!(!transitions[0].up);
        let stale = ledger.merge();
        assert_eq!(stale.node_count(), full.node_count());
        assert_eq!(stale.edge_count(), full.edge_count());
        assert_eq!(stale.findings(), full.findings());
        let status = ledger
            .statuses()
            .into_iter()
            .find(|s| &s.target == down)
            .unwrap();
        assert!(!status.up && status.stale());
        assert_eq!(status.last_success, Some(t0));
        assert!(
            status
                .last_error
                .as_deref()
                .unwrap()
                .contains("unavailable")
        );

        let back = ledger.record(report(&captures, &[]), t1 + Duration::from_secs(60));
        assert_eq!(back.len(), 1);
        assert!(back[0].up);
    }

    #[test]
    fn a_failing_infos_call_keeps_the_last_infos_answer_stale() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let operations = [Operation::ListDrRelations, Operation::ListDrInfos];
        let mut ledger = Ledger::new(&targets, &operations);
        let infos = |total_count| {
            let mut report = report(&captures, &[]);
            for target in &targets {
                let response = rds_dr_model::ListDrInfosResponse {
                    total_count: Some(total_count),
                    ..Default::default()
                };
                report
                    .infos
                    .push(InfosCapture::new(target.clone(), response));
            }
            report
        };
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(ledger.record(infos(1), t0).is_empty());
        assert_eq!(ledger.infos().len(), targets.len());
        let full = ledger.merge();

        // The second scan: relations answer everywhere, one ListDrInfos fails.
        let down = &targets[2];
        let mut second = infos(2);
        second.infos.retain(|c| &c.source != down);
        second.failures.push(TargetFailure {
            target: down.clone(),
            error: ApiError::from_status(503, "infos unavailable"),
            operation: rds_dr_model::Operation::ListDrInfos,
        });
        let t1 = t0 + Duration::from_secs(60);
        let transitions = ledger.record(second, t1);
        assert_eq!(transitions.len(), 1);
        assert_eq!(
            (
                &transitions[0].target,
                transitions[0].operation,
                transitions[0].up
            ),
            (down, Operation::ListDrInfos, false)
        );
        let kept = ledger.infos();
        assert_eq!(kept.len(), targets.len(), "the failed list stays");
        for capture in kept {
            let expected = if &capture.source == down { 1 } else { 2 };
            let expected = Some(expected);
            assert_eq!(capture.response.total_count, expected, "{}", capture.source);
        }
        let statuses = ledger.statuses();
        let status = |operation| {
            statuses
                .iter()
                .find(|s| &s.target == down && s.operation == operation)
                .unwrap()
        };
        let infos_status = status(Operation::ListDrInfos);
        assert!(infos_status.stale() && infos_status.last_success == Some(t0));
        let relations = status(Operation::ListDrRelations);
        assert!(relations.up && relations.last_success == Some(t1));
        // A ListDrInfos failure is no missing target.
        let merged = ledger.merge();
        assert_eq!(merged.findings(), full.findings());
        assert_eq!(merged.edge_count(), full.edge_count());
    }

    #[test]
    fn replaced_answers_are_retired_once_and_never_pile_up() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let now = SystemTime::UNIX_EPOCH;
        ledger.record(report(&captures, &[]), now);
        assert_eq!(ledger.retire()._answers.len(), 0, "nothing replaced yet");
        // One target fails: its answer stays, the others are replaced.
        ledger.record(report(&captures, &[&targets[0]]), now);
        assert_eq!(ledger.retire()._answers.len(), targets.len() - 1);
        assert_eq!(ledger.retire()._answers.len(), 0, "handed out once");
        // Not retired: the next record drops them instead of keeping both.
        ledger.record(report(&captures, &[]), now);
        ledger.record(report(&captures, &[]), now);
        assert_eq!(ledger.retire()._answers.len(), targets.len());
        assert_eq!(ledger.merge().edge_count(), {
            let mut builder = Topology::builder();
            for capture in &captures {
                builder.capture(capture);
            }
            builder.build().edge_count()
        });
    }

    #[test]
    fn a_target_that_never_answered_is_query_failed() {
        let captures = fleet();
        let targets: Vec<Target> = captures.iter().map(|c| c.source.clone()).collect();
        let mut ledger = Ledger::new(&targets, &[Operation::ListDrRelations]);
        let transitions = ledger.record(report(&captures, &[&targets[1]]), SystemTime::now());
        assert!(transitions.is_empty(), "no transition on the first scan");
        let topology = ledger.merge();
        let failed: Vec<_> = topology
            .findings()
            .iter()
            .filter(|f| f.code == rds_dr_topology::Code::QueryFailed)
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].message.contains(&targets[1].to_string()));
    }
}
