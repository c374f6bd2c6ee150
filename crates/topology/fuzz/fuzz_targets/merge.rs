//! Decode + merge + validate on arbitrary bytes.
//!
//! The input is split at `\n~\n` into capture documents. Each is decoded
//! twice: with the fast path (`capture_json`) and with the model
//! (`serde_json` into `Capture`, then `capture`; or, for an envelope whose
//! `operation` is `ListDrInfos`, into `InfosCapture`, then
//! `infos_capture`). Both must accept or reject it alike and build the
//! same topology, claim for claim, with the same health; nothing may
//! panic; every report, view and impact must be computable and
//! serialisable.
//!
//! `cargo +nightly fuzz run merge seeds -- -dict=merge.dict -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use rds_dr_model::{Capture, EnvelopeOperation, InfosCapture, Operation};
use rds_dr_topology::Topology;

fuzz_target!(|data: &[u8]| {
    let mut fast = Topology::builder();
    let mut slow = Topology::builder();
    for doc in data.split_inner(b"\n~\n").take(16) {
        let fast_ok = fast.capture_json(doc).is_ok();
        // A capture read from bytes must name a valid source, as the fast
        // path demands (`Source::validate`).
        // The operation is read only from an envelope that names it.
        let named = doc.windows(11).any(|w| w == b"\"operation\"");
        let operation = if named {
            serde_json::from_slice::<EnvelopeOperation>(doc).map(EnvelopeOperation::operation)
        } else {
            Ok(Operation::ListDrRelations)
        };
        let slow_ok = match operation {
            Ok(Operation::ListDrInfos) => match serde_json::from_slice::<InfosCapture>(doc) {
                Ok(capture) if capture.source.validate().is_ok() => {
                    slow.infos_capture(capture);
                    true
                }
                _ => false,
            },
            Ok(_) => match serde_json::from_slice::<Capture>(doc) {
                Ok(capture) if capture.source.validate().is_ok() => {
                    slow.capture(capture);
                    true
                }
                _ => false,
            },
            Err(_) => false,
        };
        assert_eq!(
            fast_ok, slow_ok,
            "the fast path and the model disagree on accepting a document"
        );
    }
    if let Some(target) = data
        .first()
        .map(|b| format!("xx-region-{}/{:032x}", b % 4, b))
    {
        if let Ok(target) = target.parse::<rds_dr_model::Source>() {
            // To both: a failed target changes other findings too (an
            // edge towards it is unverified because it could not be
            // fetched), when a document names its project.
            fast.failed_target(target.clone(), "fuzzed failure");
            slow.failed_target(target, "fuzzed failure");
        }
    }
    let fast = fast.build();
    let slow = slow.build();
    let report = fast.report();
    assert_eq!(report.findings.len(), fast.findings().len());
    let view = fast.view();
    assert_eq!(view.nodes.len(), fast.node_count());
    assert_eq!(view.edges.len(), fast.edge_count());
    assert_eq!(slow.view(), view);
    // Every claim, not only what the claims make.
    assert!(fast.edges().eq(slow.edges()));
    for node in &view.nodes {
        assert_eq!(fast.location_claims(node.id), slow.location_claims(node.id));
    }
    assert_eq!(report.findings, slow.report().findings);
    let _ = serde_json::to_string(&report).expect("report serialises");
    let regions: Vec<&str> = view.nodes.iter().filter_map(|n| n.region).take(2).collect();
    let impact = fast.impact(&regions);
    let _ = serde_json::to_string(&impact).expect("impact serialises");
    let _ = impact.to_string();
    for group in fast.groups() {
        assert!(!group.members.is_empty());
    }
    for node in view.nodes.iter().take(8) {
        let _ = fast.location_claims(node.id);
    }
});

trait SplitInner {
    fn split_inner<'a>(&'a self, sep: &'a [u8]) -> Box<dyn Iterator<Item = &'a [u8]> + 'a>;
}

impl SplitInner for [u8] {
    fn split_inner<'a>(&'a self, sep: &'a [u8]) -> Box<dyn Iterator<Item = &'a [u8]> + 'a> {
        let mut rest = self;
        let mut done = false;
        Box::new(std::iter::from_fn(move || {
            if done {
                return None;
            }
            match rest.windows(sep.len()).position(|w| w == sep) {
                Some(at) => {
                    let (head, tail) = rest.split_at(at);
                    rest = &tail[sep.len()..];
                    Some(head)
                }
                None => {
                    done = true;
                    Some(rest)
                }
            }
        }))
    }
}
