//! The merged graph: built once from the builder's claims, then read by the
//! accessors, the view, the report and the impact analysis.

use std::collections::HashSet;
use std::fmt;

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::algo::kosaraju_scc;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableGraph};
use petgraph::visit::{EdgeRef, NodeFiltered};
use serde_json::{Value, json};

use crate::bucket::{bucket_by, sort_bucket};
use crate::builder::{LocationId, LocationTable, RawEdge, Side, StatedLocation, TopologyBuilder};
use crate::finding::{Code, Finding, Report, Severity, Summary};
use crate::ids::{IdTable, IdText};
use crate::prefetch::{AHEAD, prefetch};
use crate::strings::{FastHash, Strings, Sym};
use crate::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};

type Graph = StableGraph<NodeData, EdgeData, petgraph::Directed, u32>;

#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeData {
    /// Where it is (see [`Topology::loc`]).
    pub(crate) loc: LocationId,
    pub(crate) role: Role,
    /// Whether some captured source returned this instance's own record.
    pub(crate) has_local: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct EdgeData {
    pub(crate) status: EdgeStatus,
    /// This edge's claims: `Topology::claims[start..end]`.
    start: u32,
    end: u32,
}

/// One record's word for an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Claim {
    source: u32,
    side: Side,
    /// What the record says about the other end.
    peer: LocationId,
}

#[derive(Clone, Copy, Debug)]
struct GroupData {
    root: u32,
    depth: u32,
    /// Members: `Topology::members[start..start + len]`, sorted.
    start: u32,
    len: u32,
}

/// Who stated a location: a source's own record, or a peer object in the
/// record of another instance.
#[derive(Clone, Copy, Debug)]
struct Prov {
    source: u32,
    /// `(record owner, side the record speaks for)` for a peer claim.
    via: Option<(u32, Side)>,
}

/// A (region, project) that was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef<'a> {
    /// Region id.
    pub region: &'a str,
    /// Project id.
    pub project_id: &'a str,
}

impl fmt::Display for SourceRef<'_> {
    /// `REGION/PROJECT_ID`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.region, self.project_id)
    }
}

/// A location as known or claimed; any part may be unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location<'a> {
    /// Region id.
    pub region: Option<&'a str>,
    /// Project id.
    pub project_id: Option<&'a str>,
    /// Project name (only peer objects carry it).
    pub project_name: Option<&'a str>,
}

impl fmt::Display for Location<'_> {
    /// `REGION/PROJECT_ID`, with `?` for an unknown part.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.region.unwrap_or("?"),
            self.project_id.unwrap_or("?")
        )
    }
}

/// How a claim about an instance's location was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via<'a> {
    /// The instance's own record was returned by the source: the location
    /// is the source's (region, project).
    Record,
    /// A peer object in `record`'s record: `master_instance` when `side` is
    /// [`Side::Dr`], an entry of `slave_instances` when it is
    /// [`Side::Primary`].
    Peer {
        /// The instance whose record holds the peer object.
        record: &'a str,
        /// Which side `record` speaks for.
        side: Side,
    },
}

/// One statement of where an instance is, with its provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocationClaim<'a> {
    /// The capture it came from.
    pub source: SourceRef<'a>,
    /// Own record or peer object.
    pub via: Via<'a>,
    /// What it says.
    pub location: Location<'a>,
}

/// One instance of the merged topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// Instance id.
    pub id: &'a str,
    /// Its location: from its own record when a source returned one (the
    /// smallest such source), else the smallest complete peer claim; the
    /// project name is the smallest one claimed for that project.
    pub location: Location<'a>,
    /// Role in the topology.
    pub role: Role,
    /// Root primary of its DR group (its own id when standalone).
    pub group: &'a str,
    /// Whether a captured source returned its own record.
    pub has_own_record: bool,
}

/// One record's word for an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeClaim<'a> {
    /// Which side's record says it.
    pub side: Side,
    /// The capture it came from.
    pub source: SourceRef<'a>,
    /// Where the record says the other end is.
    pub peer: Location<'a>,
}

/// One primary -> DR edge with its claimants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge<'a> {
    /// The primary's id.
    pub primary: &'a str,
    /// The DR's id.
    pub dr: &'a str,
    /// How well it is attested.
    pub status: EdgeStatus,
    /// Whether the ends are in different regions (`None` if a region is unknown).
    pub cross_region: Option<bool>,
    /// Every claim, sorted by side then source.
    pub claims: Vec<EdgeClaim<'a>>,
}

/// A DR group: a weakly connected component of the primary -> DR graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group<'a> {
    /// The root primary: the smallest id without a primary; the smallest id
    /// when every member has one (a cycle).
    pub root: &'a str,
    /// Members, sorted by id (a standalone instance is a group of one).
    pub members: Vec<&'a str>,
    /// Longest shortest DR path from a member without a primary: 0 for a
    /// standalone instance, 1 for a primary with DRs, 2 with a cascade.
    pub depth: usize,
}

/// The merged, validated and analysed DR topology of the captures.
///
/// Build it with [`Topology::builder`]. Instances are nodes keyed by id,
/// primary -> DR relations are edges; every accessor returns items sorted by
/// id, so outputs are stable whatever the order of the captures.
pub struct Topology {
    pub(crate) ids: IdTable,
    pub(crate) strs: Strings,
    /// The locations that the claims state.
    places: LocationTable,
    sources: Vec<(Sym, Sym)>,
    pub(crate) graph: Graph,
    claims: Vec<Claim>,
    /// (node, source) of every own record, sorted.
    locals: Vec<(u32, u32)>,
    groups: Vec<GroupData>,
    members: Vec<u32>,
    /// Each node's index into `groups`.
    node_group: Vec<u32>,
    findings: Vec<Finding>,
    summary: Summary,
}

impl fmt::Debug for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topology")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

fn ix(i: u32) -> NodeIndex<u32> {
    NodeIndex::new(i as usize)
}

fn nid(n: NodeIndex<u32>) -> u32 {
    n.index() as u32
}

impl Topology {
    /// A builder to add captures and failed targets to.
    pub fn builder() -> TopologyBuilder {
        TopologyBuilder::new()
    }

    pub(crate) fn from_builder(b: TopologyBuilder) -> Topology {
        let TopologyBuilder {
            ids,
            strs,
            sources,
            locals,
            edges,
            mut places,
            selfs,
            dups,
            empties,
            malformed,
            failed,
            ..
        } = b;
        let strs = strs.freeze();
        let n = ids.len();
        let parallel = n >= PARALLEL_MIN_NODES;

        // Sources in (region, project) order, so that index order is text order.
        let mut order: Vec<u32> = (0..sources.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (sources[a as usize], sources[b as usize]);
            (strs.get(a.0), strs.get(a.1)).cmp(&(strs.get(b.0), strs.get(b.1)))
        });
        let mut srank = vec![0u32; sources.len()];
        for (new, &old) in order.iter().enumerate() {
            srank[old as usize] = new as u32;
        }
        let sources: Vec<(Sym, Sym)> = order.iter().map(|&o| sources[o as usize]).collect();
        let source = |old: u32| srank[old as usize];
        // Every node's place until its location is settled.
        let unknown = places.id_of(StatedLocation::default());

        // Nodes are numbered in id order, so the ids are sorted first. On
        // the other thread meanwhile, the own records are grouped by
        // instance as first seen (each group is taken in id order below),
        // and the graph gets its nodes.
        let ((sorted_ids, rank), (own_by_first, mut graph)) = join(
            parallel,
            || ids.sort(),
            || {
                let own = bucket_by(
                    locals.iter(),
                    n,
                    |&&(x, _)| x as usize,
                    |&&(_, s)| source(s),
                );
                drop(locals);
                (own, graph_nodes(n, edges.len(), unknown))
            },
        );
        let node = |old: u32| rank[old as usize];

