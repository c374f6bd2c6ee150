//! Findings raised and resolved: matched by identity, not by every byte.

use std::cmp::Ordering;

use super::FindingChanges;
use crate::{Finding, Severity};

/// What makes two findings the same finding: its code, its instances, and
/// the source and operation its details name. A finding about no instance
/// (a failed query, a record that is not an object) with no source is
/// identified by its whole details.
///
/// Findings are grouped by code and instances first (cheap, borrowed);
/// identical findings in a group are the same finding; only what is left on
/// both sides of a group is told apart by the subject its details name.
fn subject(finding: &Finding) -> String {
    let details = serde_json::to_value(&finding.details).unwrap_or_default();
    let named = |key: &str| {
        details
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| v.to_string())
    };
    match (named("source"), named("operation")) {
        (None, None) if finding.instances.is_empty() => details.to_string(),
        (source, operation) => format!(
            "{}\u{0}{}",
            source.unwrap_or_default(),
            operation.unwrap_or_default()
        ),
    }
}

/// The group a finding belongs to: its code (with its severity, so that
/// groups come in report order) and instances.
fn group(finding: &Finding) -> (Severity, &'static str, &[String]) {
    (finding.severity, finding.code.as_str(), &finding.instances)
}

/// The findings in report order, which sorts them by group too: as given
/// when `in_report_order` (a topology's findings are), else sorted.
fn grouped(findings: &[Finding], in_report_order: bool) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    if !in_report_order {
        sorted.sort_by(|a, b| a.report_order(b));
    }
    debug_assert!(sorted.is_sorted_by(|a, b| a.report_order(b).is_le()));
    sorted
}

/// The findings of `new` that `old` does not have (raised) and the other
/// way round (resolved). Several findings with one identity are matched in
/// pairs, identical ones first: what is left over is raised or resolved.
/// `in_report_order`: both lists are known to be sorted by
/// [`Finding::report_order`] already.
pub(super) fn diff_findings(
    old: &[Finding],
    new: &[Finding],
    in_report_order: bool,
) -> FindingChanges {
    let (old, new) = (grouped(old, in_report_order), grouped(new, in_report_order));
    let mut out = FindingChanges::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => group(a).cmp(&group(b)),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        // The runs of one group on each side (empty on the side that lacks it).
        let run = |list: &[&Finding], start: usize, take: bool| {
            let mut end = start;
            while take && end < list.len() && group(list[end]) == group(list[start]) {
                end += 1;
            }
            end
        };
        let i_end = run(&old, i, order != Ordering::Greater);
        let j_end = run(&new, j, order != Ordering::Less);
        let (resolved, raised) = unmatched(&old[i..i_end], &new[j..j_end]);
        let (resolved, raised) = if resolved.is_empty() || raised.is_empty() {
            (resolved, raised)
        } else {
            by_subject(&resolved, &raised)
        };
        out.resolved.extend(resolved.into_iter().cloned());
        out.raised.extend(raised.into_iter().cloned());
        (i, j) = (i_end, j_end);
    }
    out.raised.sort_by(Finding::report_order);
    out.resolved.sort_by(Finding::report_order);
    out
}

/// Of one group's findings, each list in report order: pairs identical
/// ones; returns what is left of `old` and of `new`.
fn unmatched<'f>(old: &[&'f Finding], new: &[&'f Finding]) -> (Vec<&'f Finding>, Vec<&'f Finding>) {
    if let ([a], [b]) = (old, new)
        && a == b
    {
        return (Vec::new(), Vec::new());
    }
    let (mut old_left, mut new_left) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => Ordering::Equal,
            (Some(a), Some(b)) => a.report_order(b),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                old_left.push(old[i]);
                i += 1;
            }
            Ordering::Greater => {
                new_left.push(new[j]);
                j += 1;
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (old_left, new_left)
}

