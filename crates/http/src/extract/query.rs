//! Query parameters without axum's plain-text rejections.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

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
