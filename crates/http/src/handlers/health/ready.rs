use axum::extract::State;
use axum::http::StatusCode;

use crate::dto::HealthDto;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// 200 when the database answers, else 503 with `Retry-After`.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = HealthDto),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<JsonResponse, Problem> {
    state.health.ping().await?;
    JsonResponse::new(
        StatusCode::OK,
        &HealthDto {
            status: "ok".into(),
        },
    )
}
