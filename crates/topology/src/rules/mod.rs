//! The finding rules, one file per family: what records say on their own
//! ([`records`]), what was and was not seen ([`coverage`]), where instances
//! are ([`locations`]), and the shape of the graph ([`shape`]). Each rule is
//! a method of [`Topology`] that the merge calls at the step where what it
//! needs is known; each returns typed details ([`crate::finding::details`]).

pub(crate) mod coverage;
pub(crate) mod health;
pub(crate) mod locations;
pub(crate) mod records;
pub(crate) mod shape;

use crate::finding::details::{Claimant, RecordPart};
use crate::locations::Provenance;
use crate::topology::Topology;

impl Topology {
    /// Who stated something, for people: "its own record in SOURCE" or
    /// "the record of ID in SOURCE".
    fn provenance_text(&self, prov: Provenance) -> String {
        match prov.via {
            None => format!("its own record in {}", self.source_text(prov.source)),
            Some((record, _)) => format!(
                "the record of {} in {}",
                self.id(record),
                self.source_text(prov.source)
            ),
        }
    }

    /// Who stated something, for the details.
    fn claimant(&self, prov: Provenance) -> Claimant {
        let source = self.source_text(prov.source);
        match prov.via {
            None => Claimant {
                record: None,
                source,
                via: RecordPart::Record,
            },
            Some((record, side)) => Claimant {
                record: Some(self.id(record).to_owned()),
                source,
                via: RecordPart::peer_of(side),
            },
        }
    }

    /// For values claimed by several sources: the message parts ("VALUE by
    /// SOURCE, SOURCE") and each value's claimants, in the order given.
    fn attributed<K>(
        &self,
        claims: &[(K, Vec<Provenance>)],
        label: impl Fn(&K) -> String,
    ) -> (Vec<String>, Vec<Vec<Claimant>>) {
        claims
            .iter()
            .map(|(value, provs)| {
                let who: Vec<String> = provs.iter().map(|p| self.provenance_text(*p)).collect();
                let claimants = provs.iter().map(|p| self.claimant(*p)).collect();
                (format!("{} by {}", label(value), who.join(", ")), claimants)
            })
            .unzip()
    }
}
