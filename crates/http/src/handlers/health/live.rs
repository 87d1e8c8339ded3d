use axum::http::StatusCode;

use crate::dto::HealthDto;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;

/// 200 while the process runs; asks nothing of the database.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    responses((status = 200, description = "The process runs", body = HealthDto))
)]
pub async fn live() -> Result<JsonResponse, Problem> {
    JsonResponse::new(
        StatusCode::OK,
        &HealthDto {
            status: "ok".into(),
        },
    )
}
