//! A JSON tree that keeps object members in document order.
//!
//! The generator must emit one struct per schema in the order the OpenAPI
//! document lists them. `serde_json::Value` sorts object keys unless the
//! `preserve_order` feature is on, and Cargo unifies features across a
//! workspace build: enabling it here would silently change the key order of
//! every `serde_json::Value` other crates serialize under
//! `cargo test --workspace`. So serde_json validates the document (and
//! reports syntax errors with line and column) and decodes each string
//! literal, and this module only records the tree shape and member order.

use std::fmt;

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
    // serde_json is the authority on validity and gives line/column errors;
    // its recursion limit also bounds the recursion below.
    serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| ParseError(format!("invalid JSON: {e}")))?;
    let mut parser = Parser { text, pos: 0 };
    let value = parser.value("$")?;
    parser.skip_ws();
    if parser.pos != text.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> ParseError {
        ParseError(format!("invalid JSON at byte {}: {what}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), ParseError> {
        if self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error(&format!("expected `{word}`")))
        }
    }

    /// One value; `path` names it in error messages.
    fn value(&mut self, path: &str) -> Result<Json, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some(b'n') => self.literal("null").map(|()| Json::Null),
            Some(b't') => self.literal("true").map(|()| Json::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(path),
            Some(b'{') => self.object(path),
            Some(b'-' | b'0'..=b'9') => Ok(self.number()),
            _ => Err(self.error("expected a value")),
        }
    }

    fn number(&mut self) -> Json {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        Json::Number(self.text[start..self.pos].to_owned())
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1; // opening quote
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'\\') => self.pos += 2,
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        let literal = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| self.error("string ends inside a character"))?;
        serde_json::from_str(literal).map_err(|e| self.error(&e.to_string()))
    }

    fn array(&mut self, path: &str) -> Result<Json, ParseError> {
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(&format!("{path}[{}]", items.len()))?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, path: &str) -> Result<Json, ParseError> {
        self.pos += 1; // `{`
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(ParseError(format!(
                    "duplicate key `{key}` in the object at {path}"
                )));
            }
            self.expect(b':')?;
            let value = self.value(&format!("{path}.{key}"))?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_document_order() {
        let json =
            parse(r#"{"z": 1, "a": {"y": [true, null], "b": "x\"\u00e9"}, "m": -1.5e3}"#).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["z", "a", "m"]);
        let inner = json.get("a").unwrap();
        let inner_keys: Vec<&str> = inner
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(inner_keys, ["y", "b"]);
        assert_eq!(inner.get("b").and_then(Json::as_str), Some("x\"é"));
        assert_eq!(
            inner.get("y"),
            Some(&Json::Array(vec![Json::Bool(true), Json::Null]))
        );
        assert_eq!(json.get("m"), Some(&Json::Number("-1.5e3".into())));
    }

    #[test]
    fn syntax_errors_come_from_serde_json_with_position() {
        let err = parse("{\"a\": [1, 2}").unwrap_err().to_string();
        assert!(err.starts_with("invalid JSON: "), "{err}");
        assert!(err.contains("line 1 column"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_rejected_with_their_path() {
        let err = parse(r#"{"a": {"b": 1, "b": 2}}"#).unwrap_err().to_string();
        assert_eq!(err, "duplicate key `b` in the object at $.a");
    }
}
