//! JSON bodies without axum's plain-text rejections: [`JsonBody`] reads the bytes and checks that
//! they are a JSON object; [`Form`] then reads each field into a domain value object, collecting
//! every bad field (not only the first) into one 422 `validation_failed`.
//!
//! Fields are kept as raw JSON text, so that a number such as `12.1` is read from its text
//! `"12.1"` by the value object's own parser, never through `f64`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::value::RawValue;

use super::values::FieldValue;
use crate::problem::{FieldError, Problem, ProblemCode};

/// A request body that is a JSON object, with its raw bytes (for `Idempotency-Key`).
#[derive(Debug)]
pub struct JsonBody {
    pub raw: Bytes,
}

impl JsonBody {
    /// The fields, to read them with [`Form`].
    pub fn form(&self) -> Form<'_> {
        let fields = serde_json::from_slice(&self.raw).unwrap_or_default();
        Form::new(fields, String::new())
    }

    /// Parses raw bytes (used by the extractor and by tests).
    pub fn parse(raw: Bytes) -> Result<Self, Problem> {
        let value: Box<RawValue> = serde_json::from_slice(&raw).map_err(|_| {
            body_problem("invalid_json", "Тело запроса не является корректным JSON.")
        })?;
        serde_json::from_str::<BTreeMap<String, &RawValue>>(value.get()).map_err(|_| {
            body_problem("not_an_object", "Тело запроса должно быть JSON-объектом.")
        })?;
        Ok(Self { raw })
    }
}

fn body_problem(code: &str, message: &str) -> Problem {
    Problem::validation(vec![FieldError::new("body", code, message)])
}

/// Whether a `Content-Type` is `application/json`, with or without parameters such as
/// `charset=utf-8`, in any case. Nothing else is JSON here: a form or `text/plain` body is what a
/// foreign web page can post from a visitor's browser without asking (no CORS preflight).
fn is_json(value: &str) -> bool {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/json")
}

/// 415 `unsupported_media_type` (contract v1.1).
pub fn unsupported_media_type() -> Problem {
    Problem::new(
        ProblemCode::UnsupportedMediaType,
        "Тело запроса должно быть в формате JSON (Content-Type: application/json).",
    )
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    /// A body with a `Content-Type` other than `application/json`, or with none, is 415; an
    /// empty body without one is a missing body (422), as before the check.
    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut types = request.headers().get_all(header::CONTENT_TYPE).iter();
        let declared_json = match (types.next(), types.next()) {
            (None, _) => false,
            (Some(value), None) if value.to_str().is_ok_and(is_json) => true,
            _ => return Err(unsupported_media_type()),
        };
        let raw =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(_) if too_large(&rejection) => {
                        payload_too_large()
                    }
                    _ => body_problem("unreadable", "Не удалось прочитать тело запроса."),
                })?;
        if !declared_json && !raw.is_empty() {
            return Err(unsupported_media_type());
        }
        Self::parse(raw)
    }
}

fn too_large(rejection: &BytesRejection) -> bool {
    rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
}

/// 413 `payload_too_large` (an extension of the contract).
pub fn payload_too_large() -> Problem {
    Problem::new(
        ProblemCode::PayloadTooLarge,
        "Слишком большой запрос: не более 64 КиБ.",
    )
}

/// Reads the fields of one JSON object, collecting the errors of every bad field.
#[derive(Debug)]
pub struct Form<'a> {
    fields: BTreeMap<String, &'a RawValue>,
    prefix: String,
    errors: Vec<FieldError>,
}

/// What a field holds, before it is parsed.
enum Raw<'a> {
    Absent,
    Null,
    Present(&'a RawValue),
}

impl<'a> Form<'a> {
    fn new(fields: BTreeMap<String, &'a RawValue>, prefix: String) -> Self {
        Self {
            fields,
            prefix,
            errors: Vec::new(),
        }
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        let name = self.name(field);
        self.errors.push(FieldError::new(name, code, message));
    }

