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

use crate::builder::{Loc, PeerArg, PeerIn, TopologyBuilder};
use crate::intern::{FastMap, Sym};

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
            loc: None,
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

/// A capture (envelope or raw API body) decoded from JSON and not yet added
/// to a builder: [`TopologyBuilder::decode_capture`] or
/// [`TopologyBuilder::decode_records`] make it, [`TopologyBuilder::add`]
/// adds it. It owns its data, so the decoding can run on another thread
/// than the merge; adding it is the same as
/// [`capture_json`](TopologyBuilder::capture_json) (or
/// [`records_json`](TopologyBuilder::records_json)) on the same bytes.
///
/// ```
/// use rds_dr_topology::{Topology, TopologyBuilder};
///
/// let decoded = TopologyBuilder::decode_capture(br#"{"source": {"region": "cn-north-4",
///     "project_id": "0483b6b16e954cb88930a360d2c4e663"},
///     "response": {"instance_dr_relations": [{"instance_id": "x1in03"}]}}"#)?;
/// assert!(TopologyBuilder::decode_capture(b"{\"response\": {}}").is_err());
/// let topology = Topology::builder().add(decoded).build();
/// assert_eq!(topology.summary().instances, 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Decoded(DecodedInner);

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = match &self.0 {
            DecodedInner::Flat { records, .. } => records.len(),
            DecodedInner::Model { response, .. } => response.instance_dr_relations.len(),
        };
        f.debug_struct("Decoded")
            .field("records", &records)
            .finish_non_exhaustive()
    }
}

enum DecodedInner {
    /// The fast path's strings, copied back to back into `text`.
    Flat {
        region: String,
        project_id: String,
        text: String,
        records: Vec<FlatRecord>,
        /// Every record's peers: its master (if any), then its slaves.
        peers: Vec<FlatPeer>,
        /// The distinct peer regions, project ids and names, in `text`.
        attrs: Vec<(usize, usize)>,
    },
    /// What the fast path would not take, decoded with the model's types.
    Model {
        source: Source,
        response: ListDrRelationsResponse,
    },
}

/// A string in `text`: `(start, end)`.
type Span = Option<(usize, usize)>;

struct FlatRecord {
    id: Span,
    has_master: bool,
    /// End of this record's peers in `peers`.
    peers_end: usize,
}

/// A peer; its location strings are indices in `attrs`.
#[derive(Clone, Copy)]
struct FlatPeer {
    id: Span,
    region: Option<u32>,
    project: Option<u32>,
    name: Option<u32>,
}

fn push_span(text: &mut String, s: Option<&str>) -> Span {
    s.map(|s| {
        let start = text.len();
        text.push_str(s);
        (start, text.len())
    })
}

/// The few distinct location strings of a capture, each stored once, so
/// that the merge interns each of them once per capture.
#[derive(Default)]
struct Attrs<'a> {
    index: FastMap<&'a str, u32>,
    spans: Vec<(usize, usize)>,
}

impl<'a> Attrs<'a> {
    fn add(&mut self, text: &mut String, s: Option<&'a str>) -> Option<u32> {
        let s = s?;
        if let Some(&i) = self.index.get(s) {
            return Some(i);
        }
        let i = u32::try_from(self.spans.len()).ok()?;
        let start = text.len();
        text.push_str(s);
        self.spans.push((start, text.len()));
        self.index.insert(s, i);
        Some(i)
    }
}

fn flat_peer<'a>(text: &mut String, attrs: &mut Attrs<'a>, peer: &FastPeer<'a>) -> FlatPeer {
    FlatPeer {
        id: push_span(text, peer.instance_id),
        region: attrs.add(text, peer.region),
        project: attrs.add(text, peer.project_id),
        name: attrs.add(text, peer.project_name),
    }
}

