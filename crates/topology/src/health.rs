//! Replication health: ListDrInfos records merged onto the edges.
//!
//! The builder keeps every ListDrInfos record it is given ([`InfoRecord`],
//! owned, with the source that said it); after the graph is built, each
//! record whose (`master_instance_id`, `slave_instance_id`) is an edge's
//! (primary, DR) is that edge's, and the edge's [`Health`] is the worst of
//! its records' (by the contract's first-that-applies table). The rules of
//! the health findings are in [`crate::rules::health`].

use std::cmp::Ordering;
use std::fmt;

use rds_dr_model::{InstanceDrInfo, Lags, ListDrInfosResponse, Source};
use serde::{Deserialize, Serialize};

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

/// One usable ListDrInfos record, owned, with the source that said it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InfoRecord {
    pub(crate) source: (String, String),
    pub(crate) id: String,
    pub(crate) master: String,
    pub(crate) slave: String,
    pub(crate) master_region: Option<String>,
    pub(crate) slave_region: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) failed_message: Option<String>,
    pub(crate) replica_state: Option<String>,
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
#[derive(Clone, Debug, Default)]
pub(crate) struct InfoClaims {
    pub(crate) records: Vec<InfoRecord>,
    pub(crate) bad: Vec<BadInfo>,
    /// The (region, project) of every infos capture.
    pub(crate) captured: Vec<(String, String)>,
    /// Failed ListDrInfos targets.
    pub(crate) failed: Vec<(Source, String)>,
    pub(crate) thresholds: Thresholds,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl InfoClaims {
    /// Adds every record of `response`, returned for `source`.
    pub(crate) fn add(&mut self, source: &Source, response: &ListDrInfosResponse) {
        let src = (source.region.clone(), source.project_id.clone());
        self.captured.push(src.clone());
        for (index, item) in response.instance_dr_infos.iter().enumerate() {
            let Some(info) = item.valid() else {
                let reason = item
                    .malformed()
                    .map(|m| m.error.clone())
                    .unwrap_or_default();
                let ids = item
                    .malformed()
                    .and_then(|m| serde_json::to_value(&m.raw).ok())
                    .map(|raw| {
                        ["master_instance_id", "slave_instance_id"]
                            .iter()
                            .filter_map(|k| raw.get(k).and_then(|v| v.as_str()))
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                self.bad.push(BadInfo {
                    source: src.clone(),
                    index,
                    field: "record".into(),
                    reason,
                    ids,
                });
                continue;
            };
            self.add_one(&src, index, info);
        }
    }

    fn add_one(&mut self, src: &(String, String), index: usize, info: &InstanceDrInfo) {
        let ids: Vec<String> = [&info.master_instance_id, &info.slave_instance_id]
            .into_iter()
            .filter_map(|s| nonempty(s).map(str::to_owned))
            .collect();
        let missing = [
            ("id", nonempty(&info.id)),
            ("master_instance_id", nonempty(&info.master_instance_id)),
            ("slave_instance_id", nonempty(&info.slave_instance_id)),
        ]
        .into_iter()
        .find(|(_, v)| v.is_none());
        let bad = |field: &str, reason: String| BadInfo {
            source: src.clone(),
            index,
            field: field.to_owned(),
            reason,
            ids: ids.clone(),
        };
        if let Some((field, _)) = missing {
            self.bad
                .push(bad(field, format!("the record has no usable `{field}`")));
            return;
        }
        let lags = match info.lags() {
            Ok(lags) => lags,
            Err(e) => {
                self.bad.push(bad(e.field, e.to_string()));
                return;
            }
        };
        let own = |s: &Option<String>| nonempty(s).map(str::to_owned);
        self.records.push(InfoRecord {
            source: src.clone(),
            id: own(&info.id).unwrap_or_default(),
            master: own(&info.master_instance_id).unwrap_or_default(),
            slave: own(&info.slave_instance_id).unwrap_or_default(),
            master_region: own(&info.master_region),
            slave_region: own(&info.slave_region),
            status: info.status.clone(),
            failed_message: own(&info.failed_message),
            replica_state: own(&info.replica_state),
            lags,
            time: info.time,
        });
    }
}

impl InfoRecord {
    /// The record's health by the contract's first-that-applies table.
    pub(crate) fn health(&self, t: Thresholds) -> Health {
        let status = self.status.as_deref().unwrap_or("").to_ascii_lowercase();
        let state = self.replica_state.as_deref();
        if self.failed_message.is_some() || status.contains("fail") || status.contains("error") {
            Health::Failed
        } else if state == Some("-1") {
            Health::Broken
        } else if matches!(status.trim(), "building" | "creating") {
            Health::Building
        } else if self.lagging(t) {
            Health::Lagging
        } else if state == Some("0") {
            Health::Healthy
        } else {
            Health::Unknown
        }
    }

    fn lagging(&self, t: Thresholds) -> bool {
        let over = |v: Option<f64>, max: f64| v.is_some_and(|v| v > max);
        over(self.lags.send_mb, t.max_lag_mb)
            || over(self.lags.replay_mb, t.max_lag_mb)
            || over(self.lags.replay_delay_ms, t.max_delay_ms)
    }

    /// A total order over records (for order-free choices).
    pub(crate) fn total_cmp(&self, other: &InfoRecord) -> Ordering {
        let f = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        };
        (&self.source, &self.id, &self.master, &self.slave)
            .cmp(&(&other.source, &other.id, &other.master, &other.slave))
            .then_with(|| {
                (
                    &self.master_region,
                    &self.slave_region,
                    &self.status,
                    &self.failed_message,
                    &self.replica_state,
                    self.time,
                )
                    .cmp(&(
                        &other.master_region,
                        &other.slave_region,
                        &other.status,
                        &other.failed_message,
                        &other.replica_state,
                        other.time,
                    ))
            })
            .then_with(|| f(self.lags.send_mb, other.lags.send_mb))
            .then_with(|| f(self.lags.replay_mb, other.lags.replay_mb))
            .then_with(|| f(self.lags.replay_delay_ms, other.lags.replay_delay_ms))
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

    /// The health of an edge whose records are `records` (any order).
    pub(crate) fn of(records: &[&InfoRecord], t: Thresholds) -> EdgeHealth {
        let mut sources: Vec<HealthSource> = records
            .iter()
            .map(|r| HealthSource {
                source: format!("{}/{}", r.source.0, r.source.1),
                id: r.id.clone(),
                health: r.health(t),
            })
            .collect();
        sources.sort();
        sources.dedup();
        let decider = records
            .iter()
            .min_by(|a, b| (a.health(t).cmp(&b.health(t))).then_with(|| a.total_cmp(b)));
        let Some(r) = decider else {
            return EdgeHealth::default();
        };
        EdgeHealth {
            health: r.health(t),
            replica_state: r.replica_state.clone(),
            dr_status: r.status.clone(),
            send_lag_mb: r.lags.send_mb,
            replay_lag_mb: r.lags.replay_mb,
            replay_delay_ms: r.lags.replay_delay_ms,
            dr_since: r.time.and_then(rfc3339),
            sources,
        }
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
    use super::*;

    fn record(status: &str, state: Option<&str>) -> InfoRecord {
        InfoRecord {
            source: ("r".into(), "p".into()),
            id: "x".into(),
            master: "p".into(),
            slave: "d".into(),
            master_region: None,
            slave_region: None,
            status: Some(status.into()),
            failed_message: None,
            replica_state: state.map(str::to_owned),
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
        r.failed_message = Some("boom".into());
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
    fn worst_wins_whatever_the_order() {
        let t = Thresholds::default();
        let a = record("normal", Some("0"));
        let mut b = record("normal", Some("-1"));
        b.source = ("s".into(), "q".into());
        let one = EdgeHealth::of(&[&a, &b], t);
        let two = EdgeHealth::of(&[&b, &a], t);
        assert_eq!(one, two);
        assert_eq!(one.health, Health::Broken);
        assert_eq!(one.replica_state.as_deref(), Some("-1"));
        assert_eq!(one.sources.len(), 2);
    }
}
