//! Replication health: ListDrInfos records merged onto the edges.
//!
//! Every decoder writes a capture's records as `records::InfoRecords`; the
//! builder keeps them compact (`claims`: strings interned, instance ids
//! packed, with the source that said each); after the graph is built, each
//! record whose (`master_instance_id`, `slave_instance_id`) is an edge's
//! (primary, DR) is that edge's, and the edge's [`Health`] is the worst of
//! its records' (by the contract's first-that-applies table). Each edge
//! keeps its health and its records' numbers ([`EdgeHealths`]); the
//! [`EdgeHealth`] with its attributes is written out only when asked for.
//! The rules of the health findings are in [`crate::rules::health`].

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::strings::{Strings, Sym};

pub(crate) mod claims;
pub(crate) mod records;

use claims::{ClaimText, InfoClaim};

/// How well a primary -> DR edge replicates.
///
/// Ordered worst first (`failed`, `broken`, `building`, `lagging`,
/// `healthy`, `unknown`): of several records for one edge, the least wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Health {
    /// A `failed_message`, or a `status` saying `fail` or `error`.
    Failed,
    /// `replica_state` is `-1` (abnormal).
    Broken,
    /// `status` is `building` or `creating`.
    Building,
    /// A lag or the replay delay over its threshold.
    Lagging,
    /// `replica_state` is `0` and nothing above applies.
    Healthy,
    /// No record for the edge, or none that says.
    #[default]
    Unknown,
}

impl Health {
    /// Every value, worst first.
    pub const ALL: [Health; 6] = [
        Health::Failed,
        Health::Broken,
        Health::Building,
        Health::Lagging,
        Health::Healthy,
        Health::Unknown,
    ];

    /// The contract's name: `failed`, `broken`, `building`, `lagging`,
    /// `healthy`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Failed => "failed",
            Health::Broken => "broken",
            Health::Building => "building",
            Health::Lagging => "lagging",
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
        }
    }

    /// Whether a DR at the end of an edge of this health protects its
    /// primary (`healthy`, `lagging` or `unknown`).
    pub fn protects(self) -> bool {
        matches!(self, Health::Healthy | Health::Lagging | Health::Unknown)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Health {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Health {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Health::ALL
            .into_iter()
            .find(|h| h.as_str() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown health `{name}`")))
    }
}

/// The thresholds over which an edge is `lagging`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Thresholds {
    /// Send or replay lag, MB (default 64).
    pub max_lag_mb: f64,
    /// Replay delay, ms (default 60000).
    pub max_delay_ms: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_lag_mb: 64.0,
            max_delay_ms: 60_000.0,
        }
    }
}

/// Whether `text` holds `word` (lowercase ASCII) in any case.
fn contains_ignoring_case(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// What the health table reads in a record's `status`: whether it says
/// `fail` or `error`, and whether it is `building` or `creating` (any case).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct StatusWords {
    failed: bool,
    building: bool,
}

impl StatusWords {
    fn of(status: Option<&str>) -> Self {
        let status = status.unwrap_or("");
        StatusWords {
            failed: contains_ignoring_case(status, "fail")
                || contains_ignoring_case(status, "error"),
            building: ["building", "creating"]
                .iter()
                .any(|w| status.trim().eq_ignore_ascii_case(w)),
        }
    }
}

/// The contract's first-that-applies table, from what a record says.
fn first_that_applies(
    failed_message: bool,
    words: StatusWords,
    state: Option<&str>,
    lagging: bool,
) -> Health {
    if failed_message || words.failed {
        Health::Failed
    } else if state == Some("-1") {
        Health::Broken
    } else if words.building {
        Health::Building
    } else if lagging {
        Health::Lagging
    } else if state == Some("0") {
        Health::Healthy
    } else {
        Health::Unknown
    }
}

fn lagging(lags: &rds_dr_model::Lags, t: Thresholds) -> bool {
    let over = |v: Option<f64>, max: f64| v.is_some_and(|v| v > max);
    over(lags.send_mb, t.max_lag_mb)
        || over(lags.replay_mb, t.max_lag_mb)
        || over(lags.replay_delay_ms, t.max_delay_ms)
}

impl ClaimText<'_> {
    /// The record's health by the contract's first-that-applies table.
    pub(crate) fn health(&self, t: Thresholds) -> Health {
        first_that_applies(
            self.failed_message.is_some(),
            StatusWords::of(self.status),
            self.replica_state,
            lagging(&self.lags, t),
        )
    }
}

