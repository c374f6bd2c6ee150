//! Lenient decoding: one record of the wrong shape never makes the rest of a
//! body unreadable.
//!
//! Every nested object of the wire models is wrapped in [`Lenient`]. Decoding
//! a `Lenient<T>` first buffers the value as a flat list of tokens (in a
//! buffer reused from value to value, borrowing strings from the input where
//! the format allows), then decodes a `T` from the buffer. A failure becomes
//! [`Lenient::Malformed`], which keeps the error text (with where in the
//! value it happened) and the raw value, so the record can be reported (by
//! its index in the enclosing array) and re-encoded unchanged, while its
//! siblings decode normally. Syntax errors (a truncated body) still fail the
//! whole document: nothing after them can be trusted.
//!
//! A `Lenient` nested in a buffered one (a peer inside a record) decodes in
//! place from its parent's buffer: a private newtype name tells the buffer's
//! deserializer to hand it the buffered value instead of copying it.
//!
//! Structs are only decoded from maps: serde would also read a struct from a
//! sequence, by position, which would turn `["a", "b"]` into a record and
//! lose its raw value.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{StringDeserializer, UnitDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A value that decoded as `T`, or the raw value and the reason it did not.
#[derive(Clone, Debug, PartialEq)]
pub enum Lenient<T> {
    /// The value had the expected shape.
    Valid(T),
    /// The value did not have the expected shape.
    Malformed(Malformed),
}

/// A value that could not be decoded as the expected type.
#[derive(Clone, Debug, PartialEq)]
pub struct Malformed {
    /// Why decoding failed, as the decoder put it, preceded by where in the
    /// value when that is below its top level, e.g.
    /// ``instance_id: invalid type: integer `7`, expected a string``.
    pub error: String,
    /// The value as it arrived.
    pub raw: Value,
}

impl<T> Lenient<T> {
    /// The decoded value, if it had the expected shape.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Lenient::Valid(v) => Some(v),
            Lenient::Malformed(_) => None,
        }
    }

    /// The decoded value, if it had the expected shape.
    pub fn into_valid(self) -> Option<T> {
        match self {
            Lenient::Valid(v) => Some(v),
            Lenient::Malformed(_) => None,
        }
    }

    /// The failure, if the value did not have the expected shape.
    pub fn malformed(&self) -> Option<&Malformed> {
        match self {
            Lenient::Valid(_) => None,
            Lenient::Malformed(m) => Some(m),
        }
    }

    /// Whether the value decoded.
    pub fn is_valid(&self) -> bool {
        matches!(self, Lenient::Valid(_))
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(value: T) -> Self {
        Lenient::Valid(value)
    }
}

impl<T: Serialize> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Lenient::Valid(v) => v.serialize(serializer),
            Lenient::Malformed(m) => m.raw.serialize(serializer),
        }
    }
}

/// The newtype name by which a `Lenient` asks a buffer's deserializer
/// ([`ContentRef`]) to be decoded in place. Other deserializers treat it as
/// any newtype struct.
const LENIENT_TOKEN: &str = "$rds_dr_model::private::Lenient";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(LENIENT_TOKEN, LenientVisitor(PhantomData))
    }
}

/// Decodes `null` (and, with `#[serde(default)]`, absence) as `T::default()`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Decodes a number that the API may send as a string or as a JSON number
/// into its text: `"1.5"` and `1.5` both give `Some("1.5")`, `null` (and,
/// with `#[serde(default)]`, absence) gives `None`. Any other type is an
/// error, so the record holding it is malformed. What the text means is
/// decided later (for the lags, [`InstanceDrInfo::lags`](crate::InstanceDrInfo::lags)).
pub(crate) fn number_as_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(NumberText)
}

struct NumberText;

impl<'de> Visitor<'de> for NumberText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
}

/// A self-describing value, as it arrived on the wire (JSON data model).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// A number with a fraction or exponent.
    F64(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, in the order its members arrived.
    Object(Vec<(String, Value)>),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::U64(n) => serializer.serialize_u64(*n),
            Value::I64(n) => serializer.serialize_i64(*n),
            Value::F64(n) => serializer.serialize_f64(*n),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(match u64::try_from(v) {
            Ok(n) => Value::U64(n),
            Err(_) => Value::I64(v),
        })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(
            v.iter().map(|b| Value::U64(u64::from(*b))).collect(),
        ))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((key, value)) = map.next_entry::<Value, Value>()? {
            members.push((key_text(key), value));
        }
        Ok(Value::Object(members))
    }
}

/// Object keys are strings in JSON; other formats may use other scalars.
fn key_text(value: Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::U64(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::F64(n) => n.to_string(),
        Value::String(s) => s,
        Value::Array(_) | Value::Object(_) => "<composite key>".to_owned(),
    }
}

mod recorded;

use recorded::LenientVisitor;