/// Of one group's findings that differ: those with the same subject are the
/// same finding (paired in order); returns the rest of `old` and of `new`.
fn by_subject<'f>(
    old: &[&'f Finding],
    new: &[&'f Finding],
) -> (Vec<&'f Finding>, Vec<&'f Finding>) {
    let keyed = |list: &[&'f Finding]| {
        let mut keyed: Vec<(String, &'f Finding)> = list.iter().map(|f| (subject(f), *f)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.report_order(b.1)));
        keyed
    };
    let (old, new) = (keyed(old), keyed(new));
    let (mut old_left, mut new_left) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                old_left.push(old[i].1);
                i += 1;
            }
            Ordering::Greater => {
                new_left.push(new[j].1);
                j += 1;
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (old_left, new_left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;
    use serde_json::json;

    /// A finding of `code` whose details are `details` (of the code's
    /// details type).
    fn finding(
        code: Code,
        instances: &[&str],
        message: &str,
        details: serde_json::Value,
    ) -> Finding {
        let typed: Finding = serde_json::from_value(json!({
            "code": code, "severity": code.severity(), "instances": [],
            "message": message, "details": details,
        }))
        .expect("details of the code's shape");
        Finding::new(
            typed.details,
            instances.iter().map(|s| (*s).to_owned()).collect(),
            message.to_owned(),
        )
    }

    /// Details of a `malformed-record` at `index` of `source`.
    fn malformed(source: &str, index: u32) -> serde_json::Value {
        json!({"source": source, "index": index, "field": "record",
               "reason": "is not an object", "instance_id": null})
    }

    #[test]
    fn another_message_for_the_same_finding_is_no_change() {
        let old = [finding(
            Code::QueryFailed,
            &[],
            "HTTP 503",
            json!({"source": "r/p", "message": "HTTP 503"}),
        )];
        let new = [finding(
            Code::QueryFailed,
            &[],
            "timed out",
            json!({"source": "r/p", "message": "timed out"}),
        )];
        let changes = diff_findings(&old, &new, false);
        assert!(
            changes.raised.is_empty() && changes.resolved.is_empty(),
            "{changes:?}"
        );
    }

    #[test]
    fn another_source_or_instance_is_another_finding() {
        let old = [
            finding(
                Code::QueryFailed,
                &[],
                "x",
                json!({"source": "r/p1", "message": "x"}),
            ),
            finding(
                Code::CascadedDr,
                &["a"],
                "m",
                json!({"drs": [], "primaries": []}),
            ),
        ];
        let new = [
            finding(
                Code::QueryFailed,
                &[],
                "x",
                json!({"source": "r/p2", "message": "x"}),
            ),
            finding(
                Code::CascadedDr,
                &["b"],
                "m",
                json!({"drs": [], "primaries": []}),
            ),
        ];
        let changes = diff_findings(&old, &new, false);
        assert_eq!(changes.raised.len(), 2, "{changes:?}");
        assert_eq!(changes.resolved.len(), 2, "{changes:?}");
        assert_eq!(changes.raised[0].details.to_json()["source"], "r/p2");
        assert_eq!(changes.resolved[1].instances, ["a"]);
    }

    #[test]
    fn repeated_identities_are_counted() {
        let record =
            |index: u32| finding(Code::MalformedRecord, &[], "bad", malformed("r/p", index));
        let old = [record(1), record(2)];
        let new = [record(2), record(3), record(4)];
        let changes = diff_findings(&old, &new, false);
        // Three against two: one more, and it is one that OLD did not have.
        assert_eq!(changes.resolved, []);
        assert_eq!(changes.raised.len(), 1);
        assert_ne!(changes.raised[0].details.to_json()["index"], 2);
        let back = diff_findings(&new, &old, false);
        assert_eq!(back.raised, []);
        assert_eq!(back.resolved.len(), 1);
    }

    #[test]
    fn a_finding_about_nothing_is_known_by_its_details() {
        // Details that name no source (every instance-less finding made
        // today names one; the fallback still holds for others).
        let about_nothing = |path: &str| {
            finding(
                Code::Cycle,
                &[],
                "bad",
                json!({"members": [], "path": [path]}),
            )
        };
        let old = [about_nothing("a")];
        let new = [about_nothing("b")];
        let changes = diff_findings(&old, &new, false);
        assert_eq!((changes.raised.len(), changes.resolved.len()), (1, 1));
    }
}
