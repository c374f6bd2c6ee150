//! A JSON tree that keeps object members in document order, read by
//! `serde_json`.
//!
//! The generator must emit one struct per schema in the order the OpenAPI
//! document lists them. `serde_json::Value` sorts object keys unless the
//! `preserve_order` feature is on, and Cargo unifies features across a
//! workspace build: enabling it here would silently change the key order of
//! every `serde_json::Value` other crates serialize under
//! `cargo test --workspace`. So [`Json`] implements `Deserialize` itself and
//! serde_json does all the parsing (syntax errors with line and column,
//! string escapes, its recursion limit); the visitor only records the tree
//! shape, member order, and rejects repeated keys.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their members in document order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written in the document.
    Number(String),
    /// A string (decoded).
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in document order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A short name of the value's JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// A document that is not valid JSON, or has an object with a repeated key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Parses a JSON document, keeping object members in document order.
///
/// Objects with a repeated key are rejected (serde_json would keep the last
/// one silently; in a spec that is always a mistake).
pub fn parse(text: &str) -> Result<Json, ParseError> {
    serde_json::from_str::<Json>(text).map_err(|e| {
        if e.is_data() {
            ParseError(e.to_string())
        } else {
            ParseError(format!("invalid JSON: {e}"))
        }
    })
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = map.next_value::<Json>()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_decodes_strings() {
        let json = parse(r#"{"b": 1, "a": ["x\u00e9", null, true, 2.5], "c": {}}"#).unwrap();
        let members = json.as_object().unwrap();
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        let items = json.get("a").and_then(Json::as_array).unwrap();
        assert_eq!(items[0].as_str(), Some("x\u{e9}"));
        assert_eq!(items[1], Json::Null);
        assert_eq!(items[2], Json::Bool(true));
        assert_eq!(items[3], Json::Number("2.5".into()));
        assert_eq!(json.get("b"), Some(&Json::Number("1".into())));
    }

    #[test]
    fn rejects_repeated_keys_and_bad_syntax() {
        let repeated = parse(r#"{"a": {"k": 1, "k": 2}}"#).unwrap_err().to_string();
        assert!(
            repeated.starts_with("duplicate key `k` at line 1"),
            "{repeated}"
        );
        let bad = parse(r#"{"a": [1, 2}"#).unwrap_err().to_string();
        assert!(
            bad.starts_with("invalid JSON:") && bad.contains("line 1"),
            "{bad}"
        );
        let trailing = parse("{} x").unwrap_err().to_string();
        assert!(trailing.contains("trailing"), "{trailing}");
    }
}
