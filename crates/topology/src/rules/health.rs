//! Replication health: each edge's records and health, and the findings
//! about them (`dr-failed`, `replication-broken`, `replication-lagging`,
//! `health-missing`, `health-orphan`, `health-conflict`, and the
//! `malformed-record` and `query-failed` of ListDrInfos).

use std::collections::{BTreeSet, HashSet};

use petgraph::visit::EdgeRef;

use crate::finding::details::{
    DrFailed, HealthConflict, HealthMissing, HealthOrphan, HealthRecord, MalformedRecord,
    QueryFailed, ReplicationBroken, ReplicationLagging,
};
use crate::finding::{Code, Finding};
use crate::graph::ix;
use crate::health::{EdgeHealth, Health, InfoClaims, InfoRecord};
use crate::topology::Topology;

impl Topology {
    /// Merges the ListDrInfos records onto the edges (`self.health`, one
    /// per edge in edge order) and adds the health findings.
    pub(crate) fn merge_health(&mut self, claims: InfoClaims, findings: &mut Vec<Finding>) {
        let InfoClaims {
            mut records,
            mut bad,
            captured,
            failed,
            thresholds,
        } = claims;
        self.thresholds = thresholds;
        failed_infos(failed, findings);
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
        records.sort_by(InfoRecord::total_cmp);
        records.dedup();
        let captured: HashSet<(String, String)> = captured.into_iter().collect();
        let relations: HashSet<(String, String)> = self
            .sources()
            .map(|s| (s.region.to_owned(), s.project_id.to_owned()))
            .collect();

        // Instances whose location is itself in conflict: their region is
        // no yardstick for a record's (that conflict is reported already).
        let unsettled: HashSet<String> = findings
            .iter()
            .filter(|f| f.code == Code::LocationConflict)
            .flat_map(|f| f.instances.iter().cloned())
            .collect();
        let mut by_edge: Vec<Vec<&InfoRecord>> = vec![Vec::new(); self.graph.edge_count()];
        for r in &records {
            let edge = match (self.ids.find(&r.master), self.ids.find(&r.slave)) {
                (Some(p), Some(d)) => self.graph.find_edge(ix(p), ix(d)),
                _ => None,
            };
            match edge {
                Some(e) => by_edge[e.index()].push(r),
                None => {
                    if let Some(f) = self.orphan(r, &relations) {
                        findings.push(f);
                    }
                }
            }
        }
        let mut health = Vec::with_capacity(by_edge.len());
        for (e, recs) in self.graph.edge_references().zip(&by_edge) {
            let (p, d) = (e.source().index() as u32, e.target().index() as u32);
            if recs.is_empty() {
                self.missing(p, d, &captured, findings);
                health.push(None);
            } else {
                let h = EdgeHealth::of(recs, thresholds);
                self.health_findings(p, d, &h, recs, findings);
                self.conflict(p, d, recs, &unsettled, findings);
                health.push(Some(Box::new(h)));
            }
        }
        self.health = health;
    }

    fn pair(&self, p: u32, d: u32) -> (String, String) {
        (self.id(p).to_owned(), self.id(d).to_owned())
    }

