//! The fast path from JSON bytes to claims: decode with borrowed strings
//! straight into the builder, without building owned [`Capture`] values.
//!
//! It is only a shortcut: its types are at least as strict as the model's,
//! and whenever they reject a document (a malformed record or peer, a wrong
//! type anywhere, a string with escapes in a record, a syntax error) the
//! bytes are decoded again with the model's lenient types, so the result is
//! always exactly what [`TopologyBuilder::capture`] makes of the decoded
//! [`Capture`]. (serde never borrows an `Option<Cow<str>>`, so the record
//! fields are `&str`: they borrow or fail.)

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use rds_dr_model::{Capture, ListDrRelationsResponse, Source};
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::builder::{PeerArg, PeerIn, TopologyBuilder};

#[derive(Deserialize)]
struct FastCapture<'a> {
    #[serde(borrow)]
    source: FastSource<'a>,
    #[serde(default, borrow, rename = "fetched_at")]
    _fetched_at: Option<&'a str>,
    #[serde(default, borrow)]
    response: FastResponse<'a>,
}

#[derive(Deserialize)]
struct FastSource<'a> {
    #[serde(borrow)]
    region: Cow<'a, str>,
    #[serde(borrow)]
    project_id: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
struct FastResponse<'a> {
    #[serde(default, borrow)]
    instance_dr_relations: Option<Vec<MapOnly<FastRecord<'a>>>>,
}

#[derive(Deserialize)]
struct FastRecord<'a> {
    #[serde(default, borrow)]
    instance_id: Option<&'a str>,
    #[serde(default, borrow)]
    master_instance: Option<MapOnly<FastPeer<'a>>>,
    #[serde(default, borrow)]
    slave_instances: Option<Vec<MapOnly<FastPeer<'a>>>>,
}

/// A record or peer must be a JSON object, as the model's lenient decoding
/// demands (serde's derived structs would also take an array).
struct MapOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(Object(PhantomData))
            .map(MapOnly)
    }
}

#[derive(Deserialize)]
struct FastPeer<'a> {
    #[serde(default, borrow)]
    instance_id: Option<&'a str>,
    #[serde(default, borrow)]
    region: Option<&'a str>,
    #[serde(default, borrow)]
    project_id: Option<&'a str>,
    #[serde(default, borrow)]
    project_name: Option<&'a str>,
}

impl<'a> MapOnly<FastPeer<'a>> {
    fn arg(&'a self) -> PeerArg<'a> {
        let peer = &self.0;
        PeerArg::Object(PeerIn {
            id: peer.instance_id,
            region: peer.region,
            project: peer.project_id,
            name: peer.project_name,
        })
    }
}

/// Decodes with the fast types. The whole input is checked to be UTF-8
/// once, so that serde_json need not check every string it borrows.
fn fast<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    let text = std::str::from_utf8(json).ok()?;
    serde_json::from_str(text).ok()
}

impl TopologyBuilder {
    /// Decodes a capture envelope from JSON and adds it: the same as
    /// decoding a [`Capture`] and calling [`capture`](Self::capture), with
    /// about half the decoding work and without holding the decoded capture.
    ///
    /// Malformed records and peers become findings, as always; only a
    /// document that is not a capture at all (bad JSON, no `source`, a
    /// `source` that is not a region id and a 32-hex project id, ...) is an
    /// error, and then nothing is added.
    ///
    /// ```
    /// use rds_dr_topology::Topology;
    ///
    /// let mut builder = Topology::builder();
    /// builder.capture_json(br#"{"source": {"region": "cn-north-4",
    ///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
    ///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}, 7]}}"#)?;
    /// assert!(builder.capture_json(b"{\"response\": {}}").is_err());
    /// assert!(builder.capture_json(br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#).is_err());
    /// let topology = builder.build();
    /// let codes: Vec<&str> = topology.findings().iter().map(|f| f.code.as_str()).collect();
    /// assert_eq!(codes, ["malformed-record", "empty-record"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn capture_json(&mut self, json: &[u8]) -> Result<&mut Self, serde_json::Error> {
        match fast::<FastCapture<'_>>(json) {
            Some(capture) => {
                check_source(&capture.source.region, &capture.source.project_id)?;
                let src = self.source(&capture.source.region, &capture.source.project_id);
                self.fast_records(
                    src,
                    capture.response.instance_dr_relations.unwrap_or_default(),
                );
                Ok(self)
            }
            None => {
                let capture: Capture = serde_json::from_slice(json)?;
                check_source(&capture.source.region, &capture.source.project_id)?;
                Ok(self.capture(capture))
            }
        }
    }

    /// Decodes a raw API body (`{"instance_dr_relations": [...]}`) returned
    /// for `source` and adds it, like [`capture_json`](Self::capture_json).
    pub fn records_json(
        &mut self,
        source: &Source,
        json: &[u8],
    ) -> Result<&mut Self, serde_json::Error> {
        match fast::<FastResponse<'_>>(json) {
            Some(response) => {
                let src = self.source(&source.region, &source.project_id);
                self.fast_records(src, response.instance_dr_relations.unwrap_or_default());
                Ok(self)
            }
            None => {
                let response: ListDrRelationsResponse = serde_json::from_slice(json)?;
                Ok(self.records(source, &response))
            }
        }
    }

    fn fast_records(&mut self, src: u32, records: Vec<MapOnly<FastRecord<'_>>>) {
        self.next_serial();
        for (index, MapOnly(r)) in records.iter().enumerate() {
            self.record(
                src,
                index,
                r.instance_id,
                r.master_instance.as_ref().map(MapOnly::arg),
                r.slave_instances.iter().flatten().map(MapOnly::arg),
            );
        }
    }
}

/// A capture read from bytes must name a real (region, project): a region id
/// and a 32-hex project id (`Source::validate`). Captures built in code are
/// taken as they are.
fn check_source(region: &str, project_id: &str) -> Result<(), serde_json::Error> {
    use serde::de::Error as _;
    rds_dr_model::validate_region(region)
        .and_then(|()| rds_dr_model::validate_project_id(project_id))
        .map_err(|reason| serde_json::Error::custom(format!("invalid `source`: {reason}")))
}

#[cfg(test)]
mod tests {
    use rds_dr_model::synth::{FleetSpec, generate};

    use super::*;

    #[test]
    fn fast_path_takes_well_formed_captures() {
        let fleet = generate(
            &FleetSpec::new()
                .seed(3)
                .primaries(50)
                .cascaded(2)
                .defect(rds_dr_model::synth::Defect::SelfRelation, 2),
        );
        for capture in &fleet.captures {
            let bytes = serde_json::to_vec(capture).expect("serialises");
            if let Err(e) = serde_json::from_slice::<FastCapture<'_>>(&bytes) {
                panic!("fast path rejected {}: {e}", capture.source);
            }
        }
    }
}