        // The own records in id order and the id table on one thread, the
        // edges on the other.
        let ((ids, locals), (pairs, ends, claims)) = join(
            parallel,
            || {
                let (sources, starts) = own_by_first;
                let mut own = Vec::with_capacity(sources.len());
                for (node, x) in (0..).zip(sorted_ids.first_seen()) {
                    let from = own.len();
                    let of = &sources[starts[x as usize] as usize..starts[x as usize + 1] as usize];
                    own.extend(of.iter().map(|&s| (node, s)));
                    sort_bucket(&mut own[from..], Ord::cmp);
                }
                own.dedup();
                (sorted_ids.into_table(), own)
            },
            || {
                let mut raw: Vec<RawEdge> = edges;
                for e in &mut raw {
                    e.primary = node(e.primary);
                    e.dr = node(e.dr);
                    e.source = source(e.source);
                }
                edge_claims(raw, n, &strs, &places)
            },
        );

        let mut topology = Topology {
            ids,
            strs,
            places,
            sources,
            graph: Graph::default(),
            claims,
            locals,
            groups: Vec::new(),
            members: Vec::new(),
            node_group: Vec::new(),
            findings: Vec::new(),
            summary: Summary::default(),
        };
        let mut findings = Vec::new();
        // The graph, then the DR groups (their components, roots and
        // depths), depend on the edges alone: made on one thread while the
        // other settles every node's location (together they take about
        // as long). The settled locations join the places (in a copy: the
        // claims' places are read meanwhile).
        let mut places = topology.places.clone();
        let ((graph, groups, degree), located) = join(
            parallel,
            || {
                graph_edges(&mut graph, &pairs, &ends);
                let (groups, degree) = groups_of(n, &pairs);
                (graph, groups, degree)
            },
            || {
                let about = PeerClaims::new(n, &pairs, &ends, &topology.claims);
                topology.locate(&about, &mut places, &mut findings)
            },
        );
        topology.places = places;
        topology.graph = graph;
        for (k, (loc, has_local)) in located.into_iter().enumerate() {
            let data = &mut topology.graph[ix(k as u32)];
            data.loc = loc;
            data.has_local = has_local;
        }
        // The nodes' roles on one thread while the other classifies the
        // edges; both only read the graph, and what they settle is written
        // into it afterwards.
        let ((roles, more), statuses) = join(
            parallel,
            || {
                let mut findings = Vec::new();
                let roles = topology.degrees(&pairs, &degree, &mut findings);
                (roles, findings)
            },
            || {
                let failed = topology.failed_targets(failed, &mut findings);
                topology.classify_edges(&failed, &mut findings)
            },
        );
        findings.extend(more);
        for (k, status) in statuses.into_iter().enumerate() {
            if let Some(edge) = topology.graph.edge_weight_mut(EdgeIndex::new(k)) {
                edge.status = status;
            }
        }
        for (k, role) in roles.into_iter().enumerate() {
            topology.graph[ix(k as u32)].role = role;
        }
        topology.cycles(&mut findings);
        drop((pairs, ends));
        topology.set_groups(groups);
        topology.record_findings(
            &rank,
            &srank,
            selfs,
            dups,
            empties,
            malformed,
            &mut findings,
        );

