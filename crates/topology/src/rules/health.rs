//! Replication health: each edge's records and health, and the findings
//! about them (`dr-failed`, `replication-broken`, `replication-lagging`,
//! `health-missing`, `health-orphan`, `health-conflict`, and the
//! `malformed-record` and `query-failed` of ListDrInfos).

use std::collections::{BTreeSet, HashSet};

use crate::bucket::bucket_by;
use crate::finding::details::{
    DrFailed, HealthConflict, HealthMissing, HealthOrphan, HealthRecord, MalformedRecord,
    QueryFailed, ReplicationBroken, ReplicationLagging,
};
use crate::finding::{Code, Finding};
use crate::graph::ix;
use crate::health::claims::{BadInfo, ClaimText, InfoClaims, NO_NODE};
use crate::health::{EdgeHealths, Health, Judge, Thresholds};
use crate::strings::Sym;
use crate::topology::Topology;

impl Topology {
    /// Merges the ListDrInfos records onto the edges (`self.health`, in
    /// edge order) and adds the health findings. `ends` is each record's
    /// (master, slave) node, or [`NO_NODE`].
    pub(crate) fn merge_health(
        &mut self,
        mut claims: InfoClaims,
        ends: &[[u32; 2]],
        findings: &mut Vec<Finding>,
    ) {
        let thresholds = claims.thresholds;
        self.thresholds = thresholds;
        failed_infos(std::mem::take(&mut claims.failed), findings);
        malformed_infos(std::mem::take(&mut claims.bad), findings);
        let (by_edge, orphans) = self.records_by_edge(ends);
        self.orphans(&claims, &orphans, findings);
        let captured = std::mem::take(&mut claims.captured);
        let mut health = EdgeHealths::default();
        health.claims = std::mem::take(&mut claims.claims);
        health.text = std::mem::take(&mut claims.text);
        drop(claims);
        self.judge_edges(&mut health, by_edge, thresholds);
        self.edge_findings(&health, &captured, findings);
        self.health = health;
    }

    /// Each record's edge: the records grouped by edge number (and where
    /// each edge's start), and the records whose pair is no edge.
    fn records_by_edge(&self, ends: &[[u32; 2]]) -> ((Vec<u32>, Vec<u32>), Vec<usize>) {
        let mut placed = Vec::with_capacity(ends.len());
        let mut orphans = Vec::new();
        for (c, &[p, d]) in ends.iter().enumerate() {
            let edge = if p == NO_NODE || d == NO_NODE {
                None
            } else {
                self.graph.find_edge(ix(p), ix(d))
            };
            match edge {
                Some(e) => placed.push((e.index() as u32, c as u32)),
                None => orphans.push(c),
            }
        }
        let grouped = bucket_by(
            placed.iter(),
            self.graph.edge_count(),
            |&&(e, _)| e as usize,
            |&&(_, c)| c,
        );
        (grouped, orphans)
    }

