//! The second decoder: serde with borrowed strings, its visitors writing
//! straight into [`Records`] (`DeserializeSeed`, no value per record). At
//! least as strict as the model's types, it gives up on a malformed record
//! or peer, a wrong type anywhere, a repeated field, a string with escapes
//! in a record (serde never borrows an `Option<Cow<str>>`, so the record
//! fields are `&str`: they borrow or fail), a syntax error. Fields it does
//! not know are read as the model reads them (in a record or a peer, as
//! any value: a number out of `f64`'s range or a lone surrogate escape is
//! refused there), and dropped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::records::{Records, RecordsOut};

#[derive(Deserialize)]
struct FastCapture<'a> {
    #[serde(borrow)]
    source: FastSource<'a>,
    #[serde(default, borrow, rename = "fetched_at")]
    _fetched_at: Option<&'a str>,
    #[serde(default)]
    response: FastResponse,
}

#[derive(Deserialize)]
struct FastSource<'a> {
    #[serde(borrow)]
    region: Cow<'a, str>,
    #[serde(borrow)]
    project_id: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
struct FastResponse {
    #[serde(default)]
    instance_dr_relations: Option<RecordList>,
}

/// `instance_dr_relations`, decoded into [`Records`].
struct RecordList(Records);

impl<'de> Deserialize<'de> for RecordList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Records;

        impl<'de> Visitor<'de> for Records {
            type Value = RecordList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of relation records")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RecordList, A::Error> {
                let mut out = RecordsOut::default();
                while seq.next_element_seed(RecordSeed(&mut out))?.is_some() {}
                Ok(RecordList(out.records))
            }
        }

        deserializer.deserialize_seq(Records)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum RecordKey {
    InstanceId,
    MasterInstance,
    SlaveInstances,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PeerKey {
    InstanceId,
    Region,
    ProjectId,
    ProjectName,
    #[serde(other)]
    Other,
}

/// Sets a field once; a repeated field is an error, as with serde's derive
/// (the model then decides what the record is).
fn once<T, E: serde::de::Error>(
    slot: &mut Option<T>,
    value: T,
    name: &'static str,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

/// One record: a JSON object (`deserialize_map` takes nothing else).
struct RecordSeed<'o, 'de>(&'o mut RecordsOut<'de>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a relation record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let start = out.records.peers.len();
        let mut id: Option<Option<&'de str>> = None;
        let mut master: Option<bool> = None;
        let mut slaves: Option<()> = None;
        while let Some(field) = map.next_key::<RecordKey>()? {
            match field {
                RecordKey::InstanceId => once(&mut id, map.next_value()?, "instance_id")?,
                RecordKey::MasterInstance => {
                    let some = map.next_value_seed(MasterSeed(&mut *out))?;
                    once(&mut master, some, "master_instance")?;
                    if some {
                        out.master_added(start);
                    }
                }
                RecordKey::SlaveInstances => {
                    map.next_value_seed(SlavesSeed(&mut *out))?;
                    once(&mut slaves, (), "slave_instances")?;
                }
                RecordKey::Other => {
                    map.next_value::<AnyValue>()?;
                }
            }
        }
        out.record(id.flatten().map(str::as_bytes), master == Some(true))
            .map_err(A::Error::custom)
    }
}

/// `master_instance`: `null` or a peer object; whether there was one.
struct MasterSeed<'o, 'de>(&'o mut RecordsOut<'de>);

impl<'de> DeserializeSeed<'de> for MasterSeed<'_, 'de> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for MasterSeed<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a peer object or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_map(PeerSeed(self.0))?;
        Ok(true)
    }
}

/// `slave_instances`: `null` or an array of peer objects.
struct SlavesSeed<'o, 'de>(&'o mut RecordsOut<'de>);

impl<'de> DeserializeSeed<'de> for SlavesSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for SlavesSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of peer objects or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(PeerSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One peer object.
struct PeerSeed<'o, 'de>(&'o mut RecordsOut<'de>);

impl<'de> DeserializeSeed<'de> for PeerSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PeerSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a peer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let mut id: Option<Option<&'de str>> = None;
        let mut region: Option<Option<&'de str>> = None;
        let mut project: Option<Option<&'de str>> = None;
        let mut name: Option<Option<&'de str>> = None;
        while let Some(field) = map.next_key::<PeerKey>()? {
            match field {
                PeerKey::InstanceId => once(&mut id, map.next_value()?, "instance_id")?,
                PeerKey::Region => once(&mut region, map.next_value()?, "region")?,
                PeerKey::ProjectId => once(&mut project, map.next_value()?, "project_id")?,
                PeerKey::ProjectName => once(&mut name, map.next_value()?, "project_name")?,
                PeerKey::Other => {
                    map.next_value::<AnyValue>()?;
                }
            }
        }
        out.peer(
            id.flatten().map(str::as_bytes),
            region.flatten().map(str::as_bytes),
            project.flatten().map(str::as_bytes),
            name.flatten().map(str::as_bytes),
        )
        .map_err(A::Error::custom)
    }
}

/// Any JSON value, read as the model reads a record's fields it does not
/// know (`deserialize_any`: strings are decoded, numbers parsed), and
/// dropped. `IgnoredAny` would take what the model refuses.
struct AnyValue;

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyValue)
    }
}

impl<'de> Visitor<'de> for AnyValue {
    type Value = AnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_i64<E>(self, _: i64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_u64<E>(self, _: u64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_f64<E>(self, _: f64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_str<E>(self, _: &str) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_unit<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_none<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<AnyValue, D::Error> {
        deserializer.deserialize_any(AnyValue)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        while seq.next_element::<AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        while map.next_entry::<AnyValue, AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }
}

/// A capture envelope.
pub(super) fn capture(text: &str) -> Option<(Cow<'_, str>, Cow<'_, str>, Records)> {
    let capture: FastCapture<'_> = serde_json::from_str(text).ok()?;
    let flat = capture.response.instance_dr_relations.map(|r| r.0);
    Some((
        capture.source.region,
        capture.source.project_id,
        flat.unwrap_or_default(),
    ))
}

/// A raw API body.
pub(super) fn response(text: &str) -> Option<Records> {
    let response: FastResponse = serde_json::from_str(text).ok()?;
    Some(
        response
            .instance_dr_relations
            .map(|r| r.0)
            .unwrap_or_default(),
    )
}
