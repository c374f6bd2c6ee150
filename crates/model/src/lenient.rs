//! Lenient decoding: one record of the wrong shape never makes the rest of a
//! body unreadable.
//!
//! Every nested object of the wire models is wrapped in [`Lenient`]. Decoding
//! a `Lenient<T>` first buffers the JSON value (borrowing strings from the
//! input where the format allows), then tries to decode a `T` from the
//! buffer. A failure becomes [`Lenient::Malformed`], which keeps the error
//! text and the raw value, so the record can be reported (by its index in the
//! enclosing array) and re-encoded unchanged, while its siblings decode
//! normally. Syntax errors (a truncated body) still fail the whole document:
//! nothing after them can be trusted.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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
    /// Why decoding failed, as the decoder put it.
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

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let content = Content::deserialize(deserializer)?;
        match T::deserialize(ContentRef::<D::Error>::new(&content)) {
            Ok(v) => Ok(Lenient::Valid(v)),
            Err(e) => Ok(Lenient::Malformed(Malformed {
                error: e.to_string(),
                raw: content.into_value(),
            })),
        }
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
        Content::deserialize(deserializer).map(Content::into_value)
    }
}

/// The buffer behind [`Lenient`]: like [`Value`], but borrowing strings from
/// the input when it can.
#[derive(Debug)]
enum Content<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Seq(Vec<Content<'de>>),
    Map(Vec<(Content<'de>, Content<'de>)>),
}

impl Content<'_> {
    fn into_value(self) -> Value {
        match self {
            Content::Null => Value::Null,
            Content::Bool(b) => Value::Bool(b),
            Content::U64(n) => Value::U64(n),
            Content::I64(n) => Value::I64(n),
            Content::F64(n) => Value::F64(n),
            Content::Str(s) => Value::String(s.into_owned()),
            Content::Seq(items) => Value::Array(items.into_iter().map(Content::into_value).collect()),
            Content::Map(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Content::Str(s) => s.into_owned(),
                            other => key_text(&other.into_value()),
                        };
                        (key, v.into_value())
                    })
                    .collect(),
            ),
        }
    }
}

/// Object keys are strings in JSON; other formats may use other scalars.
fn key_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::U64(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::F64(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => "<composite key>".to_owned(),
    }
}

impl<'de> Deserialize<'de> for Content<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ContentVisitor)
    }
}

struct ContentVisitor;

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = Content<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Content::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(if v >= 0 { Content::U64(v as u64) } else { Content::I64(v) })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Content::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Content::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Owned(v)))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Content::Seq(v.iter().map(|b| Content::U64(u64::from(*b))).collect()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Content::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Content::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Content::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Content::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Content::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(entry) = map.next_entry()? {
            members.push(entry);
        }
        Ok(Content::Map(members))
    }
}

/// Decodes a type from a borrowed [`Content`] buffer.
struct ContentRef<'a, 'de, E> {
    content: &'a Content<'de>,
    error: PhantomData<E>,
}

impl<'a, 'de, E> ContentRef<'a, 'de, E> {
    fn new(content: &'a Content<'de>) -> Self {
        ContentRef {
            content,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for ContentRef<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.content {
            Content::Null => visitor.visit_unit(),
            Content::Bool(b) => visitor.visit_bool(*b),
            Content::U64(n) => visitor.visit_u64(*n),
            Content::I64(n) => visitor.visit_i64(*n),
            Content::F64(n) => visitor.visit_f64(*n),
            Content::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Content::Str(Cow::Owned(s)) => visitor.visit_str(s),
            Content::Seq(items) => visitor.visit_seq(SeqRef::<E> {
                iter: items.iter(),
                error: PhantomData,
            }),
            Content::Map(members) => visitor.visit_map(MapRef::<E> {
                iter: members.iter(),
                value: None,
                error: PhantomData,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.content {
            Content::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier
    }
}

struct SeqRef<'a, 'de, E> {
    iter: std::slice::Iter<'a, Content<'de>>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for SeqRef<'_, 'de, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, E> {
        self.iter
            .next()
            .map(|item| seed.deserialize(ContentRef::new(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapRef<'a, 'de, E> {
    iter: std::slice::Iter<'a, (Content<'de>, Content<'de>)>,
    value: Option<&'a Content<'de>>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> MapAccess<'de> for MapRef<'_, 'de, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(ContentRef::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        match self.value.take() {
            Some(v) => seed.deserialize(ContentRef::new(v)),
            None => Err(de::Error::custom("map value requested before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}