    /// Each edge's records without repeats, the deciding one first (the
    /// worst health, then the first in text order), and its health.
    fn judge_edges(
        &self,
        health: &mut EdgeHealths,
        (members, starts): (Vec<u32>, Vec<u32>),
        t: Thresholds,
    ) {
        if members.is_empty() {
            return;
        }
        let edges = self.graph.edge_count();
        let mut kept = Vec::with_capacity(members.len());
        let mut kept_starts = Vec::with_capacity(edges + 1);
        let mut judged = Vec::with_capacity(edges);
        let mut judge = Judge::new(&self.strs, t);
        kept_starts.push(0);
        for e in 0..edges {
            let group = &members[starts[e] as usize..starts[e + 1] as usize];
            let text = |c: u32| ClaimText::of(&health.claims[c as usize], &health.text, &self.strs);
            match group {
                [] => judged.push(Health::Unknown),
                [c] => {
                    judged.push(judge.health(&health.claims[*c as usize]));
                    kept.push(*c);
                }
                _ => {
                    let mut all: Vec<(Health, ClaimText<'_>, u32)> = group
                        .iter()
                        .map(|&c| {
                            let r = text(c);
                            (r.health(t), r, c)
                        })
                        .collect();
                    all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.total_cmp(&b.1)));
                    all.dedup_by(|a, b| a.1.same(&b.1));
                    judged.push(all[0].0);
                    kept.extend(all.iter().map(|&(_, _, c)| c));
                }
            }
            kept_starts.push(kept.len() as u32);
        }
        health.health = judged;
        health.members = kept;
        health.starts = kept_starts;
    }

    /// The findings of each edge: its health's, its records' conflicts,
    /// or that it has no record where ListDrInfos was captured.
    fn edge_findings(
        &self,
        health: &EdgeHealths,
        captured: &[(Sym, Sym)],
        findings: &mut Vec<Finding>,
    ) {
        let captured: HashSet<(&str, &str)> = captured
            .iter()
            .map(|&(r, p)| (self.strs.get(r), self.strs.get(p)))
            .collect();
        // Instances whose location is itself in conflict: their region is
        // no yardstick for a record's (that conflict is reported already).
        let unsettled: HashSet<u32> = findings
            .iter()
            .filter(|f| f.code == Code::LocationConflict)
            .flat_map(|f| f.instances.iter().filter_map(|id| self.ids.find(id)))
            .collect();
        let t = self.thresholds;
        for (e, edge) in self.graph.raw_edges().iter().enumerate() {
            let (p, d) = (edge.source().index() as u32, edge.target().index() as u32);
            let members = health.members_of(e);
            let Some(&first) = members.first() else {
                if !captured.is_empty() {
                    self.missing(p, d, &captured, findings);
                }
                continue;
            };
            let h = health.health(e);
            if matches!(h, Health::Failed | Health::Broken | Health::Lagging) {
                let decider = health.claim(first, &self.strs);
                self.health_findings(p, d, h, &decider, t, findings);
            }
            // The usual edge has one record, which can only disagree with
            // its ends' regions: compared as symbols, without its text.
            if members.len() == 1 {
                let c = &health.claims[first as usize];
                let settled = |n: u32| {
                    (unsettled.is_empty() || !unsettled.contains(&n))
                        .then(|| self.where_is(n).region)
                        .flatten()
                };
                let differs = |stated: Option<Sym>, n: u32| {
                    stated.is_some_and(|s| settled(n).is_some_and(|a| a != s))
                };
                if !differs(c.master_region, p) && !differs(c.slave_region, d) {
                    continue;
                }
            }
            let records = health.records(e, &self.strs);
            self.conflict(p, d, &records, &unsettled, findings);
        }
    }

    fn pair(&self, p: u32, d: u32) -> (String, String) {
        (self.id(p).to_owned(), self.id(d).to_owned())
    }

    /// `dr-failed`, `replication-broken` or `replication-lagging`, from the
    /// record that decided the edge's health `h`.
    fn health_findings(
        &self,
        p: u32,
        d: u32,
        h: Health,
        r: &ClaimText<'_>,
        t: Thresholds,
        findings: &mut Vec<Finding>,
    ) {
        let (primary, dr) = self.pair(p, d);
        let instances = vec![primary.clone(), dr.clone()];
        let status = r.status.map(str::to_owned);
        let lags = r.lags;
        match h {
            Health::Failed => {
                let failed_message = r.failed_message.map(str::to_owned);
                findings.push(Finding::new(
                    DrFailed {
                        dr: dr.clone(),
                        failed_message: failed_message.clone(),
                        primary: primary.clone(),
                        status: status.clone(),
                    },
                    instances,
                    format!(
                        "DR {primary} -> {dr} has failed (status {:?}{})",
                        status.as_deref().unwrap_or(""),
                        failed_message
                            .map(|m| format!(", {m:?}"))
                            .unwrap_or_default()
                    ),
                ));
            }
            Health::Broken => findings.push(Finding::new(
                ReplicationBroken {
                    dr: dr.clone(),
                    primary: primary.clone(),
                    replica_state: r.replica_state.unwrap_or_default().to_owned(),
                    status,
                },
                instances,
                format!("replication from {primary} to DR {dr} is broken (replica_state -1)"),
            )),
            Health::Lagging => findings.push(Finding::new(
                ReplicationLagging {
                    dr: dr.clone(),
                    max_delay_ms: t.max_delay_ms,
                    max_lag_mb: t.max_lag_mb,
                    primary: primary.clone(),
                    replay_delay_ms: lags.replay_delay_ms,
                    replay_lag_mb: lags.replay_mb,
                    send_lag_mb: lags.send_mb,
                },
                instances,
                format!(
                    "DR {dr} lags behind {primary} (send {} MB, replay {} MB, delay {} ms; thresholds {} MB, {} ms)",
                    shown(lags.send_mb),
                    shown(lags.replay_mb),
                    shown(lags.replay_delay_ms),
                    t.max_lag_mb,
                    t.max_delay_ms
                ),
            )),
            _ => {}
        }
    }

    /// `health-conflict`: the records disagree on `replica_state` or
    /// `status`, or a record's region differs from an end's.
    fn conflict(
        &self,
        p: u32,
        d: u32,
        recs: &[ClaimText<'_>],
        unsettled: &HashSet<u32>,
        findings: &mut Vec<Finding>,
    ) {
        let mut fields = BTreeSet::new();
        let distinct = |get: &dyn for<'r> Fn(&ClaimText<'r>) -> Option<&'r str>| {
            let mut values = recs.iter().filter_map(get);
            values
                .next()
                .is_some_and(|first| values.any(|other| other != first))
        };
        if distinct(&|r| r.replica_state) {
            fields.insert("replica_state");
        }
        if distinct(&|r| r.status) {
            fields.insert("status");
        }
        let settled = |n: u32| {
            if unsettled.contains(&n) {
                None
            } else {
                self.region_of(n)
            }
        };
        let (pr, dreg) = (settled(p), settled(d));
        let differs = |stated: Option<&str>, actual: Option<&str>| matches!((stated, actual), (Some(s), Some(a)) if s != a);
        if recs.iter().any(|r| differs(r.master_region, pr)) {
            fields.insert("master_region");
        }
        if recs.iter().any(|r| differs(r.slave_region, dreg)) {
            fields.insert("slave_region");
        }
        if fields.is_empty() {
            return;
        }
        let (primary, dr) = self.pair(p, d);
        let own = |s: Option<&str>| s.map(str::to_owned);
        let mut records: Vec<HealthRecord> = recs
            .iter()
            .map(|r| HealthRecord {
                id: r.id.to_owned(),
                master_region: own(r.master_region),
                replica_state: own(r.replica_state),
                slave_region: own(r.slave_region),
                source: r.source_text(),
                status: own(r.status),
            })
            .collect();
        records.sort();
        records.dedup();
        let fields: Vec<String> = fields.into_iter().map(str::to_owned).collect();
        findings.push(Finding::new(
            HealthConflict {
                dr: dr.clone(),
                fields: fields.clone(),
                primary: primary.clone(),
                records,
            },
            vec![primary.clone(), dr.clone()],
            format!(
                "ListDrInfos records for {primary} -> {dr} disagree with each other or with the instances' regions on {}",
                fields.join(", ")
            ),
        ));
    }

    /// `health-missing` for an edge without a record, when ListDrInfos was
    /// captured where one of its ends is.
    fn missing(
        &self,
        p: u32,
        d: u32,
        captured: &HashSet<(&str, &str)>,
        findings: &mut Vec<Finding>,
    ) {
        let mut sources: Vec<String> = [p, d]
            .into_iter()
            .filter_map(|n| {
                let loc = self.location(self.where_is(n));
                let key = (loc.region?, loc.project_id?);
                captured
                    .contains(&key)
                    .then(|| format!("{}/{}", key.0, key.1))
            })
            .collect();
        sources.sort();
        sources.dedup();
        if sources.is_empty() {
            return;
        }
        let (primary, dr) = self.pair(p, d);
        findings.push(Finding::new(
            HealthMissing {
                dr: dr.clone(),
                primary: primary.clone(),
                sources: sources.clone(),
            },
            vec![primary.clone(), dr.clone()],
            format!(
                "no ListDrInfos record for {primary} -> {dr} although ListDrInfos was captured for {}",
                sources.join(", ")
            ),
        ));
    }

    /// `health-orphan` for each record whose pair is no edge, when
    /// ListDrRelations was captured for the record's source or where one of
    /// its ends is.
    fn orphans(&self, claims: &InfoClaims, orphans: &[usize], findings: &mut Vec<Finding>) {
        if orphans.is_empty() {
            return;
        }
        let relations: HashSet<(&str, &str)> =
            self.sources().map(|s| (s.region, s.project_id)).collect();
        for &c in orphans {
            let r = ClaimText::of(&claims.claims[c], &claims.text, &self.strs);
            let (master, slave) = (claims.end_text(c, 0), claims.end_text(c, 1));
            let mut wheres = vec![r.source];
            for id in [&master, &slave] {
                if let Some(n) = self.ids.find(id) {
                    let loc = self.location(self.where_is(n));
                    if let (Some(reg), Some(proj)) = (loc.region, loc.project_id) {
                        wheres.push((reg, proj));
                    }
                }
            }
            if !wheres.iter().any(|w| relations.contains(w)) {
                continue;
            }
            let source = r.source_text();
            findings.push(Finding::new(
                HealthOrphan {
                    dr: slave.clone(),
                    id: r.id.to_owned(),
                    primary: master.clone(),
                    source: source.clone(),
                },
                vec![master.clone(), slave.clone()],
                format!(
                    "ListDrInfos record {} in {source} pairs {master} -> {slave}, which no captured relation does",
                    r.id
                ),
            ));
        }
    }
}

