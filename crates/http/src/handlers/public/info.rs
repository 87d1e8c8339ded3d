use axum::extract::State;
use axum::http::StatusCode;

use crate::dto::InfoDto;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// The contact center, payment purposes, help texts and the reading window.
#[utoipa::path(
    get,
    path = "/info",
    tag = "public",
    responses(
        (status = 200, description = "What anyone sees without registering", body = InfoDto),
        (status = 500, description = "internal"),
    )
)]
pub async fn info(State(state): State<AppState>) -> Result<JsonResponse, Problem> {
    let view = state.use_cases.info.execute();
    JsonResponse::new(StatusCode::OK, &InfoDto::from(view))
}
