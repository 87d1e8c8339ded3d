use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use vodokanal_app::readings::ReadingHistoryCommand;

use crate::dto::ReadingDto;
use crate::extract::{AccountPath, Authenticated, QueryParams};
use crate::idempotency::JsonResponse;
use crate::problem::{FieldError, Problem};
use crate::state::AppState;

/// A page of a linked account's readings, newest first.
#[utoipa::path(
    get,
    path = "/accounts/{number}/readings",
    tag = "readings",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 4_294_967_295_u64, description = "1..=100, default 50 (larger values are cut to 100)"),
        ("before" = Option<String>, Query, format = DateTime, description = "Only readings submitted before this instant (RFC 3339)"),
    ),
    responses(
        (status = 200, description = "The readings, newest first; a voided one carries `voided_at`", body = Vec<ReadingDto>),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 422, description = "validation_failed: a bad limit or before"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn reading_history(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
    QueryParams(params): QueryParams,
) -> Result<JsonResponse, Problem> {
    let mut errors = Vec::new();
    let limit = match params.get("limit").map(|text| text.trim().parse::<u32>()) {
        None => None,
        Some(Ok(limit)) if limit >= 1 => Some(limit),
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                "invalid",
                "Параметр limit: целое число от 1 до 100",
            ));
            None
        }
    };
    let before = match params
        .get("before")
        .map(|text| DateTime::parse_from_rfc3339(text.trim()))
    {
        None => None,
        Some(Ok(at)) => Some(at.with_timezone(&Utc)),
        Some(Err(_)) => {
            errors.push(FieldError::new(
                "before",
                "invalid",
                "Параметр before: момент времени в формате RFC 3339, например 2026-11-16T12:00:00+03:00",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let readings = state
        .use_cases
        .reading_history
        .execute(ReadingHistoryCommand {
            user_id: user.user_id,
            account_number,
            limit,
            before,
        })
        .await?;
    let readings: Vec<ReadingDto> = readings.iter().map(ReadingDto::from).collect();
    JsonResponse::new(StatusCode::OK, &readings)
}
