//! One generic form for the admin and public pages: fields are described once, filled
//! from the same field structs the API uses, and carry their own errors.

use actix_web::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use crate::domain::Invalid;
use crate::error::AppError;
use crate::routes::PageContext;

#[derive(Debug, Clone)]
pub enum FieldKind {
    Text,
    Email,
    Url,
    Number,
    TextArea,
    /// `<input type="datetime-local">`: wall-clock time in the event's zone.
    DateTime,
    /// A fixed list: (value, label).
    Select(Vec<(String, String)>),
    /// Free text with suggestions (time zones: any IANA name is fine).
    Choice(Vec<(String, String)>),
    /// Several of a list, sent as repeated keys.
    Checkboxes(Vec<(String, String)>),
    /// One yes/no box (sends `on` when ticked).
    Checkbox,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    /// The `<input type>`, or `textarea`, `select`, `choice`, `checkboxes`.
    pub input: &'static str,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub hint: Option<&'static str>,
    pub value: String,
    pub values: Vec<String>,
    pub errors: Vec<String>,
    /// Checkboxes that send one blank value first, so that none ticked
    /// reads as "none" rather than "not on the form".
    pub sends_empty: bool,
    /// The `autocomplete` token of the input.
    pub autocomplete: Option<&'static str>,
    /// A link to the privacy notice after the hint (the consent box).
    pub privacy_link: bool,
}

impl Field {
    pub fn new(name: &'static str, kind: FieldKind) -> Self {
        let (input, options) = match kind {
            FieldKind::Text => ("text", Vec::new()),
            FieldKind::Email => ("email", Vec::new()),
            FieldKind::Checkbox => ("checkbox", Vec::new()),
            FieldKind::Url => ("url", Vec::new()),
            FieldKind::Number => ("number", Vec::new()),
            FieldKind::TextArea => ("textarea", Vec::new()),
            FieldKind::DateTime => ("datetime-local", Vec::new()),
            FieldKind::Select(o) => ("select", o),
            FieldKind::Choice(o) => ("choice", o),
            FieldKind::Checkboxes(o) => ("checkboxes", o),
        };
        Self {
            name,
            input,
            options,
            required: false,
            hint: None,
            value: String::new(),
            values: Vec::new(),
            errors: Vec::new(),
            sends_empty: false,
            autocomplete: None,
            privacy_link: false,
        }
    }

    pub fn sends_empty(mut self) -> Self {
        self.sends_empty = true;
        self
    }

    pub fn with_privacy_link(mut self) -> Self {
        self.privacy_link = true;
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = Some(token);
        self
    }

    /// The id of the element that describes the input (hint and errors).
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if !self.errors.is_empty() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn hint(mut self, key: &'static str) -> Self {
        self.hint = Some(key);
        self
    }

    /// The label's message key.
    pub fn label_key(&self) -> String {
        format!("field.{}", self.name)
    }

    /// A select whose options are grouped (`optgroup:` entries start a group).
    pub fn has_groups(&self) -> bool {
        self.options.iter().any(|(v, _)| v.starts_with("optgroup:"))
    }

    pub fn is_selected(&self, option: &str) -> bool {
        self.value == option || self.values.iter().any(|v| v == option)
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub submit: &'static str,
    pub fields: Vec<Field>,
    /// Sent back on edit so that a change made meanwhile is refused (409).
    pub revision: Option<i32>,
    values: serde_json::Map<String, Value>,
}

impl Form {
    pub fn new(
        action: String,
        submit: &'static str,
        current: &impl Serialize,
        revision: Option<i32>,
    ) -> Self {
        let values = match serde_json::to_value(current) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Self {
            action,
            submit,
            fields: Vec::new(),
            revision,
            values,
        }
    }

    pub fn field(mut self, mut field: Field) -> Self {
        match self.values.get(field.name) {
            // A list stored as text ("1440,60") ticks its boxes.
            Some(Value::String(s)) if field.input == "checkboxes" => {
                field.values = s.split(',').map(|v| v.trim().to_owned()).collect()
            }
            Some(Value::String(s)) => field.value = s.clone(),
            Some(Value::Array(items)) => {
                field.values = items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            }
            Some(Value::Number(n)) => field.value = n.to_string(),
            Some(Value::Bool(b)) => field.value = if *b { "on".into() } else { String::new() },
            _ => {}
        }
        self.fields.push(field);
        self
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| !f.errors.is_empty())
    }

    /// Puts each problem beside its field (`room_ids[1]` belongs to
    /// `room_ids`); returns the ones that name no field of this form.
    pub fn attach(&mut self, ctx: &PageContext, problems: &[(String, Invalid)]) -> Vec<String> {
        let mut general = Vec::new();
        for (name, problem) in problems {
            let base = name.split(['[', '.']).next().unwrap_or_default();
            match self.fields.iter_mut().find(|f| f.name == base) {
                Some(field) => field.errors.push(ctx.message(problem)),
                None => general.push(ctx.message(problem)),
            }
        }
        general
    }
}

/// What a rejected submission shows: 422 for invalid input, 409 for a
/// conflict with stored data.
pub struct FormErrors {
    pub status: StatusCode,
    pub fields: Vec<(String, Invalid)>,
}

impl FormErrors {
    /// Form errors from a service error; other errors are passed on.
    pub fn from_error(e: AppError) -> Result<Self, AppError> {
        match e {
            AppError::Validation(errors) => Ok(Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                fields: errors.into_iter().map(|e| (e.field, e.problem)).collect(),
            }),
            AppError::Conflict { field, problem } => Ok(Self {
                status: StatusCode::CONFLICT,
                fields: vec![(field.unwrap_or_default().to_owned(), problem)],
            }),
            other => Err(other),
        }
    }
}