/// `malformed-record` for every ListDrInfos record that could not be used.
fn malformed_infos(mut bad: Vec<BadInfo>, findings: &mut Vec<Finding>) {
    bad.sort();
    bad.dedup();
    for b in bad {
        let source = format!("{}/{}", b.source.0, b.source.1);
        let message = format!(
            "ListDrInfos record {} in {source} ({}) is malformed: {}",
            b.index,
            if b.ids.is_empty() {
                "no instance ids".to_owned()
            } else {
                b.ids.join(" -> ")
            },
            b.reason
        );
        findings.push(Finding::new(
            MalformedRecord {
                field: b.field,
                index: b.index,
                instance_id: b.ids.first().cloned(),
                reason: b.reason,
                source,
            },
            b.ids,
            message,
        ));
    }
}

/// `query-failed` for every failed ListDrInfos target.
fn failed_infos(mut failed: Vec<(rds_dr_model::Source, String)>, findings: &mut Vec<Finding>) {
    failed.sort();
    failed.dedup();
    for chunk in failed.chunk_by(|a, b| a.0 == b.0) {
        let target = &chunk[0].0;
        let messages: Vec<&str> = chunk.iter().map(|(_, m)| m.as_str()).collect();
        let message = messages.join("; ");
        findings.push(Finding::new(
            QueryFailed {
                message: message.clone(),
                operation: Some("ListDrInfos".into()),
                source: target.to_string(),
            },
            Vec::new(),
            format!(
                "ListDrInfos of {target} could not be fetched ({message}); the health of its edges is unknown"
            ),
        ));
    }
}

fn shown(v: Option<f64>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}