    fn raw(&self, field: &str) -> Raw<'a> {
        match self.fields.get(field) {
            None => Raw::Absent,
            Some(raw) if raw.get() == "null" => Raw::Null,
            Some(raw) => Raw::Present(raw),
        }
    }

    /// A JSON string field's text; `None` when absent or null. A field of another type is an
    /// error (`invalid_type`) and counts as absent.
    fn string(&mut self, field: &str) -> Option<String> {
        match self.raw(field) {
            Raw::Absent | Raw::Null => None,
            Raw::Present(raw) => {
                if let Ok(text) = serde_json::from_str::<String>(raw.get()) {
                    Some(text)
                } else {
                    self.push(field, "invalid_type", "Ожидается строка.");
                    None
                }
            }
        }
    }

    /// A string or a number, as text: the number's own digits, never through `f64`.
    fn decimal(&mut self, field: &str) -> Option<String> {
        match self.raw(field) {
            Raw::Absent | Raw::Null => None,
            Raw::Present(raw) => {
                let text = raw.get();
                if text.starts_with('"') {
                    serde_json::from_str::<String>(text).ok()
                } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                    Some(text.to_owned())
                } else {
                    self.push(
                        field,
                        "invalid_type",
                        "Ожидается число или строка с числом.",
                    );
                    None
                }
            }
        }
    }

    fn parse_text<T: FieldValue>(&mut self, field: &str, text: &str) -> Option<T> {
        match T::parse_field(text) {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.push(field, invalid.code, invalid.message);
                None
            }
        }
    }

    /// A required string field parsed into `T`.
    pub fn required<T: FieldValue>(&mut self, field: &str) -> Option<T> {
        let present = matches!(self.raw(field), Raw::Present(_));
        if let Some(text) = self.string(field) {
            self.parse_text(field, &text)
        } else {
            if !present {
                self.push(field, "required", T::REQUIRED);
            }
            None
        }
    }

    /// An optional string field: `Some(None)` when absent, null or blank, `None` when bad.
    pub fn optional<T: FieldValue>(&mut self, field: &str) -> Option<Option<T>> {
        let present = matches!(self.raw(field), Raw::Present(_));
        match self.string(field) {
            Some(text) if text.trim().is_empty() => Some(None),
            Some(text) => self.parse_text(field, &text).map(Some),
            None if present => None,
            None => Some(None),
        }
    }

    /// A required amount or reading: a JSON string or number parsed into `T` from its text.
    pub fn required_decimal<T: FieldValue>(&mut self, field: &str) -> Option<T> {
        let present = matches!(self.raw(field), Raw::Present(_));
        if let Some(text) = self.decimal(field) {
            self.parse_text(field, &text)
        } else {
            if !present {
                self.push(field, "required", T::REQUIRED);
            }
            None
        }
    }

    /// A required boolean.
    pub fn required_bool(&mut self, field: &str, required_message: &str) -> Option<bool> {
        match self.raw(field) {
            Raw::Absent | Raw::Null => {
                self.push(field, "required", required_message);
                None
            }
            Raw::Present(raw) => match raw.get() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    self.push(field, "invalid_type", "Ожидается true или false.");
                    None
                }
            },
        }
    }

    /// A required array of objects, each read with its own [`Form`] (prefixed `field[i].`);
    /// give each back with [`Form::absorb`] so that its errors count. An item that is not an
    /// object is an error here, and the others are still read, so every bad field is named.
    pub fn objects(&mut self, field: &str, required_message: &str) -> Option<Vec<Form<'a>>> {
        let raw = match self.raw(field) {
            Raw::Absent | Raw::Null => {
                self.push(field, "required", required_message);
                return None;
            }
            Raw::Present(raw) => raw,
        };
        let Ok(items) = serde_json::from_str::<Vec<&'a RawValue>>(raw.get()) else {
            self.push(field, "invalid_type", "Ожидается массив.");
            return None;
        };
        let mut forms = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            if let Ok(fields) = serde_json::from_str::<BTreeMap<String, &'a RawValue>>(item.get()) {
                forms.push(Form::new(
                    fields,
                    format!("{}{field}[{index}].", self.prefix),
                ));
            } else {
                self.push(
                    &format!("{field}[{index}]"),
                    "invalid_type",
                    "Ожидается объект.",
                );
            }
        }
        Some(forms)
    }

    /// Takes back the errors of an item form.
    pub fn absorb(&mut self, item: Form<'_>) {
        self.errors.extend(item.errors);
    }

    /// Whether the object has the field at all (even `null`).
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Records an error found by the handler itself.
    pub fn error(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.push(field, code, message);
    }

    /// `Ok` when every field read was good; otherwise the 422 naming each bad one.
    pub fn finish(self) -> Result<(), Problem> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(self.errors))
        }
    }
}
