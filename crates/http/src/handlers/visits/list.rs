use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::visits::ListVisitsCommand;

use crate::dto::VisitRequestDto;
use crate::extract::Authenticated;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// The caller's own visit requests, newest first.
#[utoipa::path(
    get,
    path = "/visit-requests",
    tag = "visits",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The visit requests", body = Vec<VisitRequestDto>),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn list_visits(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<JsonResponse, Problem> {
    let visits = state
        .use_cases
        .list_visits
        .execute(ListVisitsCommand {
            user_id: user.user_id,
        })
        .await?;
    let visits: Vec<VisitRequestDto> = visits.iter().map(VisitRequestDto::from).collect();
    JsonResponse::new(StatusCode::OK, &visits)
}
