//! The merged topology: what [`Topology`] holds, and the accessors that
//! name its parts (ids, sources, findings, the report).
//!
//! It is built once ([`merge`](crate::merge)) and only read afterwards. The
//! domain modules add their own accessors: [`locations`](crate::locations),
//! [`edges`](crate::edges), [`groups`](crate::groups),
//! [`view`](crate::view), [`graph`](crate::graph) and
//! [`impact`](crate::impact).

use std::fmt;

use crate::builder::LocationTable;
use crate::edges::Claim;
use crate::finding::{Finding, Report, Summary};
use crate::graph::Graph;
use crate::groups::GroupData;
use crate::ids::{IdTable, IdText};
use crate::locations::SourceRef;
use crate::strings::{Strings, Sym};

/// The health of every edge without a ListDrInfos record.
static UNKNOWN_HEALTH: crate::health::EdgeHealth = crate::health::EdgeHealth::UNKNOWN;

/// The merged, validated and analysed DR topology of the captures.
///
/// Build it with [`Topology::builder`]. Instances are nodes keyed by id,
/// primary -> DR relations are edges; every accessor returns items sorted by
/// id, so outputs are stable whatever the order of the captures.
pub struct Topology {
    /// Every instance id, in id order: node `n` is `ids[n]`.
    pub(crate) ids: IdTable,
    pub(crate) strs: Strings,
    /// The locations that the claims state, and the nodes' settled ones.
    pub(crate) places: LocationTable,
    /// The captured (region, project) sources, in text order.
    pub(crate) sources: Vec<(Sym, Sym)>,
    pub(crate) graph: Graph,
    /// Every edge's claims, edge by edge (see [`crate::edges::EdgeState`]).
    pub(crate) claims: Vec<Claim>,
    /// (node, source) of every own record, sorted.
    pub(crate) own_records: Vec<(u32, u32)>,
    pub(crate) groups: Vec<GroupData>,
    /// Every group's members, sorted, back to back.
    pub(crate) members: Vec<u32>,
    /// Each node's index into `groups`.
    pub(crate) node_group: Vec<u32>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) summary: Summary,
    /// Every edge's replication health, in edge order, compact (see
    /// [`EdgeHealths`](crate::health::EdgeHealths)).
    pub(crate) health: crate::health::EdgeHealths,
    /// The thresholds the health was judged by.
    pub(crate) thresholds: crate::health::Thresholds,
}

impl fmt::Debug for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topology")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Topology {
    /// A builder to add captures and failed targets to.
    pub fn builder() -> crate::TopologyBuilder {
        crate::TopologyBuilder::new()
    }

    /// `node`'s id, written out for the caller (see [`IdTable`]).
    pub(crate) fn id(&self, node: u32) -> IdText<'_> {
        self.ids.text(node)
    }

    /// `node`'s id, borrowed from the table of all ids (written out when
    /// first needed): for the views, whose ids are `&str`s.
    pub(crate) fn id_str(&self, node: u32) -> &str {
        self.ids.get(node)
    }

    /// The ids of `nodes`, owned, in the order given.
    pub(crate) fn ids_of(&self, nodes: impl IntoIterator<Item = u32>) -> Vec<String> {
        nodes.into_iter().map(|n| self.id(n).to_owned()).collect()
    }

    /// Source number `source` (an index into the sorted sources).
    pub(crate) fn source_ref(&self, source: u32) -> SourceRef<'_> {
        let (r, p) = self.sources[source as usize];
        SourceRef {
            region: self.strs.get(r),
            project_id: self.strs.get(p),
        }
    }

    /// Source number `source` as `REGION/PROJECT_ID`.
    pub(crate) fn source_text(&self, source: u32) -> String {
        self.source_ref(source).to_string()
    }

    /// Number of instances.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Number of primary -> DR edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The captured sources, sorted.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = SourceRef<'_>> + '_ {
        (0..self.sources.len() as u32).map(|s| self.source_ref(s))
    }

    /// Every finding, sorted (severity, code, instances).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The replication health of the edge from `primary` to `dr` (`None`
    /// when there is no such edge).
    pub fn edge_health(&self, primary: &str, dr: &str) -> Option<&crate::health::EdgeHealth> {
        let (p, d) = (self.ids.find(primary)?, self.ids.find(dr)?);
        let e = self
            .graph
            .find_edge(crate::graph::ix(p), crate::graph::ix(d))?;
        Some(self.health_of(e.index()))
    }

    /// The health of edge number `e` (view order), with its attributes.
    pub(crate) fn health_of(&self, e: usize) -> &crate::health::EdgeHealth {
        self.health_record(e).unwrap_or(&UNKNOWN_HEALTH)
    }

    /// The health of edge number `e` with its attributes, when a
    /// ListDrInfos record is on it.
    pub(crate) fn health_record(&self, e: usize) -> Option<&crate::health::EdgeHealth> {
        self.health.full(e, &self.strs, self.thresholds)
    }

    /// The ListDrInfos record that decides edge number `e`'s health and
    /// attributes (the one [`health_of`](Self::health_of) takes them from),
    /// read in place: for callers that compare edges without writing every
    /// edge's [`EdgeHealth`](crate::health::EdgeHealth).
    pub(crate) fn deciding_record(&self, e: usize) -> Option<crate::health::claims::ClaimText<'_>> {
        let &c = self.health.members_of(e).first()?;
        Some(self.health.claim(c, &self.strs))
    }

    /// The health of edge number `e` (view order).
    pub(crate) fn health_at(&self, e: usize) -> crate::health::Health {
        self.health.health(e)
    }

    /// The thresholds the health was judged by.
    pub fn thresholds(&self) -> crate::health::Thresholds {
        self.thresholds
    }

    /// The counts of the report.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// The `check --format json` report (summary and sorted findings).
    pub fn report(&self) -> Report {
        Report {
            summary: self.summary,
            findings: self.findings.clone(),
        }
    }
}
