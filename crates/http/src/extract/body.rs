//! JSON bodies without axum's plain-text rejections: [`JsonBody`] reads the bytes and checks that
//! they are a JSON object; [`Form`] then reads each field into a domain value object, collecting
//! every bad field (not only the first) into one 422 `validation_failed`. Handlers never call
//! it by hand: a request type declared by `request_body!` reads itself through it.
//!
//! Fields are kept as raw JSON text, so that a number such as `12.1` is read from its text
//! `"12.1"` by the value object's own parser, never through `f64`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::value::RawValue;

use super::request::RequestBody;
use super::values::{FieldValue, ReturnOrigins};
use crate::problem::{FieldError, Problem, ProblemCode};

/// A request body that is a JSON object, with its raw bytes (for `Idempotency-Key`).
#[derive(Debug)]
pub struct JsonBody {
    pub raw: Bytes,
}

impl JsonBody {
    /// The body read into `T`: every bad field named in one 422. A `return_url` must lead to
    /// one of `origins`.
    pub fn read<T: RequestBody>(&self, origins: &ReturnOrigins) -> Result<T, Problem> {
        let fields = serde_json::from_slice(&self.raw).unwrap_or_default();
        let mut form = Form::new(fields, String::new(), origins);
        let value = T::read(&mut form);
        form.finish(value)
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
    /// Where a `return_url` may lead.
    pub(super) origins: &'a ReturnOrigins,
}

/// What a field holds, before it is parsed.
enum Raw<'a> {
    Absent,
    Null,
    Present(&'a RawValue),
}

impl<'a> Form<'a> {
    fn new(
        fields: BTreeMap<String, &'a RawValue>,
        prefix: String,
        origins: &'a ReturnOrigins,
    ) -> Self {
        Self {
            fields,
            prefix,
            errors: Vec::new(),
            origins,
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

    /// A field's text: a JSON string, or for a `decimal` a string or a number.
    fn text(&mut self, field: &str, decimal: bool) -> Option<String> {
        if decimal {
            self.decimal(field)
        } else {
            self.string(field)
        }
    }

    /// A required field parsed into `T`: a JSON string, or for a decimal ([`FieldValue::DECIMAL`])
    /// a string or a number read from its text.
    pub fn required<T: FieldValue>(&mut self, field: &str) -> Option<T> {
        let present = matches!(self.raw(field), Raw::Present(_));
        if let Some(text) = self.text(field, T::DECIMAL) {
            self.parse_text(field, &text)
        } else {
            if !present {
                self.push(field, "required", T::REQUIRED);
            }
            None
        }
    }

    /// An optional field's text: `Some(None)` when absent, null or blank, `None` when it is of
    /// another type.
    #[expect(
        clippy::option_option,
        reason = "as in `optional`: absent is `Some(None)`, bad is `None`"
    )]
    pub(super) fn optional_text(&mut self, field: &str, decimal: bool) -> Option<Option<String>> {
        let present = matches!(self.raw(field), Raw::Present(_));
        match self.text(field, decimal) {
            Some(text) if text.trim().is_empty() => Some(None),
            Some(text) => Some(Some(text)),
            None if present => None,
            None => Some(None),
        }
    }

    /// An optional field: `Some(None)` when absent, null or blank, `None` when bad.
    pub fn optional<T: FieldValue>(&mut self, field: &str) -> Option<Option<T>> {
        match self.optional_text(field, T::DECIMAL)? {
            None => Some(None),
            Some(text) => self.parse_text(field, &text).map(Some),
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

    /// A required array of objects, each read into `T` under the names `field[i].name`. An
    /// item that is not an object is an error, and the others are still read, so that every bad
    /// field is named.
    pub fn list<T: RequestBody>(&mut self, field: &str, required_message: &str) -> Option<Vec<T>> {
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
        let mut values = Some(Vec::with_capacity(items.len()));
        for (index, item) in items.into_iter().enumerate() {
            let read = if let Ok(fields) = serde_json::from_str(item.get()) {
                let prefix = format!("{}{field}[{index}].", self.prefix);
                let mut form = Form::new(fields, prefix, self.origins);
                let value = T::read(&mut form);
                self.errors.extend(form.errors);
                value
            } else {
                self.push(
                    &format!("{field}[{index}]"),
                    "invalid_type",
                    "Ожидается объект.",
                );
                None
            };
            values = values.zip(read).map(|(mut values, value)| {
                values.push(value);
                values
            });
        }
        values
    }

    /// A required object, read into `T` under the names `field.name`.
    pub fn object<T: RequestBody>(&mut self, field: &str, required_message: &str) -> Option<T> {
        let raw = match self.raw(field) {
            Raw::Absent | Raw::Null => {
                self.push(field, "required", required_message);
                return None;
            }
            Raw::Present(raw) => raw,
        };
        let Ok(fields) = serde_json::from_str(raw.get()) else {
            self.push(field, "invalid_type", "Ожидается объект.");
            return None;
        };
        let prefix = format!("{}{field}.", self.prefix);
        let mut form = Form::new(fields, prefix, self.origins);
        let value = T::read(&mut form);
        self.errors.extend(form.errors);
        value
    }

    /// A required array of strings, each parsed into `T` (named `field[i]` when bad).
    pub fn strings<T: FieldValue>(
        &mut self,
        field: &str,
        required_message: &str,
    ) -> Option<Vec<T>> {
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
        let mut values = Some(Vec::with_capacity(items.len()));
        for (index, item) in items.into_iter().enumerate() {
            let name = format!("{field}[{index}]");
            let read = if let Ok(text) = serde_json::from_str::<String>(item.get()) {
                self.parse_text(&name, &text)
            } else {
                self.push(&name, "invalid_type", "Ожидается строка.");
                None
            };
            values = values.zip(read).map(|(mut values, value)| {
                values.push(value);
                values
            });
        }
        values
    }

    /// Whether the object has the field at all (even `null`).
    pub(super) fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Records an error found by a field's own rule.
    pub(super) fn error(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.push(field, code, message);
    }

    /// `value` when every field read was good; otherwise the 422 naming each bad one. Each
    /// read that gives `None` has named its field, so `None` comes with errors.
    fn finish<T>(self, value: Option<T>) -> Result<T, Problem> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(Problem::validation(self.errors)),
        }
    }
}