        findings.sort_by(Finding::report_order);
        findings.dedup();
        let mut summary = Summary {
            sources: topology.sources.len(),
            instances: n,
            edges: topology.graph.edge_count(),
            confirmed_edges: topology
                .graph
                .edge_weights()
                .filter(|e| e.status == EdgeStatus::Confirmed)
                .count(),
            ..Summary::default()
        };
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        topology.findings = findings;
        topology.summary = summary;
        topology
    }

    // ----- naming helpers -------------------------------------------------

    /// `node`'s id, written out for the caller (see [`IdTable`]).
    pub(crate) fn id(&self, node: u32) -> IdText<'_> {
        self.ids.text(node)
    }

    /// `node`'s id, borrowed from the table of all ids (written out when
    /// first needed): for the views, whose ids are `&str`s.
    pub(crate) fn id_str(&self, node: u32) -> &str {
        self.ids.get(node)
    }

    fn source_ref(&self, source: u32) -> SourceRef<'_> {
        let (r, p) = self.sources[source as usize];
        SourceRef {
            region: self.strs.get(r),
            project_id: self.strs.get(p),
        }
    }

    fn src(&self, source: u32) -> String {
        self.source_ref(source).to_string()
    }

    pub(crate) fn location(&self, loc: StatedLocation) -> Location<'_> {
        Location {
            region: self.strs.opt(loc.region),
            project_id: self.strs.opt(loc.project),
            project_name: self.strs.opt(loc.name),
        }
    }

    pub(crate) fn node_data(&self, node: u32) -> &NodeData {
        &self.graph[ix(node)]
    }

    /// The location at `place`.
    pub(crate) fn loc(&self, place: LocationId) -> StatedLocation {
        self.places.get(place)
    }

    /// The DR group `node` is in.
    fn group_data_of(&self, node: u32) -> &GroupData {
        &self.groups[self.node_group[node as usize] as usize]
    }

    /// Where `node` is.
    pub(crate) fn loc_of(&self, node: u32) -> StatedLocation {
        self.loc(self.node_data(node).loc)
    }

    pub(crate) fn region_of(&self, node: u32) -> Option<&str> {
        self.strs.opt(self.loc_of(node).region)
    }

    fn ids_of(&self, nodes: impl IntoIterator<Item = u32>) -> Vec<String> {
        nodes.into_iter().map(|n| self.id(n).to_owned()).collect()
    }

    fn prov_text(&self, prov: Prov) -> String {
        match prov.via {
            None => format!("its own record in {}", self.src(prov.source)),
            Some((record, _)) => format!(
                "the record of {} in {}",
                self.id(record),
                self.src(prov.source)
            ),
        }
    }

    fn prov_json(&self, prov: Prov) -> Value {
        match prov.via {
            None => json!({"source": self.src(prov.source), "via": "record"}),
            Some((record, side)) => json!({
                "source": self.src(prov.source),
                "via": match side { Side::Dr => "master_instance", Side::Primary => "slave_instances" },
                "record": self.id(record),
            }),
        }
    }

    // ----- build passes ---------------------------------------------------

    /// Every location claim about `node` (for [`Topology::location_claims`],
    /// which sorts them): its own records, then what the records of its
    /// primaries and DRs say of it.
    fn claims_about(&self, node: u32) -> Vec<(StatedLocation, Prov)> {
        let first = self.locals.partition_point(|&(x, _)| x < node);
        let len = self.locals[first..]
            .iter()
            .take_while(|&&(x, _)| x == node)
            .count();
        let mut out = Vec::new();
        self.own_claims(first..first + len, &mut out);
        // A primary's record speaks of its DRs, a DR's of its primary.
        for (direction, side) in [(Incoming, Side::Primary), (Outgoing, Side::Dr)] {
            for e in self.graph.edges_directed(ix(node), direction) {
                let record = if direction == Incoming {
                    e.source()
                } else {
                    e.target()
                };
                for c in self
                    .edge_claims(e.weight())
                    .iter()
                    .filter(|c| c.side == side)
                {
                    let via = Some((nid(record), side));
                    out.push((
                        self.loc(c.peer),
                        Prov {
                            source: c.source,
                            via,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Where a source's own records place their instances.
    fn source_loc(&self, source: u32) -> StatedLocation {
        let (region, project) = self.sources[source as usize];
        StatedLocation {
            region: Some(region),
            project: Some(project),
            name: None,
        }
    }

    /// The location claims of a node's own records (`self.locals[locals]`),
    /// in source order, into `out` (cleared first).
    fn own_claims(&self, locals: std::ops::Range<usize>, out: &mut Vec<(StatedLocation, Prov)>) {
        out.clear();
        out.extend(self.locals[locals].iter().map(|&(_, s)| {
            (
                self.source_loc(s),
                Prov {
                    source: s,
                    via: None,
                },
            )
        }));
    }

    fn edge_claims(&self, e: &EdgeData) -> &[Claim] {
        &self.claims[e.start as usize..e.end as usize]
    }

    /// Settles each node's location; reports location and project-name
    /// conflicts. `about` holds the peer claims about every node, so that
    /// this pass reads memory in order rather than walking the graph.
    fn locate(
        &self,
        about: &PeerClaims<'_>,
        places: &mut LocationTable,
        findings: &mut Vec<Finding>,
    ) -> Vec<(LocationId, bool)> {
        let mut located = Vec::with_capacity(self.ids.len());
        // What every claim about the node says; the provenance is only
        // looked up for the (few) nodes with a conflict.
        let mut claims: Vec<StatedLocation> = Vec::new();
        let mut regions: Vec<Sym> = Vec::new();
        let mut projects: Vec<Sym> = Vec::new();
        let mut cursor = 0;
        for node in 0..self.ids.len() as u32 {
            let first = cursor;
            while cursor < self.locals.len() && self.locals[cursor].0 == node {
                cursor += 1;
            }
            claims.clear();
            claims.extend(
                self.locals[first..cursor]
                    .iter()
                    .map(|&(_, s)| self.source_loc(s)),
            );
            claims.extend(about.of(node).iter().map(|&(at, _)| self.loc(at)));
            let has_local = cursor > first;
            let key = |l: &StatedLocation| {
                (
                    l.region.is_none(),
                    l.project.is_none(),
                    self.strs.opt(l.region),
                    self.strs.opt(l.project),
                )
            };
            let mut loc = if has_local {
                claims[0]
            } else {
                claims
                    .iter()
                    .copied()
                    .min_by(|a, b| key(a).cmp(&key(b)))
                    .unwrap_or_default()
            };
            loc.name = None;
            for l in &claims {
                if let Some(name) = l.name
                    && (loc.project.is_none() || l.project == loc.project)
                    && loc.name.is_none_or(|best| {
                        best != name && self.strs.get(name) < self.strs.get(best)
                    })
                {
                    loc.name = Some(name);
                }
            }
            regions.clear();
            projects.clear();
            let mut named = false;
            for l in &claims {
                if let Some(r) = l.region
                    && !regions.contains(&r)
                {
                    regions.push(r);
                }
                if let Some(p) = l.project
                    && !projects.contains(&p)
                {
                    projects.push(p);
                }
                named |= l.name.is_some() && l.name != loc.name;
            }
            let conflict = regions.len() > 1 || projects.len() > 1;
            if conflict || named {
                let mut claims = Vec::new();
                self.own_claims(first..cursor, &mut claims);
                claims.extend(about.provs(node).map(|(at, prov)| (self.loc(at), prov)));
                if conflict {
                    findings.push(self.location_conflict(node, &claims));
                }
                if named {
                    self.name_conflicts(node, &claims, findings);
                }
            }
            // Usually a peer claim says just this: its place is known.
            let place = about
                .of(node)
                .iter()
                .map(|&(at, _)| at)
                .find(|&at| self.loc(at) == loc)
                .unwrap_or_else(|| places.id_of(loc));
            located.push((place, has_local));
        }
        located
    }

    /// For values claimed by several sources: the message parts ("VALUE by
    /// SOURCE, SOURCE") and the details (the value's fields plus
    /// `claimed_by`), in the order given.
    fn attributed<K>(
        &self,
        claims: &[(K, Vec<Prov>)],
        label: impl Fn(&K) -> String,
        fields: impl Fn(&K) -> Value,
    ) -> (Vec<String>, Vec<Value>) {
        claims
            .iter()
            .map(|(value, provs)| {
                let who: Vec<String> = provs.iter().map(|p| self.prov_text(*p)).collect();
                let mut detail = fields(value);
                if let Value::Object(map) = &mut detail {
                    map.insert(
                        "claimed_by".into(),
                        provs.iter().map(|p| self.prov_json(*p)).collect(),
                    );
                }
                (format!("{} by {}", label(value), who.join(", ")), detail)
            })
            .unzip()
    }

    fn location_conflict(&self, node: u32, claims: &[(StatedLocation, Prov)]) -> Finding {
        // Group the claims by what they say (region, project).
        let mut said: Vec<(Location<'_>, Vec<Prov>)> = Vec::new();
        for (l, prov) in claims {
            let mut l = self.location(*l);
            l.project_name = None;
            match said.iter_mut().find(|(k, _)| *k == l) {
                Some((_, provs)) => provs.push(*prov),
                None => said.push((l, vec![*prov])),
            }
        }
        said.sort_by(|a, b| a.0.cmp(&b.0));
        let id = self.id(node);
        let (text, details) = self.attributed(
            &said,
            |l| l.to_string(),
            |l| json!({"region": l.region, "project_id": l.project_id}),
        );
        Finding::new(
            Code::LocationConflict,
            vec![id.to_owned()],
            format!(
                "{id} is reported in different locations: {}",
                text.join("; ")
            ),
            json!({ "claims": details }),
        )
    }

    fn name_conflicts(
        &self,
        node: u32,
        claims: &[(StatedLocation, Prov)],
        findings: &mut Vec<Finding>,
    ) {
        let mut projects: Vec<Sym> = claims.iter().filter_map(|(l, _)| l.project).collect();
        projects.sort_by(|a, b| self.strs.get(*a).cmp(self.strs.get(*b)));
        projects.dedup();
        let id = self.id(node);
        for project in projects {
            let mut names: Vec<(&str, Vec<Prov>)> = Vec::new();
            for (l, prov) in claims.iter().filter(|(l, _)| l.project == Some(project)) {
                let Some(name) = self.strs.opt(l.name) else {
                    continue;
                };
                match names.iter_mut().find(|(k, _)| *k == name) {
                    Some((_, provs)) => provs.push(*prov),
                    None => names.push((name, vec![*prov])),
                }
            }
            if names.len() < 2 {
                continue;
            }
            names.sort_by(|a, b| a.0.cmp(b.0));
            let project = self.strs.get(project);
            let (text, details) = self.attributed(
                &names,
                |name| format!("{name:?}"),
                |name| json!({ "project_name": name }),
            );
            findings.push(Finding::new(
                Code::ProjectNameConflict,
                vec![id.to_owned()],
                format!(
                    "{id} (project {project}) is reported with different project names: {}",
                    text.join("; ")
                ),
                json!({ "project_id": project, "names": details }),
            ));
        }
    }

    /// Reports failed targets; returns them as (region, project) strings.
    fn failed_targets(
        &self,
        mut failed: Vec<(rds_dr_model::Source, String)>,
        findings: &mut Vec<Finding>,
    ) -> HashSet<(String, String)> {
        failed.sort();
        failed.dedup();
        let mut set = HashSet::new();
        let mut i = 0;
        while i < failed.len() {
            let target = failed[i].0.clone();
            let mut messages = Vec::new();
            while i < failed.len() && failed[i].0 == target {
                messages.push(failed[i].1.as_str());
                i += 1;
            }
            let message = messages.join("; ");
            findings.push(Finding::new(
                Code::QueryFailed,
                Vec::new(),
                format!(
                    "{target} could not be fetched ({message}); relations seen only from there are missing, so coverage is partial"
                ),
                json!({"source": target.to_string(), "message": message}),
            ));
            set.insert((target.region, target.project_id));
        }
        set
    }

    /// Each edge's status, by edge index; reports one-sided edges and
    /// same-region DRs. The DRs lie all over memory: each is prefetched a
    /// few edges ahead.
    fn classify_edges(
        &self,
        failed: &HashSet<(String, String)>,
        findings: &mut Vec<Finding>,
    ) -> Vec<EdgeStatus> {
        let pairs: HashSet<(Sym, Sym), FastHash> = self.sources.iter().copied().collect();
        let projects: HashSet<Sym, FastHash> = self.sources.iter().map(|s| s.1).collect();
        let queried = |n: &NodeData| {
            let loc = self.loc(n.loc);
            n.has_local
                || match (loc.region, loc.project) {
                    (Some(r), Some(p)) => pairs.contains(&(r, p)),
                    (None, Some(p)) => projects.contains(&p),
                    _ => false,
                }
        };
        let node_at = NodeAt::new(&self.graph);
        let ends = |k: usize| self.graph.edge_endpoints(EdgeIndex::new(k));
        (0..self.graph.edge_count())
            .map(|k| {
                if let Some((_, ahead)) = ends(k + AHEAD) {
                    prefetch(node_at.get(nid(ahead)));
                }
                match ends(k) {
                    Some((p, d)) => {
                        let edge = EdgeIndex::new(k);
                        self.classify_edge(edge, (nid(p), nid(d)), &queried, failed, findings)
                    }
                    // No such edge (none is ever removed): any status.
                    None => EdgeStatus::Unverified,
                }
            })
            .collect()
    }

    /// The status of `edge`, from primary `p` to DR `d` (see
    /// [`Topology::classify_edges`]).
    fn classify_edge(
        &self,
        edge: EdgeIndex<u32>,
        (p, d): (u32, u32),
        queried: &impl Fn(&NodeData) -> bool,
        failed: &HashSet<(String, String)>,
        findings: &mut Vec<Finding>,
    ) -> EdgeStatus {
        let (of_primary, of_dr) = (self.node_data(p), self.node_data(d));
        let claims = self.edge_claims(&self.graph[edge]);
        let by_primary = claims.iter().any(|c| c.side == Side::Primary);
        let by_dr = claims.iter().any(|c| c.side == Side::Dr);
        let status = match (by_primary, by_dr) {
            (true, true) => EdgeStatus::Confirmed,
            (true, false) if queried(of_dr) => EdgeStatus::PrimaryOnly,
            (false, true) if queried(of_primary) => EdgeStatus::DrOnly,
            _ => EdgeStatus::Unverified,
        };
        if status != EdgeStatus::Confirmed {
            findings.push(self.one_sided(p, d, status, claims, failed));
        }
        if let (Some(rp), Some(rd)) = (self.loc(of_primary.loc).region, self.loc(of_dr.loc).region)
            && rp == rd
        {
            let (pid, did, region) = (self.id(p), self.id(d), self.strs.get(rp));
            findings.push(Finding::new(
                Code::SameRegionDr,
                vec![pid.to_owned(), did.to_owned()],
                format!("DR {did} is in the same region ({region}) as its primary {pid}"),
                json!({"primary": pid, "dr": did, "region": region}),
            ));
        }
        status
    }

    fn one_sided(
        &self,
        p: u32,
        d: u32,
        status: EdgeStatus,
        claims: &[Claim],
        failed: &HashSet<(String, String)>,
    ) -> Finding {
        let side = if claims.iter().any(|c| c.side == Side::Primary) {
            Side::Primary
        } else {
            Side::Dr
        };
        let claimants: Vec<String> = claims
            .iter()
            .filter(|c| c.side == side)
            .map(|c| self.src(c.source))
            .collect();
        let (pid, did) = (self.id(p), self.id(d));
        let said = match side {
            Side::Primary => format!("{} says primary {pid} has DR {did}", claimants.join(", ")),
            Side::Dr => format!("{} says DR {did} has primary {pid}", claimants.join(", ")),
        };
        let other = match side {
            Side::Primary => d,
            Side::Dr => p,
        };
        let other_loc = self.location(self.loc_of(other));
        let other_text = other_loc.to_string();
        let details_other = json!({"region": other_loc.region, "project_id": other_loc.project_id});
        if status == EdgeStatus::Unverified {
            let was_failed = match (other_loc.region, other_loc.project_id) {
                (Some(r), Some(pr)) => failed.contains(&(r.to_owned(), pr.to_owned())),
                (None, Some(pr)) => failed.iter().any(|(_, fp)| fp == pr),
                _ => false,
            };
            let why = if was_failed {
                "which could not be fetched"
            } else {
                "which was not queried"
            };
            Finding::new(
                Code::UnverifiedEdge,
                vec![pid.to_owned(), did.to_owned()],
                format!(
                    "{said}; the other side is in {other_text}, {why}, so the relation is unverified"
                ),
                json!({
                    "claimed_by": side.as_str(),
                    "primary": pid,
                    "dr": did,
                    "sources": claimants,
                    "other_side": details_other,
                    "other_side_failed": was_failed,
                }),
            )
        } else {
            Finding::new(
                Code::UnconfirmedEdge,
                vec![pid.to_owned(), did.to_owned()],
                format!("{said}, but {other_text} (queried) does not list it"),
                json!({
                    "claimed_by": side.as_str(),
                    "primary": pid,
                    "dr": did,
                    "sources": claimants,
                    "other_side": details_other,
                    "status": status.as_str(),
                }),
            )
        }
    }

    /// Roles, conflicting primaries, cascades, primaries without a
    /// cross-region DR, from the edges (`pairs`, ascending) and each node's
    /// [`Degree`] (from [`groups_of`]). The graph is walked only for
    /// the (few) instances with several primaries or with both a primary
    /// and DRs.
    fn degrees(
        &self,
        pairs: &[(u32, u32)],
        degree: &[Degree],
        findings: &mut Vec<Finding>,
    ) -> Vec<Role> {
        let mut roles = Vec::with_capacity(degree.len());
        for (node, d) in (0..).zip(degree) {
            let role = match (!d.has(Degree::PRIMARY), d.has(Degree::DR)) {
                (true, false) => Role::Standalone,
                (true, true) => Role::Primary,
                (false, false) => Role::Dr,
                (false, true) => Role::Cascaded,
            };
            roles.push(role);
            if d.has(Degree::SEVERAL_PRIMARIES) {
                let of: Vec<u32> = self
                    .graph
                    .neighbors_directed(ix(node), Incoming)
                    .map(nid)
                    .collect();
                findings.push(self.conflicting_primary(node, &of));
            }
            if role == Role::Cascaded {
                let id = self.id(node);
                let mut ps =
                    self.ids_of(self.graph.neighbors_directed(ix(node), Incoming).map(nid));
                let mut ds =
                    self.ids_of(self.graph.neighbors_directed(ix(node), Outgoing).map(nid));
                ps.sort();
                ds.sort();
                findings.push(Finding::new(
                    Code::CascadedDr,
                    vec![id.to_owned()],
                    format!(
                        "{id} is a DR of {} and also the primary of {}",
                        ps.join(", "),
                        ds.join(", ")
                    ),
                    json!({"primaries": ps, "drs": ds}),
                ));
            }
        }
        // A primary's DRs are a run of `pairs`, sorted by id. The DRs lie
        // all over the graph: each is prefetched a few pairs ahead.
        let node_at = NodeAt::new(&self.graph);
        let mut seen = 0;
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            for &(_, ahead) in pairs.iter().skip(seen + AHEAD).take(run.len()) {
                prefetch(node_at.get(ahead));
            }
            seen += run.len();
            let p = run[0].0;
            let Some(region) = self.loc_of(p).region else {
                continue;
            };
            if run
                .iter()
                .all(|&(_, d)| self.loc_of(d).region == Some(region))
            {
                let (id, region) = (self.id(p), self.strs.get(region));
                let ds = self.ids_of(run.iter().map(|&(_, d)| d));
                findings.push(Finding::new(
                    Code::NoCrossRegionDr,
                    vec![id.to_owned()],
                    format!(
                        "primary {id} in {region} has no DR outside {region} (its DRs: {})",
                        ds.join(", ")
                    ),
                    json!({"region": region, "drs": ds}),
                ));
            }
        }
        roles
    }

    fn conflicting_primary(&self, dr: u32, primaries: &[u32]) -> Finding {
        let did = self.id(dr);
        let mut entries: Vec<(String, Vec<&'static str>, Vec<String>)> = Vec::new();
        for e in self.graph.edges_directed(ix(dr), Incoming) {
            let claims = self.edge_claims(e.weight());
            let mut sides: Vec<&'static str> = claims.iter().map(|c| c.side.as_str()).collect();
            sides.sort();
            sides.dedup();
            let mut sources: Vec<String> = claims.iter().map(|c| self.src(c.source)).collect();
            sources.sort();
            sources.dedup();
            entries.push((self.id(nid(e.source())).to_owned(), sides, sources));
        }
        entries.sort();
        let text: Vec<String> = entries
            .iter()
            .map(|(p, _, sources)| format!("{p} (claimed by {})", sources.join(", ")))
            .collect();
        let details: Vec<Value> = entries
            .iter()
            .map(|(p, sides, sources)| json!({"id": p, "claimed_by": sides, "sources": sources}))
            .collect();
        let mut instances = self.ids_of(primaries.iter().copied());
        instances.push(did.to_owned());
        Finding::new(
            Code::ConflictingPrimary,
            instances,
            format!(
                "DR {did} has {} claimed primaries: {}",
                entries.len(),
                text.join("; ")
            ),
            json!({"dr": did, "primaries": details}),
        )
    }

    /// Strongly connected components of two or more instances. Only
    /// instances with both a primary and a DR can be on a cycle, so only they
    /// are searched; Kosaraju's algorithm is iterative, so long chains cannot
    /// overflow the stack.
    fn cycles(&self, findings: &mut Vec<Finding>) {
        let both = NodeFiltered::from_fn(&self.graph, |n: NodeIndex<u32>| {
            self.graph[n].role == Role::Cascaded
        });
        for scc in kosaraju_scc(&both) {
            if scc.len() < 2 {
                continue;
            }
            let mut members: Vec<u32> = scc.into_iter().map(nid).collect();
            members.sort_unstable();
            let path = self.simple_cycle(&members);
            let ids = self.ids_of(members.iter().copied());
            let message = match &path {
                Some(path) => format!(
                    "primary -> DR relations form a cycle: {}",
                    path.join(" -> ")
                ),
                None => format!(
                    "primary -> DR relations form cycles among {} instances: {}",
                    ids.len(),
                    ids.join(", ")
                ),
            };
            findings.push(Finding::new(
                Code::Cycle,
                ids.clone(),
                message,
                json!({"members": ids, "path": path}),
            ));
        }
    }

    /// The ring `a -> b -> ... -> a` when the members form exactly one
    /// simple cycle.
    fn simple_cycle(&self, members: &[u32]) -> Option<Vec<String>> {
        let inside = |n: u32| members.binary_search(&n).is_ok();
        let mut path = vec![members[0]];
        let mut at = members[0];
        loop {
            let mut next = self
                .graph
                .neighbors_directed(ix(at), Outgoing)
                .map(nid)
                .filter(|&n| inside(n));
            let step = next.next()?;
            if next.next().is_some() {
                return None;
            }
            if step == members[0] {
                break;
            }
            if path.len() >= members.len() {
                return None;
            }
            path.push(step);
            at = step;
        }
        if path.len() != members.len() {
            return None;
        }
        path.push(members[0]);
        Some(self.ids_of(path))
    }

    /// Takes the DR groups computed by [`groups_of`].
    fn set_groups(&mut self, groups: Groups) {
        self.groups = groups.data;
        self.members = groups.members;
        self.node_group = groups.of_node;
    }

    #[allow(clippy::too_many_arguments)]
    fn record_findings(
        &self,
        rank: &[u32],
        srank: &[u32],
        selfs: Vec<crate::builder::RawSelf>,
        dups: Vec<(u32, u32, u32)>,
        empties: Vec<(u32, u32)>,
        malformed: Vec<crate::builder::RawMalformed>,
        findings: &mut Vec<Finding>,
    ) {
        let node = |old: u32| rank[old as usize];
        let source = |old: u32| srank[old as usize];

        // Self relations, one finding per instance.
        let mut selfs: Vec<(u32, u32, Side)> = selfs
            .into_iter()
            .map(|s| (node(s.node), source(s.source), s.side))
            .collect();
        selfs.sort_unstable();
        selfs.dedup();
        for chunk in selfs.chunk_by(|a, b| a.0 == b.0) {
            let id = self.id(chunk[0].0);
            let text: Vec<String> = chunk
                .iter()
                .map(|&(_, s, side)| {
                    let what = match side {
                        Side::Dr => "primary (master_instance)",
                        Side::Primary => "DR (slave_instances)",
                    };
                    format!("{} lists {id} as its own {what}", self.src(s))
                })
                .collect();
            let claims: Vec<Value> = chunk
                .iter()
                .map(|&(_, s, side)| {
                    json!({
                        "source": self.src(s),
                        "field": match side { Side::Dr => "master_instance", Side::Primary => "slave_instances" },
                    })
                })
                .collect();
            findings.push(Finding::new(
                Code::SelfRelation,
                vec![id.to_owned()],
                text.join("; "),
                json!({ "claims": claims }),
            ));
        }

        // Duplicate records: count per capture, keep the largest per source.
        let mut dups: Vec<(u32, u32, u32)> = dups
            .into_iter()
            .map(|(x, s, serial)| (node(x), source(s), serial))
            .collect();
        dups.sort_unstable();
        let mut counted: Vec<(u32, u32, usize)> = dups
            .chunk_by(|a, b| a == b)
            .map(|c| (c[0].0, c[0].1, c.len() + 1))
            .collect();
        counted.sort_unstable();
        for chunk in counted.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (x, s) = (chunk[0].0, chunk[0].1);
            let count = chunk.iter().map(|c| c.2).max().unwrap_or(2);
            let (id, src) = (self.id(x), self.src(s));
            findings.push(Finding::new(
                Code::DuplicateRecord,
                vec![id.to_owned()],
                format!("{src} lists {id} in {count} records of one response"),
                json!({"source": src, "records": count}),
            ));
        }

        let mut empties: Vec<(u32, u32)> = empties
            .into_iter()
            .map(|(x, s)| (node(x), source(s)))
            .collect();
        empties.sort_unstable();
        empties.dedup();
        for (x, s) in empties {
            let (id, src) = (self.id(x), self.src(s));
            findings.push(Finding::new(
                Code::EmptyRecord,
                vec![id.to_owned()],
                format!("{src} lists {id} with neither master_instance nor slave_instances"),
                json!({"source": src}),
            ));
        }

        for m in malformed {
            let src = self.src(source(m.source));
            let owner = m.owner.map(|o| self.id(node(o)).to_owned());
            let (message, instances) = match (&owner, m.field.as_str()) {
                (Some(id), field) => (
                    format!(
                        "record {} of {src} (instance {id}): {field} {}",
                        m.index, m.reason
                    ),
                    vec![id.clone()],
                ),
                (None, "record") => (
                    format!("record {} of {src} {}", m.index, m.reason),
                    Vec::new(),
                ),
                (None, _) if m.peers.is_empty() => (
                    format!("record {} of {src} {}", m.index, m.reason),
                    Vec::new(),
                ),
                (None, _) => (
                    format!(
                        "record {} of {src} {}; its relations to {} cannot be attributed",
                        m.index,
                        m.reason,
                        m.peers.join(", ")
                    ),
                    m.peers.clone(),
                ),
            };
            findings.push(Finding::new(
                Code::MalformedRecord,
                instances,
                message,
                json!({
                    "source": src,
                    "index": m.index,
                    "field": m.field,
                    "reason": m.reason,
                    "instance_id": owner,
                }),
            ));
        }
    }

    // ----- public accessors -----------------------------------------------

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

    fn node_at(&self, node: u32) -> Node<'_> {
        let data = self.node_data(node);
        Node {
            id: self.id_str(node),
            location: self.location(self.loc(data.loc)),
            role: data.role,
            group: self.id_str(self.group_data_of(node).root),
            has_own_record: data.has_local,
        }
    }

    /// One instance by id.
    pub fn node(&self, id: &str) -> Option<Node<'_>> {
        self.ids.find(id).map(|n| self.node_at(n))
    }

    /// Every instance, sorted by id.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = Node<'_>> + '_ {
        (0..self.ids.len() as u32).map(|n| self.node_at(n))
    }

    /// Every claim about where instance `id` is, with its provenance: its
    /// own records (one per source that returned it) and every peer object
    /// naming it. Empty for an unknown id.
    pub fn location_claims(&self, id: &str) -> Vec<LocationClaim<'_>> {
        let Some(node) = self.ids.find(id) else {
            return Vec::new();
        };
        let mut out: Vec<LocationClaim<'_>> = self
            .claims_about(node)
            .into_iter()
            .map(|(loc, prov)| LocationClaim {
                source: self.source_ref(prov.source),
                via: match prov.via {
                    None => Via::Record,
                    Some((record, side)) => Via::Peer {
                        record: self.id_str(record),
                        side,
                    },
                },
                location: self.location(loc),
            })
            .collect();
        out.sort();
        out
    }

    fn edge_at(&self, e: EdgeIndex<u32>) -> Option<Edge<'_>> {
        let (p, d) = self.graph.edge_endpoints(e)?;
        let data = &self.graph[e];
        let mut claims: Vec<EdgeClaim<'_>> = self
            .edge_claims(data)
            .iter()
            .map(|c| EdgeClaim {
                side: c.side,
                source: self.source_ref(c.source),
                peer: self.location(self.loc(c.peer)),
            })
            .collect();
        claims.sort();
        Some(Edge {
            primary: self.id_str(nid(p)),
            dr: self.id_str(nid(d)),
            status: data.status,
            cross_region: self.cross_region(nid(p), nid(d)),
            claims,
        })
    }

    pub(crate) fn cross_region(&self, a: u32, b: u32) -> Option<bool> {
        match (self.loc_of(a).region, self.loc_of(b).region) {
            (Some(x), Some(y)) => Some(x != y),
            _ => None,
        }
    }

    /// Every edge with its claims, sorted by (primary, DR).
    pub fn edges(&self) -> impl Iterator<Item = Edge<'_>> + '_ {
        (0..self.graph.edge_count()).filter_map(|k| self.edge_at(EdgeIndex::new(k)))
    }

    /// The edge from `primary` to `dr`, if any record claims it.
    pub fn edge(&self, primary: &str, dr: &str) -> Option<Edge<'_>> {
        let (p, d) = (self.ids.find(primary)?, self.ids.find(dr)?);
        let e = self.graph.find_edge(ix(p), ix(d))?;
        self.edge_at(e)
    }

    /// The DRs of `primary`, sorted (empty for an unknown id).
    pub fn drs_of(&self, primary: &str) -> Vec<&str> {
        self.neighbours(primary, Outgoing)
    }

    /// The primaries of `dr`, sorted: normally one (empty for an unknown id).
    pub fn primaries_of(&self, dr: &str) -> Vec<&str> {
        self.neighbours(dr, Incoming)
    }

    fn neighbours(&self, id: &str, direction: petgraph::Direction) -> Vec<&str> {
        let Some(n) = self.ids.find(id) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = self
            .graph
            .neighbors_directed(ix(n), direction)
            .map(|m| self.id_str(nid(m)))
            .collect();
        out.sort_unstable();
        out
    }

    fn group_at(&self, g: &GroupData) -> Group<'_> {
        Group {
            root: self.id_str(g.root),
            members: self.members[g.start as usize..(g.start + g.len) as usize]
                .iter()
                .map(|&m| self.id_str(m))
                .collect(),
            depth: g.depth as usize,
        }
    }

    /// Every DR group, sorted by root id (standalone instances included, as
    /// groups of one).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = Group<'_>> + '_ {
        self.groups.iter().map(|g| self.group_at(g))
    }

    /// The DR group of instance `id`.
    pub fn group_of(&self, id: &str) -> Option<Group<'_>> {
        let n = self.ids.find(id)?;
        Some(self.group_at(self.group_data_of(n)))
    }

    pub(crate) fn drs(&self, node: u32) -> impl Iterator<Item = (u32, EdgeStatus)> + '_ {
        self.graph
            .edges_directed(ix(node), Outgoing)
            .map(|e| (nid(e.target()), e.weight().status))
    }

    /// The read-only view that exports and text renderings consume: nodes
    /// sorted by id, edges sorted by (source, target).
    pub fn view(&self) -> GraphView<'_> {
        let nodes = (0..self.ids.len() as u32)
            .map(|n| {
                let data = self.node_data(n);
                let loc = self.location(self.loc(data.loc));
                NodeView {
                    id: self.id_str(n),
                    region: loc.region,
                    project_id: loc.project_id,
                    project_name: loc.project_name,
                    role: data.role,
                    group: self.id_str(self.group_data_of(n).root),
                }
            })
            .collect();
        let edges = (0..self.graph.edge_count())
            .filter_map(|k| {
                let e = EdgeIndex::new(k);
                let (p, d) = self.graph.edge_endpoints(e)?;
                Some(EdgeView {
                    source: self.id_str(nid(p)),
                    target: self.id_str(nid(d)),
                    status: self.graph[e].status,
                    cross_region: self.cross_region(nid(p), nid(d)),
                })
            })
            .collect();
        GraphView { nodes, edges }
    }
}

