//! Path parameters without axum's plain-text rejections.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use vodokanal_domain::{AccountNumber, PaymentId, VisitRequestId};

use crate::errors::{account_not_found_problem, visit_not_found_problem};
use crate::problem::{FieldError, Problem};

async fn segment<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    field: &str,
) -> Result<String, Problem> {
    Path::<String>::from_request_parts(parts, state)
        .await
        .map(|Path(text)| text)
        .map_err(|_| {
            Problem::validation(vec![FieldError::new(
                field,
                "invalid",
                "Неверный адрес запроса",
            )])
        })
}

/// `{number}` of a cabinet path. A number that can't be an account number is a 404
/// `not_found`, like an account that is not linked to the caller: neither is one of theirs.
#[derive(Debug, Clone)]
pub struct AccountPath(pub AccountNumber);

impl<S: Send + Sync> FromRequestParts<S> for AccountPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let text = segment(parts, state, "number")
            .await
            .map_err(|_| account_not_found_problem())?;
        text.parse()
            .map(Self)
            .map_err(|_| account_not_found_problem())
    }
}

/// `{id}` of `/payments/{id}`: not a UUID is a 422 `validation_failed` naming `id`.
#[derive(Debug, Clone, Copy)]
pub struct PaymentPath(pub PaymentId);

impl<S: Send + Sync> FromRequestParts<S> for PaymentPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let text = segment(parts, state, "id").await?;
        text.parse().map(Self).map_err(|_| {
            Problem::validation(vec![FieldError::new(
                "id",
                "invalid",
                "Неверный номер платежа",
            )])
        })
    }
}

/// `{id}` of `/visit-requests/{id}/…`. An id that is not a UUID is a 404 `not_found`, like an
/// unknown visit request or another user's: none of them is one of the caller's.
#[derive(Debug, Clone, Copy)]
pub struct VisitPath(pub VisitRequestId);

impl<S: Send + Sync> FromRequestParts<S> for VisitPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let text = segment(parts, state, "id")
            .await
            .map_err(|_| visit_not_found_problem())?;
        text.parse()
            .map(Self)
            .map_err(|_| visit_not_found_problem())
    }
}

/// `{provider}` of `/payments/notifications/{provider}`, as given.
#[derive(Debug, Clone)]
pub struct ProviderPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ProviderPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        segment(parts, state, "provider").await.map(Self)
    }
}