/// Judges records by the health table, reading each `status` text once
/// while the next records repeat it (as a fleet's records do).
pub(crate) struct Judge<'a> {
    strs: &'a Strings,
    t: Thresholds,
    last_status: Option<(Option<Sym>, StatusWords)>,
}

impl<'a> Judge<'a> {
    pub(crate) fn new(strs: &'a Strings, t: Thresholds) -> Self {
        Judge {
            strs,
            t,
            last_status: None,
        }
    }

    /// The health of record `c` ([`ClaimText::health`] without its text).
    pub(crate) fn health(&mut self, c: &InfoClaim) -> Health {
        let words = match self.last_status {
            Some((status, words)) if status == c.status => words,
            _ => {
                let words = StatusWords::of(self.strs.opt(c.status));
                self.last_status = Some((c.status, words));
                words
            }
        };
        first_that_applies(
            c.failed_message.is_some(),
            words,
            self.strs.opt(c.replica_state),
            lagging(&c.lags, self.t),
        )
    }
}

/// Which record said what about an edge's health.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthSource {
    /// The ListDrInfos capture's source, `REGION/PROJECT_ID`.
    pub source: String,
    /// The record's `id`.
    pub id: String,
    /// The health this record alone gives.
    pub health: Health,
}

/// An edge's replication health and the attributes of the record that
/// decided it (the worst; absent where unknown).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct EdgeHealth {
    /// The worst of the records' health; `unknown` without a record.
    pub health: Health,
    /// `replica_state` as received (`0` normal, `-1` abnormal).
    pub replica_state: Option<String>,
    /// `status` as received: its values are not documented, so the raw
    /// text is kept.
    pub dr_status: Option<String>,
    /// Send lag, MB.
    pub send_lag_mb: Option<f64>,
    /// Replay lag, MB.
    pub replay_lag_mb: Option<f64>,
    /// Replay delay, ms.
    pub replay_delay_ms: Option<f64>,
    /// When the relation was created (RFC 3339, UTC).
    pub dr_since: Option<String>,
    /// Every record for the edge, sorted.
    pub sources: Vec<HealthSource>,
}

impl EdgeHealth {
    /// The health of an edge without any record.
    pub(crate) const UNKNOWN: EdgeHealth = EdgeHealth {
        health: Health::Unknown,
        replica_state: None,
        dr_status: None,
        send_lag_mb: None,
        replay_lag_mb: None,
        replay_delay_ms: None,
        dr_since: None,
        sources: Vec::new(),
    };

    /// The health of an edge whose records are `records`, the one that
    /// decides first (see [`EdgeHealths`]).
    pub(crate) fn of(records: &[ClaimText<'_>], t: Thresholds) -> EdgeHealth {
        let Some(r) = records.first() else {
            return EdgeHealth::default();
        };
        let mut sources: Vec<HealthSource> = records
            .iter()
            .map(|r| HealthSource {
                source: r.source_text(),
                id: r.id.to_owned(),
                health: r.health(t),
            })
            .collect();
        sources.sort();
        sources.dedup();
        EdgeHealth {
            health: r.health(t),
            replica_state: r.replica_state.map(str::to_owned),
            dr_status: r.status.map(str::to_owned),
            send_lag_mb: r.lags.send_mb,
            replay_lag_mb: r.lags.replay_mb,
            replay_delay_ms: r.lags.replay_delay_ms,
            dr_since: r.time.and_then(rfc3339),
            sources,
        }
    }
}

/// Every edge's health, compact: its [`Health`], and the numbers of its
/// ListDrInfos records (the one that decides first); the records
/// themselves; and each edge's [`EdgeHealth`] once asked for.
#[derive(Debug, Default)]
pub(crate) struct EdgeHealths {
    /// Each edge's health; empty when no record is on any edge (all
    /// `unknown`).
    pub(crate) health: Vec<Health>,
    /// Edge `e`'s records are `members[starts[e]..starts[e + 1]]`,
    /// numbers in `claims`, without repeats, the deciding one first.
    pub(crate) starts: Vec<u32>,
    pub(crate) members: Vec<u32>,
    pub(crate) claims: Vec<InfoClaim>,
    /// The claims' record ids (see [`claims::InfoClaims::text`]).
    pub(crate) text: String,
    /// Every edge's [`EdgeHealth`], written on first use.
    full: OnceLock<Vec<EdgeHealth>>,
}

impl EdgeHealths {
    /// Edge `e`'s health.
    pub(crate) fn health(&self, e: usize) -> Health {
        self.health.get(e).copied().unwrap_or_default()
    }

