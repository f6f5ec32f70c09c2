//! Helpers for the raw field structs that both HTML forms and JSON bodies
//! deserialize into before validation.

use serde::{Deserialize, Deserializer};

use crate::domain::{FieldError, Invalid};
use crate::error::AppError;

/// Accepts a string, a number or null, as text: forms send "40", JSON 40.
/// An empty or blank string counts as absent.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Text(s)) if s.trim().is_empty() => None,
        Some(Raw::Text(s)) => Some(s),
        Some(Raw::Int(n)) => Some(n.to_string()),
        Some(Raw::Float(f)) => Some(f.to_string()),
        Some(Raw::Bool(b)) => Some(b.to_string()),
    })
}

/// Minutes as a JSON list (`[1440, 60]`) or text (`1440,60`), kept as text
/// for the domain parser; an empty list is kept (it means none).
/// What a form's list of checkboxes sends first, so that none ticked is
/// "none" (an empty value would read as "not given").
pub const NONE_TICKED: &str = "none";

pub fn opt_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<i64>),
        // A form's checkboxes: repeated keys, after a blank one that says
        // the field was on the form at all (none ticked: no reminders).
        Texts(Vec<String>),
        Text(String),
        Int(i64),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::List(list)) => Some(
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(Raw::Texts(list)) => Some(
            list.iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty() && *s != NONE_TICKED)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(Raw::Text(s)) if s.trim() == NONE_TICKED => Some(String::new()),
        Some(Raw::Text(s)) => Some(s),
        Some(Raw::Int(n)) => Some(n.to_string()),
    })
}

/// A yes/no: JSON `true`/`false`, or a form checkbox (`on`, `true`, `yes`, `1`).
pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Bool(b)) => Some(b),
        Some(Raw::Text(s)) => Some(matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "on" | "true" | "yes" | "1"
        )),
    })
}

/// Parses a JSON body into `T`, naming the field a type error is in.
pub fn from_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        let detail = e.inner().to_string();
        let detail = detail
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        AppError::Validation(vec![FieldError {
            field,
            problem: Invalid::new("invalid.json").with("detail", detail),
        }])
    })
}

/// Parses an HTML form body (repeated keys become lists) into `T`.
pub fn from_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body).map_err(form_error)
}

/// A form body that does not read as its field struct.
pub fn form_error(e: impl std::fmt::Display) -> AppError {
    AppError::field("form", Invalid::new("invalid.form").with("detail", e))
}

/// Applies a JSON merge patch (RFC 7396, one level) to the current fields,
/// so that PATCH validates the whole resulting record like a create does.
pub fn merge_patch<T>(current: &T, patch: &[u8]) -> Result<T, AppError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let patch: serde_json::Value = from_json(patch)?;
    let serde_json::Value::Object(changes) = patch else {
        return Err(AppError::field(
            "body",
            Invalid::new("invalid.json").with("detail", "expected a JSON object"),
        ));
    };
    let mut merged = serde_json::to_value(current).map_err(|e| AppError::Unexpected(e.into()))?;
    if let serde_json::Value::Object(map) = &mut merged {
        for (key, value) in changes {
            map.insert(key, value);
        }
    }
    from_json(&serde_json::to_vec(&merged).map_err(|e| AppError::Unexpected(e.into()))?)
}
