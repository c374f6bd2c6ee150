//! Rust names from the OpenAPI document's names: field names (snake_case,
//! keywords escaped, the wire name kept with `rename` where it differs) and
//! type names (UpperCamelCase, never shadowing a name the generated code
//! uses).

use super::Error;

/// Rust keywords (2024 edition, strict and reserved).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Names the generated module uses, which a struct must not shadow.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Box",
    "Clone",
    "Debug",
    "Default",
    "Deserialize",
    "Err",
    "Lenient",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Self",
    "Serialize",
    "Some",
    "String",
    "Vec",
];

/// The Rust field name for a property, and the wire name when they differ
/// in more than an `r#` escape.
pub(super) fn field_name(property: &str) -> Result<(String, Option<String>), String> {
    let snake = if is_snake_case(property) {
        property.to_owned()
    } else {
        to_snake_case(property)
    };
    if snake.is_empty() {
        return Err(format!("cannot derive a Rust field name from `{property}`"));
    }
    let (name, rust_text) = if NOT_RAW.contains(&snake.as_str()) {
        (format!("{snake}_"), format!("{snake}_"))
    } else if KEYWORDS.contains(&snake.as_str()) {
        (format!("r#{snake}"), snake.clone())
    } else {
        (snake.clone(), snake)
    };
    // serde strips `r#`: the wire name is the identifier's text.
    let rename = (rust_text != property).then(|| property.to_owned());
    Ok((name, rename))
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.chars().any(|c| c != '_')
}

/// `instanceId` -> `instance_id`, `X-Language` -> `x_language`,
/// `HTTPCode` -> `http_code`, `2fa` -> `_2fa`.
fn to_snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower)
                {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

/// The Rust type name for a schema name: as is when it is an UpperCamelCase
/// identifier, else converted.
pub(super) fn type_name(schema_name: &str) -> Result<String, Error> {
    let place = || format!("schema `{schema_name}`");
    let is_camel = schema_name.starts_with(|c: char| c.is_ascii_uppercase())
        && schema_name.chars().all(|c| c.is_ascii_alphanumeric());
    let name = if is_camel {
        schema_name.to_owned()
    } else {
        schema_name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    };
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(Error::spec(
            place(),
            format!("cannot derive a Rust type name (UpperCamelCase) from `{schema_name}`"),
        ));
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        return Err(Error::spec(
            place(),
            format!("its Rust name `{name}` would shadow a name the generated code uses"),
        ));
    }
    Ok(name)
}