    /// The numbers of edge `e`'s records, the deciding one first.
    pub(crate) fn members_of(&self, e: usize) -> &[u32] {
        match (self.starts.get(e), self.starts.get(e + 1)) {
            (Some(&from), Some(&to)) => &self.members[from as usize..to as usize],
            _ => &[],
        }
    }

    /// Record `c` with its strings.
    pub(crate) fn claim<'a>(&'a self, c: u32, strs: &'a Strings) -> ClaimText<'a> {
        ClaimText::of(&self.claims[c as usize], &self.text, strs)
    }

    /// Edge `e`'s records, the deciding one first.
    pub(crate) fn records<'a>(&'a self, e: usize, strs: &'a Strings) -> Vec<ClaimText<'a>> {
        self.members_of(e)
            .iter()
            .map(|&c| self.claim(c, strs))
            .collect()
    }

    /// Edge `e`'s health with its attributes (`None`: no record), every
    /// edge's written out on first use.
    pub(crate) fn full(&self, e: usize, strs: &Strings, t: Thresholds) -> Option<&EdgeHealth> {
        if self.members.is_empty() {
            return None;
        }
        let all = self.full.get_or_init(|| {
            (0..self.health.len())
                .map(|e| EdgeHealth::of(&self.records(e, strs), t))
                .collect()
        });
        all.get(e).filter(|h| !h.sources.is_empty())
    }
}

/// What one edge's replication looks like, read in place: its ends and
/// their regions, its status, and the figures of the ListDrInfos record
/// that decides its health (the same values as the edge's
/// [`EdgeView`](crate::EdgeView) and [`EdgeHealth`]; `None` where unknown).
///
/// Made by [`Topology::replication`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct EdgeReplication<'a> {
    /// The primary's id.
    pub primary: &'a str,
    /// The DR's id.
    pub dr: &'a str,
    /// The primary's region.
    pub primary_region: Option<&'a str>,
    /// The DR's region.
    pub dr_region: Option<&'a str>,
    /// How well the edge is attested.
    pub status: crate::EdgeStatus,
    /// `replica_state` as received (`0` normal, `-1` abnormal).
    pub replica_state: Option<&'a str>,
    /// Send lag, MB.
    pub send_lag_mb: Option<f64>,
    /// Replay lag, MB.
    pub replay_lag_mb: Option<f64>,
    /// Replay delay, ms.
    pub replay_delay_ms: Option<f64>,
}

impl crate::Topology {
    /// Every edge's replication, in view order (by primary, then DR),
    /// read from the topology's tables: unlike [`view`](Self::view), no
    /// edge's [`EdgeHealth`] (with its provenance) is written out, so a
    /// reader of every edge on every request, such as a metrics exporter,
    /// pays only for what it reads.
    ///
    /// ```
    /// use rds_dr_topology::Topology;
    ///
    /// let topology = Topology::builder().build();
    /// assert_eq!(topology.replication().len(), topology.edge_count());
    /// ```
    pub fn replication(&self) -> impl ExactSizeIterator<Item = EdgeReplication<'_>> + '_ {
        (self.graph.raw_edges().iter().enumerate()).map(|(e, edge)| {
            let (p, d) = (edge.source().index() as u32, edge.target().index() as u32);
            // The deciding record, as `EdgeHealth::of` takes it.
            let record =
                (self.health.members_of(e).first()).map(|&c| &self.health.claims[c as usize]);
            let lags = record.map(|c| c.lags).unwrap_or_default();
            EdgeReplication {
                primary: self.id_str(p),
                dr: self.id_str(d),
                primary_region: self.region_of(p),
                dr_region: self.region_of(d),
                status: edge.weight.status,
                replica_state: record.and_then(|c| self.strs.opt(c.replica_state)),
                send_lag_mb: lags.send_mb,
                replay_lag_mb: lags.replay_mb,
                replay_delay_ms: lags.replay_delay_ms,
            }
        })
    }
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC (`None` outside the
/// years 0000-9999). No date crate is in the tree for this one line; the
/// days-to-civil step is H. Hinnant's public-domain algorithm.
pub(crate) fn rfc3339(ms: i64) -> Option<String> {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    Some(if millis == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    })
}

/// Edges per health, for `check`'s summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthCounts {
    /// `healthy` edges.
    pub healthy: usize,
    /// `lagging` edges.
    pub lagging: usize,
    /// `broken` edges.
    pub broken: usize,
    /// `failed` edges.
    pub failed: usize,
    /// `building` edges.
    pub building: usize,
    /// `unknown` edges.
    pub unknown: usize,
}