/// The peer claims about every node, grouped by node, each group in a fixed
/// order (it decides the order of the sources in conflict messages): the
/// primary-side claims of the incoming edges, then the DR-side claims of the
/// outgoing ones, edges by descending other end, each edge's claims in
/// order.
pub(crate) struct PeerClaims<'a> {
    /// `start[node]..start[node + 1]` in `about`.
    start: Vec<u32>,
    /// What each claim says, and its index in `claims`.
    about: Vec<(LocationId, u32)>,
    pairs: &'a [(u32, u32)],
    ends: &'a [u32],
    claims: &'a [Claim],
}

impl<'a> PeerClaims<'a> {
    /// From the edges (`pairs`, ascending) and their claims
    /// (`claims[ends[k - 1]..ends[k]]` for edge `k`).
    fn new(n: usize, pairs: &'a [(u32, u32)], ends: &'a [u32], claims: &'a [Claim]) -> Self {
        // The claims in the order they are kept, each with the node it is
        // about: primary-side ones (about the DR), then DR-side ones (about
        // the primary), edges by descending other end. Listed with plain
        // loops first: the counting sort walks the list twice.
        let mut ordered: Vec<(u32, u32)> = Vec::with_capacity(claims.len());
        for side in [Side::Primary, Side::Dr] {
            for (k, &(p, d)) in pairs.iter().enumerate().rev() {
                let about = if side == Side::Primary { d } else { p };
                let start = k.checked_sub(1).map_or(0, |j| ends[j]);
                for c in start..ends[k] {
                    if claims[c as usize].side == side {
                        ordered.push((about, c));
                    }
                }
            }
        }
        let (about, start) = bucket_by(
            ordered.iter(),
            n,
            |&&(node, _)| node as usize,
            |&&(_, c)| (claims[c as usize].peer, c),
        );
        PeerClaims {
            start,
            about,
            pairs,
            ends,
            claims,
        }
    }

