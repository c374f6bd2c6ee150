//! What the builder keeps of ListDrInfos captures: every usable record,
//! compact ([`InfoClaim`]: its strings interned, its record id a span of
//! one buffer, its instance ids packed), the records that could not be
//! used, and where ListDrInfos was captured or failed.
//!
//! A record's instance ids are looked up when the merge starts, among the
//! ids the relations made nodes ([`InfoClaims::find_ends`]): a ListDrInfos
//! record never adds an instance.

use rds_dr_model::{Lags, Source};

use super::Thresholds;
use super::records::InfoRecords;
use crate::ids::{IdInterner, NOT_FOUND, PreId};
use crate::strings::{Interner, Strings, Sym};

/// One usable ListDrInfos record as the builder keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InfoClaim {
    /// The (region, project) of the capture that holds it.
    pub(crate) source: (Sym, Sym),
    /// The record's `id`: a span of [`InfoClaims::text`].
    pub(crate) id: (u32, u32),
    /// Trimmed and not blank.
    pub(crate) master_region: Option<Sym>,
    /// Trimmed and not blank.
    pub(crate) slave_region: Option<Sym>,
    /// As received.
    pub(crate) status: Option<Sym>,
    /// Trimmed and not blank.
    pub(crate) failed_message: Option<Sym>,
    /// Trimmed and not blank.
    pub(crate) replica_state: Option<Sym>,
    pub(crate) lags: Lags,
    pub(crate) time: Option<i64>,
}

/// A ListDrInfos record that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BadInfo {
    pub(crate) source: (String, String),
    pub(crate) index: usize,
    pub(crate) field: String,
    pub(crate) reason: String,
    /// The instance ids the record names (master first).
    pub(crate) ids: Vec<String>,
}

/// Everything the builder keeps of ListDrInfos captures.
#[derive(Debug, Default)]
pub(crate) struct InfoClaims {
    /// Every capture's text (record ids, instance ids that do not pack),
    /// back to back.
    pub(crate) text: String,
    pub(crate) claims: Vec<InfoClaim>,
    /// Each claim's (master, slave) instance ids.
    ends: Vec<[PreId; 2]>,
    /// Per capture: where its claims start, and where its text starts in
    /// `text` (its ids' spans are from there).
    captures: Vec<(usize, usize)>,
    pub(crate) bad: Vec<BadInfo>,
    /// The (region, project) of every infos capture.
    pub(crate) captured: Vec<(Sym, Sym)>,
    /// Failed ListDrInfos targets.
    pub(crate) failed: Vec<(Source, String)>,
    pub(crate) thresholds: Thresholds,
}

impl InfoClaims {
    /// Adds a capture's records, decoded, for `(region, project)`.
    pub(crate) fn add(
        &mut self,
        strs: &mut Interner,
        (region, project): (&str, &str),
        mut records: InfoRecords,
    ) {
        let source = (strs.intern(region), strs.intern(project));
        self.captured.push(source);
        for bad in std::mem::take(&mut records.bad) {
            self.bad.push(BadInfo {
                source: (region.to_owned(), project.to_owned()),
                index: bad.index,
                field: bad.field,
                reason: bad.reason,
                ids: bad.ids,
            });
        }
        let base = self.text.len();
        // Spans are 32-bit: a fleet's ListDrInfos text is far below 4 GiB,
        // but a record past it is said to be malformed rather than lost.
        let fits = u32::try_from(base + records.text.len()).is_ok();
        let syms: Vec<Sym> = (0..records.strs.len() as u32)
            .map(|i| strs.intern(records.str(i).unwrap_or_default()))
            .collect();
        let sym = |i: u32| syms.get(i as usize).copied();
        self.captures.push((self.claims.len(), base));
        self.claims.reserve(records.records.len());
        self.ends.reserve(records.records.len());
        for r in &records.records {
            if !fits {
                self.bad.push(BadInfo {
                    source: (region.to_owned(), project.to_owned()),
                    index: 0,
                    field: "record".to_owned(),
                    reason: "too much ListDrInfos text to index".to_owned(),
                    ids: r.ends.iter().map(|id| records.id_text(id)).collect(),
                });
                continue;
            }
            self.claims.push(InfoClaim {
                source,
                id: (base as u32 + r.id.0, base as u32 + r.id.1),
                master_region: sym(r.master_region),
                slave_region: sym(r.slave_region),
                status: sym(r.status),
                failed_message: sym(r.failed_message),
                replica_state: sym(r.replica_state),
                lags: r.lags,
                time: r.time,
            });
            self.ends.push(r.ends);
        }
        if fits {
            self.text.push_str(&records.text);
        }
    }