impl HealthCounts {
    /// Counts one more edge of `health`.
    pub(crate) fn add(&mut self, health: Health) {
        *self.get_mut(health) += 1;
    }

    fn get_mut(&mut self, health: Health) -> &mut usize {
        match health {
            Health::Healthy => &mut self.healthy,
            Health::Lagging => &mut self.lagging,
            Health::Broken => &mut self.broken,
            Health::Failed => &mut self.failed,
            Health::Building => &mut self.building,
            Health::Unknown => &mut self.unknown,
        }
    }

    /// The number of edges of `health`.
    pub fn get(&self, health: Health) -> usize {
        let mut copy = *self;
        *copy.get_mut(health)
    }
}

#[cfg(test)]
mod tests {
    use rds_dr_model::Lags;

    use super::*;

    fn record(status: &'static str, state: Option<&'static str>) -> ClaimText<'static> {
        ClaimText {
            source: ("r", "p"),
            id: "x",
            master_region: None,
            slave_region: None,
            status: Some(status),
            failed_message: None,
            replica_state: state,
            lags: Lags::default(),
            time: None,
        }
    }

    #[test]
    fn the_first_rule_that_applies_decides() {
        let t = Thresholds::default();
        assert_eq!(record("normal", Some("0")).health(t), Health::Healthy);
        assert_eq!(record("normal", None).health(t), Health::Unknown);
        assert_eq!(record("normal", Some("7")).health(t), Health::Unknown);
        assert_eq!(record("BUILD_FAILED", Some("0")).health(t), Health::Failed);
        assert_eq!(record("Error", Some("-1")).health(t), Health::Failed);
        assert_eq!(record("normal", Some("-1")).health(t), Health::Broken);
        assert_eq!(record("Creating", Some("-1")).health(t), Health::Broken);
        assert_eq!(record("Building", Some("0")).health(t), Health::Building);
        assert_eq!(record("rebuilding", None).health(t), Health::Unknown);
        let mut r = record("normal", Some("0"));
        r.failed_message = Some("boom");
        assert_eq!(r.health(t), Health::Failed);
        let mut r = record("normal", Some("0"));
        r.lags.send_mb = Some(64.0);
        assert_eq!(r.health(t), Health::Healthy, "64 is not over 64");
        r.lags.replay_mb = Some(64.01);
        assert_eq!(r.health(t), Health::Lagging);
        let mut r = record("normal", None);
        r.lags.replay_delay_ms = Some(60_001.0);
        assert_eq!(r.health(t), Health::Lagging);
        r.lags.replay_delay_ms = Some(60_000.0);
        assert_eq!(r.health(t), Health::Unknown);
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_733_450_000_000).as_deref(),
            Some("2024-12-06T01:53:20Z")
        );
        assert_eq!(
            rfc3339(951_782_400_123).as_deref(),
            Some("2000-02-29T00:00:00.123Z")
        );
        assert_eq!(rfc3339(-1).as_deref(), Some("1969-12-31T23:59:59.999Z"));
        assert_eq!(rfc3339(i64::MAX), None);
    }

    #[test]
    fn the_deciding_record_gives_the_attributes() {
        let t = Thresholds::default();
        let a = record("normal", Some("0"));
        let mut b = record("normal", Some("-1"));
        b.source = ("s", "q");
        let h = EdgeHealth::of(&[b, a], t);
        assert_eq!(h.health, Health::Broken);
        assert_eq!(h.replica_state.as_deref(), Some("-1"));
        assert_eq!(h.sources.len(), 2);
        assert_eq!(h.sources[0].source, "r/p");
        assert_eq!(EdgeHealth::of(&[], t), EdgeHealth::default());
    }

    #[test]
    fn status_words_match_in_any_case() {
        assert!(contains_ignoring_case("BUILD_FAILED", "fail"));
        assert!(contains_ignoring_case("xErRoR", "error"));
        assert!(!contains_ignoring_case("fai", "fail"));
        assert!(!contains_ignoring_case("f\u{e4}il", "fail"));
    }
}