    /// What the claims about `node` say, and their indices in `claims`.
    fn of(&self, node: u32) -> &[(LocationId, u32)] {
        let node = node as usize;
        &self.about[self.start[node] as usize..self.start[node + 1] as usize]
    }

    /// The claims about `node` with their provenance (the record that made
    /// each claim is the other end of the claim's edge).
    fn provs(&self, node: u32) -> impl Iterator<Item = (LocationId, Prov)> + '_ {
        self.of(node).iter().map(|&(at, c)| {
            let claim = &self.claims[c as usize];
            let (p, d) = self.pairs[self.ends.partition_point(|&end| end <= c)];
            let via = match claim.side {
                Side::Primary => p,
                Side::Dr => d,
            };
            (
                at,
                Prov {
                    source: claim.source,
                    via: Some((via, claim.side)),
                },
            )
        })
    }
}

/// Below this many instances the build runs on the calling thread alone.
const PARALLEL_MIN_NODES: usize = 20_000;

/// Runs `a` and `b`, on two threads when `parallel`; returns both results.
fn join<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        let a = a
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

/// The distinct edges, ascending, and their claims: returns the `(primary,
/// dr)` pairs, where each edge's claims end in `claims`, and the claims.
/// Each edge's claims are put in a canonical order, comparing peer
/// locations as text (interned symbols depend on the order the captures
/// came in); repeated claims count once.
fn edge_claims(
    raw: Vec<RawEdge>,
    n: usize,
    strs: &Strings,
    places: &LocationTable,
) -> (Vec<(u32, u32)>, Vec<u32>, Vec<Claim>) {
    // Each claim as a small sort item: its primary, then (DR, side,
    // source) in one integer, and what it says of the peer.
    #[derive(Clone, Copy)]
    struct Item {
        primary: u32,
        key: u64,
        peer: LocationId,
    }
    let item = |e: &RawEdge| Item {
        primary: e.primary,
        // Sources are far fewer than 2^31.
        key: (u64::from(e.dr) << 32)
            | (u64::from(e.side == Side::Dr) << 31)
            | u64::from(e.source & 0x7fff_ffff),
        peer: e.peer,
    };
    // By primary with a counting sort (straight from the claims, so that
    // only one more array is made), then each primary's (few) claims by
    // DR, side and source, and in a canonical order (peer locations as
    // text: interned symbols depend on the order the captures came in).
    let (mut items, starts) = bucket_by(raw.iter(), n, |e| e.primary as usize, |e| item(e));
    drop(raw);
    let text = |at: LocationId| {
        let l = places.get(at);
        (strs.opt(l.region), strs.opt(l.project), strs.opt(l.name))
    };
    // Two places are the same location exactly when they are equal.
    let order = |a: &Item, b: &Item| {
        a.key.cmp(&b.key).then_with(|| {
            if a.peer == b.peer {
                std::cmp::Ordering::Equal
            } else {
                text(a.peer).cmp(&text(b.peer))
            }
        })
    };
    // Each primary's claims are sorted, then taken edge by edge while they
    // are in cache.
    let mut pairs = Vec::with_capacity(items.len());
    let mut ends = Vec::with_capacity(items.len());
    let mut claims: Vec<Claim> = Vec::with_capacity(items.len());
    let dr = |item: &Item| (item.key >> 32) as u32;
    for w in starts.windows(2) {
        let of_primary = &mut items[w[0] as usize..w[1] as usize];
        sort_bucket(of_primary, order);
        for group in of_primary.chunk_by(|a, b| dr(a) == dr(b)) {
            let start = claims.len();
            for item in group {
                let claim = Claim {
                    source: (item.key & 0x7fff_ffff) as u32,
                    side: if item.key & (1 << 31) != 0 {
                        Side::Dr
                    } else {
                        Side::Primary
                    },
                    peer: item.peer,
                };
                if claims.len() == start || claims.last() != Some(&claim) {
                    claims.push(claim);
                }
            }
            pairs.push((group[0].primary, dr(&group[0])));
            // Fewer than 2^32 claims: they are made from records in memory.
            ends.push(claims.len() as u32);
        }
    }
    (pairs, ends, claims)
}

