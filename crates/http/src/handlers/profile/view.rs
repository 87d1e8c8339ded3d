use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::profile::ViewProfileCommand;

use crate::dto::ProfileDto;
use crate::extract::Authenticated;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// The caller's phone, e-mail and registration time.
#[utoipa::path(
    get,
    path = "/profile",
    tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileDto),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn view_profile(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<JsonResponse, Problem> {
    let profile = state
        .use_cases
        .view_profile
        .execute(ViewProfileCommand {
            user_id: user.user_id,
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &ProfileDto::from(&profile))
}
