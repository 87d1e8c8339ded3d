//! Query parameters without axum's plain-text rejections.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use super::values::FieldValue;
use crate::problem::{FieldError, Problem};

/// The query string as names and values; a malformed one is a 422 `validation_failed`.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<BTreeMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Self(params))
            .map_err(|_| {
                Problem::validation(vec![FieldError::new(
                    "query",
                    "invalid",
                    "Неверные параметры запроса",
                )])
            })
    }
}

impl QueryParams {
    /// A required parameter read into `T` as a body field of its type is: its `required`
    /// message when absent or blank, else its own code and message; each bad one is pushed
    /// on `errors`.
    pub fn required<T: FieldValue>(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<T> {
        match self.0.get(name).map(|text| text.trim()) {
            None | Some("") => {
                errors.push(FieldError::new(name, "required", T::REQUIRED));
                None
            }
            Some(text) => match T::parse_field(text) {
                Ok(value) => Some(value),
                Err(invalid) => {
                    errors.push(FieldError::new(name, invalid.code, invalid.message));
                    None
                }
            },
        }
    }
}