/// The graph's nodes, one per instance (their data filled in later), with
/// room for `edges` edges: all [`graph_edges`] needs, made before.
fn graph_nodes(n: usize, edges: usize, unknown: LocationId) -> Graph {
    let mut graph = Graph::with_capacity(n, edges);
    for _ in 0..n {
        graph.add_node(NodeData {
            loc: unknown,
            role: Role::Standalone,
            has_local: false,
        });
    }
    graph
}

/// Adds an edge per pair (`pairs`, ascending) to the graph made by
/// [`graph_nodes`], with its claims `claims[ends[k - 1]..ends[k]]`.
fn graph_edges(graph: &mut Graph, pairs: &[(u32, u32)], ends: &[u32]) {
    // Each edge goes into the lists of both its nodes, and a DR's node is
    // far from the last one: ask for it a few edges ahead.
    let node_at = NodeAt::new(graph);
    let mut start = 0;
    for (k, (&(p, d), &end)) in pairs.iter().zip(ends).enumerate() {
        if let Some(&(_, ahead)) = pairs.get(k + AHEAD) {
            prefetch(node_at.get(ahead));
        }
        graph.add_edge(
            ix(p),
            ix(d),
            EdgeData {
                status: EdgeStatus::Confirmed,
                start,
                end,
            },
        );
        start = end;
    }
}

