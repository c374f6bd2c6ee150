//! What records say on their own: a record naming its own instance
//! (`self-relation`), one instance in several records of a response
//! (`duplicate-record`), a record without relations (`empty-record`), and a
//! record or peer without a usable id (`malformed-record`).

use crate::builder::{RawMalformed, RawSelf};
use crate::finding::Finding;
use crate::finding::details::{
    DuplicateRecord, EmptyRecord, MalformedRecord, RecordPart, SelfClaim, SelfRelation,
};
use crate::topology::Topology;

/// What the builder noted about single records, with node and source
/// numbers as the builder gave them out.
pub(crate) struct RecordNotes {
    /// Records naming their own instance.
    pub(crate) selfs: Vec<RawSelf>,
    /// `(node, source, capture serial)` of every repeat of a record.
    pub(crate) dups: Vec<(u32, u32, u32)>,
    /// `(node, source)` of every record without relations.
    pub(crate) empties: Vec<(u32, u32)>,
    /// Records and peers without a usable id.
    pub(crate) malformed: Vec<RawMalformed>,
}

/// From the builder's numbers to the topology's: nodes in id order,
/// sources in text order.
pub(crate) struct Renumbering<'a> {
    /// The node number of each builder node.
    pub(crate) node: &'a [u32],
    /// The source number of each builder source.
    pub(crate) source: &'a [u32],
}

impl Renumbering<'_> {
    fn node(&self, old: u32) -> u32 {
        self.node[old as usize]
    }

    fn source(&self, old: u32) -> u32 {
        self.source[old as usize]
    }
}

impl Topology {
    /// Every finding about single records.
    pub(crate) fn record_findings(
        &self,
        notes: RecordNotes,
        renumber: &Renumbering<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let RecordNotes {
            selfs,
            dups,
            empties,
            malformed,
        } = notes;
        self.self_relations(selfs, renumber, findings);
        self.duplicate_records(dups, renumber, findings);
        self.empty_records(empties, renumber, findings);
        for m in malformed {
            findings.push(self.malformed_record(m, renumber));
        }
    }

    /// `self-relation`, one finding per instance.
    fn self_relations(
        &self,
        selfs: Vec<RawSelf>,
        renumber: &Renumbering<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let mut selfs: Vec<_> = selfs
            .into_iter()
            .map(|s| (renumber.node(s.node), renumber.source(s.source), s.side))
            .collect();
        selfs.sort_unstable();
        selfs.dedup();
        for chunk in selfs.chunk_by(|a, b| a.0 == b.0) {
            let id = self.id(chunk[0].0);
            let text: Vec<String> = chunk
                .iter()
                .map(|&(_, s, side)| {
                    let what = match RecordPart::peer_of(side) {
                        RecordPart::MasterInstance => "primary (master_instance)",
                        _ => "DR (slave_instances)",
                    };
                    format!("{} lists {id} as its own {what}", self.source_text(s))
                })
                .collect();
            let claims = chunk
                .iter()
                .map(|&(_, s, side)| SelfClaim {
                    field: RecordPart::peer_of(side),
                    source: self.source_text(s),
                })
                .collect();
            findings.push(Finding::new(
                SelfRelation { claims },
                vec![id.to_owned()],
                text.join("; "),
            ));
        }
    }

    /// `duplicate-record`: counted per capture, the largest count per
    /// source kept.
    fn duplicate_records(
        &self,
        dups: Vec<(u32, u32, u32)>,
        renumber: &Renumbering<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let mut dups: Vec<(u32, u32, u32)> = dups
            .into_iter()
            .map(|(x, s, serial)| (renumber.node(x), renumber.source(s), serial))
            .collect();
        dups.sort_unstable();
        let mut counted: Vec<(u32, u32, usize)> = dups
            .chunk_by(|a, b| a == b)
            .map(|c| (c[0].0, c[0].1, c.len() + 1))
            .collect();
        counted.sort_unstable();
        for chunk in counted.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (x, s) = (chunk[0].0, chunk[0].1);
            let records = chunk.iter().map(|c| c.2).max().unwrap_or(2);
            let (id, source) = (self.id(x), self.source_text(s));
            findings.push(Finding::new(
                DuplicateRecord {
                    records,
                    source: source.clone(),
                },
                vec![id.to_owned()],
                format!("{source} lists {id} in {records} records of one response"),
            ));
        }
    }

    /// `empty-record`, one per (instance, source).
    fn empty_records(
        &self,
        empties: Vec<(u32, u32)>,
        renumber: &Renumbering<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let mut empties: Vec<(u32, u32)> = empties
            .into_iter()
            .map(|(x, s)| (renumber.node(x), renumber.source(s)))
            .collect();
        empties.sort_unstable();
        empties.dedup();
        for (x, s) in empties {
            let (id, source) = (self.id(x), self.source_text(s));
            findings.push(Finding::new(
                EmptyRecord {
                    source: source.clone(),
                },
                vec![id.to_owned()],
                format!("{source} lists {id} with neither master_instance nor slave_instances"),
            ));
        }
    }

    /// `malformed-record` for one record or peer.
    fn malformed_record(&self, m: RawMalformed, renumber: &Renumbering<'_>) -> Finding {
        let source = self.source_text(renumber.source(m.source));
        let owner = m.owner.map(|o| self.id(renumber.node(o)).to_owned());
        let (message, instances) = match (&owner, m.field.as_str()) {
            (Some(id), field) => (
                format!(
                    "record {} of {source} (instance {id}): {field} {}",
                    m.index, m.reason
                ),
                vec![id.clone()],
            ),
            (None, "record") => (
                format!("record {} of {source} {}", m.index, m.reason),
                Vec::new(),
            ),
            (None, _) if m.peers.is_empty() => (
                format!("record {} of {source} {}", m.index, m.reason),
                Vec::new(),
            ),
            (None, _) => (
                format!(
                    "record {} of {source} {}; its relations to {} cannot be attributed",
                    m.index,
                    m.reason,
                    m.peers.join(", ")
                ),
                m.peers.clone(),
            ),
        };
        Finding::new(
            MalformedRecord {
                field: m.field,
                index: m.index,
                instance_id: owner,
                reason: m.reason,
                source,
            },
            instances,
            message,
        )
    }
}