fn flatten(region: String, project_id: String, records: &[MapOnly<FastRecord<'_>>]) -> Decoded {
    let mut text = String::new();
    let mut flat = Vec::with_capacity(records.len());
    let mut peers = Vec::new();
    let mut attrs = Attrs::default();
    for MapOnly(r) in records {
        let id = push_span(&mut text, r.instance_id);
        if let Some(MapOnly(m)) = &r.master_instance {
            peers.push(flat_peer(&mut text, &mut attrs, m));
        }
        for MapOnly(s) in r.slave_instances.iter().flatten() {
            peers.push(flat_peer(&mut text, &mut attrs, s));
        }
        flat.push(FlatRecord {
            id,
            has_master: r.master_instance.is_some(),
            peers_end: peers.len(),
        });
    }
    Decoded(DecodedInner::Flat {
        region,
        project_id,
        text,
        records: flat,
        peers,
        attrs: attrs.spans,
    })
}

fn get(text: &str, span: Span) -> Option<&str> {
    span.map(|(start, end)| &text[start..end])
}

impl TopologyBuilder {
    /// Decodes a capture envelope from JSON without adding it; the same
    /// checks and errors as [`capture_json`](Self::capture_json).
    pub fn decode_capture(json: &[u8]) -> Result<Decoded, serde_json::Error> {
        match fast::<FastCapture<'_>>(json) {
            Some(capture) => {
                check_source(&capture.source.region, &capture.source.project_id)?;
                Ok(flatten(
                    capture.source.region.into_owned(),
                    capture.source.project_id.into_owned(),
                    capture
                        .response
                        .instance_dr_relations
                        .as_deref()
                        .unwrap_or_default(),
                ))
            }
            None => {
                let capture: Capture = serde_json::from_slice(json)?;
                check_source(&capture.source.region, &capture.source.project_id)?;
                Ok(Decoded(DecodedInner::Model {
                    source: capture.source,
                    response: capture.response,
                }))
            }
        }
    }

    /// Decodes a raw API body returned for `source` without adding it; the
    /// same errors as [`records_json`](Self::records_json).
    pub fn decode_records(source: &Source, json: &[u8]) -> Result<Decoded, serde_json::Error> {
        match fast::<FastResponse<'_>>(json) {
            Some(response) => Ok(flatten(
                source.region.clone(),
                source.project_id.clone(),
                response
                    .instance_dr_relations
                    .as_deref()
                    .unwrap_or_default(),
            )),
            None => {
                let response: ListDrRelationsResponse = serde_json::from_slice(json)?;
                Ok(Decoded(DecodedInner::Model {
                    source: source.clone(),
                    response,
                }))
            }
        }
    }

    /// Adds a capture decoded by [`decode_capture`](Self::decode_capture)
    /// or [`decode_records`](Self::decode_records).
    pub fn add(&mut self, decoded: Decoded) -> &mut Self {
        match decoded.0 {
            DecodedInner::Model { source, response } => self.records(&source, &response),
            DecodedInner::Flat {
                region,
                project_id,
                text,
                records,
                peers,
                attrs,
            } => {
                let src = self.source(&region, &project_id);
                self.next_serial();
                // Each distinct location string interned once (blank: none).
                let attr =
                    |i: Option<u32>| i.map(|i| &text[attrs[i as usize].0..attrs[i as usize].1]);
                let syms: Vec<Option<Sym>> = (0..attrs.len() as u32)
                    .map(|i| self.strs.intern_opt(attr(Some(i))))
                    .collect();
                let sym = |i: Option<u32>| i.and_then(|i| syms[i as usize]);
                let arg = |p: &FlatPeer| {
                    PeerArg::Object(PeerIn {
                        id: get(&text, p.id),
                        region: attr(p.region),
                        project: attr(p.project),
                        name: attr(p.name),
                        loc: Some(Loc {
                            region: sym(p.region),
                            project: sym(p.project),
                            name: sym(p.name),
                        }),
                    })
                };
                let mut first = 0;
                for (index, r) in records.iter().enumerate() {
                    let mine = &peers[first..r.peers_end];
                    first = r.peers_end;
                    let (master, slaves) = if r.has_master {
                        (mine.first().map(arg), &mine[1..])
                    } else {
                        (None, mine)
                    };
                    self.record(src, index, get(&text, r.id), master, slaves.iter().map(arg));
                }
                self
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rds_dr_model::synth::{FleetSpec, generate};

    use super::*;

    #[test]
    fn decoded_then_added_equals_capture_json() {
        use rds_dr_model::synth::Defect;
        let mut spec = FleetSpec::new().seed(11).primaries(60).cascaded(2);
        for defect in [
            Defect::SelfRelation,
            Defect::LocationConflict,
            Defect::ProjectNameConflict,
            Defect::DuplicateRecord,
            Defect::EmptyRecord,
            Defect::MalformedRecord,
            Defect::ConflictingPrimary,
        ] {
            spec = spec.defect(defect, 2);
        }
        let fleet = generate(&spec);
        let mut files: Vec<Vec<u8>> = fleet
            .captures
            .iter()
            .map(|c| serde_json::to_vec(c).expect("serialises"))
            .collect();
        // The model's fallback: a record that is not an object, a peer that
        // is not an object, an escaped string; and a raw body.
        files.push(
            br#"{"source": {"region": "cn-north-4", "project_id": "0483b6b16e954cb88930a360d2c4e663"},
            "response": {"instance_dr_relations": [7, {"instance_id": "a\u0031in03",
            "slave_instances": [3, {"instance_id": "b1in03", "region": "eu-west-0"}]}]}}"#
                .to_vec(),
        );
        let raw_source: Source = "ap-southeast-1/08fd4e669e00d57d2ffec01352c7cb77"
            .parse()
            .expect("source");
        let raw: &[&[u8]] = &[
            br#"{"instance_dr_relations": [{"instance_id": "b1in03", "master_instance": {"instance_id": "a1in03"}}]}"#,
            br#"{"instance_dr_relations": [{"instance_id": "c1in03", "master_instance": 5}]}"#,
        ];
        let mut direct = TopologyBuilder::new();
        let mut staged = TopologyBuilder::new();
        for file in &files {
            direct.capture_json(file).expect("decodes");
            staged.add(TopologyBuilder::decode_capture(file).expect("decodes"));
        }
        for body in raw {
            direct.records_json(&raw_source, body).expect("decodes");
            staged.add(TopologyBuilder::decode_records(&raw_source, body).expect("decodes"));
        }
        let (direct, staged) = (direct.build(), staged.build());
        assert!(direct.findings().len() > 10, "{:?}", direct.summary());
        assert_eq!(direct.findings(), staged.findings());
        assert_eq!(direct.summary(), staged.summary());
        assert_eq!(
            direct.nodes().collect::<Vec<_>>(),
            staged.nodes().collect::<Vec<_>>()
        );
        assert_eq!(
            direct.edges().collect::<Vec<_>>(),
            staged.edges().collect::<Vec<_>>()
        );
        for bad in [
            &b"{}"[..],
            b"[",
            br#"{"source": {"region": "cn-north-4", "project_id": "p1"}}"#,
        ] {
            assert!(TopologyBuilder::decode_capture(bad).is_err());
        }
        assert!(TopologyBuilder::decode_records(&raw_source, b"[1]").is_err());
    }

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