/// Where a node of the graph lies in memory, computed without reading the
/// graph (reading would wait for the very cache miss a prefetch is meant to
/// hide): petgraph keeps a stable graph's nodes in one array of its
/// `Node`s. A wrong guess of that layout would only fetch useless lines; a
/// test checks it.
struct NodeAt {
    /// The first node's weight.
    first: *const u8,
    /// The size of a node.
    stride: usize,
}

impl NodeAt {
    fn new(graph: &Graph) -> Self {
        NodeAt {
            first: graph
                .node_weight(ix(0))
                .map_or(std::ptr::null(), |w| std::ptr::from_ref(w).cast()),
            stride: std::mem::size_of::<petgraph::graph::Node<Option<NodeData>, u32>>(),
        }
    }

    /// The address of `node`'s weight (not to be read: only prefetched).
    fn get(&self, node: u32) -> *const u8 {
        self.first.wrapping_add(node as usize * self.stride)
    }
}

/// What [`groups_of`] finds.
struct Groups {
    /// The DR groups, by root.
    data: Vec<GroupData>,
    /// Every group's members, sorted, back to back.
    members: Vec<u32>,
    /// Each node's index in `data`.
    of_node: Vec<u32>,
}

/// The weakly connected components of the graph of `n` nodes whose edges
/// are the distinct `(primary, dr)` pairs (ascending): the first half of
/// [`groups_of`].
///
/// The components come from a union-find over the pairs (each set's
/// representative is its smallest member, so the result does not depend on
/// the order of the pairs), numbered in order of their smallest member.
struct Components {
    /// Every component's members, sorted, back to back: component `c`'s
    /// are `members[starts[c]..starts[c + 1]]`.
    members: Vec<u32>,
    starts: Vec<u32>,
    /// Each node's DRs are `pairs[out_start[m]..out_start[m + 1]]`.
    out_start: Vec<u32>,
    /// `n` entries of memory to reuse (the component ids).
    scratch: Vec<u32>,
}