    /// Each claim's (master, slave) node as the builder numbered its ids
    /// ([`NOT_FOUND`] for an id that is no node), in claim order.
    pub(crate) fn find_ends(&self, ids: &IdInterner) -> Vec<[u32; 2]> {
        let flat = self.ends.as_flattened();
        let mut found = Vec::with_capacity(flat.len());
        let bounds = self.captures.iter().map(|&(claim, _)| 2 * claim);
        let ends_of = bounds.clone().skip(1).chain([flat.len()]);
        for ((from, to), &(_, text)) in bounds.zip(ends_of).zip(&self.captures) {
            ids.find_all(&flat[from..to], &self.text[text..], &mut found);
        }
        found
            .chunks_exact(2)
            .map(|pair| [pair[0], pair[1]])
            .collect()
    }

    /// The text of claim `c`'s master (`side` 0) or slave (1) instance id.
    pub(crate) fn end_text(&self, c: usize, side: usize) -> String {
        let capture = self.captures.partition_point(|&(from, _)| from <= c) - 1;
        let mut s = String::new();
        self.ends[c][side].write(&self.text[self.captures[capture].1..], &mut s);
        s
    }
}

/// [`NOT_FOUND`], for the merge: an end that is no node.
pub(crate) const NO_NODE: u32 = NOT_FOUND;

/// A claim with its strings looked up: for the few comparisons and the
/// findings that need text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClaimText<'a> {
    pub(crate) source: (&'a str, &'a str),
    pub(crate) id: &'a str,
    pub(crate) master_region: Option<&'a str>,
    pub(crate) slave_region: Option<&'a str>,
    pub(crate) status: Option<&'a str>,
    pub(crate) failed_message: Option<&'a str>,
    pub(crate) replica_state: Option<&'a str>,
    pub(crate) lags: Lags,
    pub(crate) time: Option<i64>,
}

impl<'a> ClaimText<'a> {
    pub(crate) fn of(c: &InfoClaim, text: &'a str, strs: &'a Strings) -> Self {
        ClaimText {
            source: (strs.get(c.source.0), strs.get(c.source.1)),
            id: &text[c.id.0 as usize..c.id.1 as usize],
            master_region: strs.opt(c.master_region),
            slave_region: strs.opt(c.slave_region),
            status: strs.opt(c.status),
            failed_message: strs.opt(c.failed_message),
            replica_state: strs.opt(c.replica_state),
            lags: c.lags,
            time: c.time,
        }
    }

    /// `REGION/PROJECT_ID` of the capture that holds it.
    pub(crate) fn source_text(&self) -> String {
        format!("{}/{}", self.source.0, self.source.1)
    }

    /// Whether two records of one edge say the same (a capture given twice,
    /// or one source's records split over captures).
    pub(crate) fn same(&self, other: &ClaimText<'_>) -> bool {
        (
            self.source,
            self.id,
            self.master_region,
            self.slave_region,
            self.status,
            self.failed_message,
            self.replica_state,
            self.time,
        ) == (
            other.source,
            other.id,
            other.master_region,
            other.slave_region,
            other.status,
            other.failed_message,
            other.replica_state,
            other.time,
        ) && self.lags == other.lags
    }

    /// A total order over the records of one edge (their instance ids are
    /// the edge's): by text, then the numbers; for order-free choices.
    pub(crate) fn total_cmp(&self, other: &ClaimText<'_>) -> std::cmp::Ordering {
        let f = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        };
        (self.source, self.id)
            .cmp(&(other.source, other.id))
            .then_with(|| {
                (
                    self.master_region,
                    self.slave_region,
                    self.status,
                    self.failed_message,
                    self.replica_state,
                    self.time,
                )
                    .cmp(&(
                        other.master_region,
                        other.slave_region,
                        other.status,
                        other.failed_message,
                        other.replica_state,
                        other.time,
                    ))
            })
            .then_with(|| f(self.lags.send_mb, other.lags.send_mb))
            .then_with(|| f(self.lags.replay_mb, other.lags.replay_mb))
            .then_with(|| f(self.lags.replay_delay_ms, other.lags.replay_delay_ms))
    }
}