    fn health_findings(
        &self,
        p: u32,
        d: u32,
        h: &EdgeHealth,
        recs: &[&InfoRecord],
        findings: &mut Vec<Finding>,
    ) {
        let (primary, dr) = self.pair(p, d);
        let t = self.thresholds;
        let instances = vec![primary.clone(), dr.clone()];
        match h.health {
            Health::Failed => {
                let decider = recs
                    .iter()
                    .filter(|r| r.health(t) == Health::Failed)
                    .min_by(|a, b| a.total_cmp(b));
                let failed_message = decider.and_then(|r| r.failed_message.clone());
                findings.push(Finding::new(
                    DrFailed {
                        dr: dr.clone(),
                        failed_message: failed_message.clone(),
                        primary: primary.clone(),
                        status: h.dr_status.clone(),
                    },
                    instances.clone(),
                    format!(
                        "DR {primary} -> {dr} has failed (status {:?}{})",
                        h.dr_status.as_deref().unwrap_or(""),
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
                    replica_state: h.replica_state.clone().unwrap_or_default(),
                    status: h.dr_status.clone(),
                },
                instances.clone(),
                format!("replication from {primary} to DR {dr} is broken (replica_state -1)"),
            )),
            Health::Lagging => findings.push(Finding::new(
                ReplicationLagging {
                    dr: dr.clone(),
                    max_delay_ms: t.max_delay_ms,
                    max_lag_mb: t.max_lag_mb,
                    primary: primary.clone(),
                    replay_delay_ms: h.replay_delay_ms,
                    replay_lag_mb: h.replay_lag_mb,
                    send_lag_mb: h.send_lag_mb,
                },
                instances.clone(),
                format!(
                    "DR {dr} lags behind {primary} (send {} MB, replay {} MB, delay {} ms; thresholds {} MB, {} ms)",
                    shown(h.send_lag_mb),
                    shown(h.replay_lag_mb),
                    shown(h.replay_delay_ms),
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
        recs: &[&InfoRecord],
        unsettled: &HashSet<String>,
        findings: &mut Vec<Finding>,
    ) {
        let mut fields = BTreeSet::new();
        let distinct = |get: &dyn Fn(&InfoRecord) -> Option<&str>| {
            recs.iter()
                .filter_map(|r| get(r))
                .collect::<BTreeSet<_>>()
                .len()
                > 1
        };
        if distinct(&|r| r.replica_state.as_deref()) {
            fields.insert("replica_state");
        }
        if distinct(&|r| r.status.as_deref()) {
            fields.insert("status");
        }
        let settled = |n: u32| {
            if unsettled.contains(self.id_str(n)) {
                None
            } else {
                self.region_of(n)
            }
        };
        let (pr, dreg) = (settled(p), settled(d));
        let differs = |stated: &Option<String>, actual: Option<&str>| matches!((stated.as_deref(), actual), (Some(s), Some(a)) if s != a);
        if recs.iter().any(|r| differs(&r.master_region, pr)) {
            fields.insert("master_region");
        }
        if recs.iter().any(|r| differs(&r.slave_region, dreg)) {
            fields.insert("slave_region");
        }
        if fields.is_empty() {
            return;
        }
        let (primary, dr) = self.pair(p, d);
        let mut records: Vec<HealthRecord> = recs
            .iter()
            .map(|r| HealthRecord {
                id: r.id.clone(),
                master_region: r.master_region.clone(),
                replica_state: r.replica_state.clone(),
                slave_region: r.slave_region.clone(),
                source: format!("{}/{}", r.source.0, r.source.1),
                status: r.status.clone(),
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
        captured: &HashSet<(String, String)>,
        findings: &mut Vec<Finding>,
    ) {
        let mut sources: Vec<String> = [p, d]
            .into_iter()
            .filter_map(|n| {
                let loc = self.location(self.where_is(n));
                let key = (loc.region?.to_owned(), loc.project_id?.to_owned());
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

    /// `health-orphan` for a record whose pair is no edge, when
    /// ListDrRelations was captured for the record's source or where one of
    /// its ends is.
    fn orphan(&self, r: &InfoRecord, relations: &HashSet<(String, String)>) -> Option<Finding> {
        let source = format!("{}/{}", r.source.0, r.source.1);
        let mut wheres = vec![r.source.clone()];
        for id in [&r.master, &r.slave] {
            if let Some(n) = self.ids.find(id) {
                let loc = self.location(self.where_is(n));
                if let (Some(reg), Some(proj)) = (loc.region, loc.project_id) {
                    wheres.push((reg.to_owned(), proj.to_owned()));
                }
            }
        }
        if !wheres.iter().any(|w| relations.contains(w)) {
            return None;
        }
        Some(Finding::new(
            HealthOrphan {
                dr: r.slave.clone(),
                id: r.id.clone(),
                primary: r.master.clone(),
                source: source.clone(),
            },
            vec![r.master.clone(), r.slave.clone()],
            format!(
                "ListDrInfos record {} in {source} pairs {} -> {}, which no captured relation does",
                r.id, r.master, r.slave
            ),
        ))
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