impl Components {
    /// The components, and each node's [`Degree`] (which the role checks
    /// need too).
    fn of(n: usize, pairs: &[(u32, u32)]) -> (Components, Vec<Degree>) {
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                let up = parent[parent[x as usize] as usize];
                parent[x as usize] = up;
                x = up;
            }
            x
        }
        let mut parent: Vec<u32> = (0..n as u32).collect();
        let mut degree = vec![Degree::default(); n];
        // Outgoing adjacency: the pairs are sorted by primary, so each
        // node's DRs are one run of them.
        let mut out_start = vec![0u32; n + 1];
        for &(p, d) in pairs {
            degree[d as usize].add_primary();
            degree[p as usize].add_dr();
            out_start[p as usize + 1] += 1;
            let (a, b) = (find(&mut parent, p), find(&mut parent, d));
            if a != b {
                let (low, high) = if a < b { (a, b) } else { (b, a) };
                parent[high as usize] = low;
            }
        }
        for i in 0..n {
            out_start[i + 1] += out_start[i];
        }

        // Component ids in order of their smallest member, written over
        // `parent`: every link goes to a smaller node, so in ascending order
        // a node's parent has its component id already; a root starts a new
        // component.
        let mut comp = parent;
        let mut count = 0;
        for x in 0..n {
            let up = comp[x] as usize;
            comp[x] = if up == x {
                count += 1;
                count - 1
            } else {
                comp[up]
            };
        }
        // Members by counting sort, so that each component's members come
        // out sorted.
        let (members, starts) = bucket_by(
            0..n as u32,
            count as usize,
            |&x| comp[x as usize] as usize,
            |&x| x,
        );
        let components = Components {
            members,
            starts,
            out_start,
            scratch: comp,
        };
        (components, degree)
    }
}

/// What a node has of the edges, in a byte (a quarter of the memory of a
/// count, so the passes that look nodes up at random miss the cache less).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Degree(u8);

impl Degree {
    /// At least one primary.
    const PRIMARY: u8 = 1;
    /// Two primaries or more.
    const SEVERAL_PRIMARIES: u8 = 2;
    /// At least one DR.
    const DR: u8 = 4;

    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    fn add_dr(&mut self) {
        self.0 |= Self::DR;
    }

    fn add_primary(&mut self) {
        if self.has(Self::PRIMARY) {
            self.0 |= Self::SEVERAL_PRIMARIES;
        }
        self.0 |= Self::PRIMARY;
    }
}

/// DR groups: the weakly connected components (see [`Components`]) of the
/// graph of `n` nodes whose edges are the distinct `(primary, dr)` pairs
/// (ascending), each with its root and depth; the members of every group,
/// sorted, back to back; and each node's group. Also each node's
/// [`Degree`], which the role checks need too. A function of the edges
/// alone, so it can run beside the other analyses.
///
/// A group's root is its smallest member without a primary (else its
/// smallest member), and its depth is the longest breadth-first distance
/// from the roots, in turn, then from any member still unreached (on or
/// behind a cycle), in turn. Most groups are one primary and its DRs, and
/// their depth (1) needs no search: one root, and every other member a DR
/// with one primary and no DR of its own.
fn groups_of(n: usize, pairs: &[(u32, u32)]) -> (Groups, Vec<Degree>) {
    const NONE: u32 = u32::MAX;
    let (components, degrees) = Components::of(n, pairs);
    let degree = degrees.as_slice();
    let has_primary = |m: u32| degree[m as usize].has(Degree::PRIMARY);
    // A DR with one primary and no DR: a leaf under its group's one root.
    let leaf = Degree(Degree::PRIMARY);
    let Components {
        members,
        starts,
        out_start,
        scratch,
    } = components;
    let outgoing =
        |m: u32| &pairs[out_start[m as usize] as usize..out_start[m as usize + 1] as usize];

    // Distances, in the component ids' memory.
    let mut dist = scratch;
    dist.fill(NONE);
    let mut queue: Vec<u32> = Vec::new();
    let mut groups: Vec<GroupData> = Vec::with_capacity(starts.len() - 1);
    for w in starts.windows(2) {
        let (start, len) = (w[0], w[1] - w[0]);
        let group = &members[start as usize..w[1] as usize];
        let (mut root, mut root_count, mut leaves) = (None, 0, 0);
        for &m in group {
            let d = degree[m as usize];
            if !d.has(Degree::PRIMARY) {
                root_count += 1;
                root = root.or(Some(m));
            } else if d == leaf {
                leaves += 1;
            }
        }
        let root = root.unwrap_or(group[0]);
        let mut depth = 0;
        if len > 1 && root_count == 1 && leaves == len - 1 {
            depth = 1;
        } else if len > 1 {
            let roots = group.iter().filter(|&&m| !has_primary(m));
            for &seed in roots.chain(group) {
                if dist[seed as usize] != NONE {
                    continue;
                }
                dist[seed as usize] = 0;
                queue.clear();
                queue.push(seed);
                let mut q = 0;
                while q < queue.len() {
                    let at = queue[q];
                    q += 1;
                    let d = dist[at as usize];
                    depth = depth.max(d);
                    for &(_, next) in outgoing(at) {
                        if dist[next as usize] == NONE {
                            dist[next as usize] = d + 1;
                            queue.push(next);
                        }
                    }
                }
            }
        }
        groups.push(GroupData {
            root,
            depth,
            start,
            len,
        });
    }
    groups.sort_unstable_by_key(|g| g.root);
    // Each node's group, in the distances' memory.
    let mut of_node = dist;
    for (gid, g) in groups.iter().enumerate() {
        for &m in &members[g.start as usize..(g.start + g.len) as usize] {
            of_node[m as usize] = gid as u32;
        }
    }
    let groups = Groups {
        data: groups,
        members,
        of_node,
    };
    (groups, degrees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses_are_where_the_graph_keeps_its_nodes() {
        let unknown = LocationTable::default().id_of(StatedLocation::default());
        let graph = graph_nodes(1000, 0, unknown);
        let node_at = NodeAt::new(&graph);
        for k in 0..1000 {
            let weight = graph.node_weight(ix(k)).expect("a node");
            assert_eq!(
                node_at.get(k),
                std::ptr::from_ref(weight).cast::<u8>(),
                "node {k}"
            );
        }
    }
}
