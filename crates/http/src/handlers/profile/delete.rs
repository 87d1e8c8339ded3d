use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::profile::DeleteProfileCommand;

use crate::dto::DeleteProfileRequest;
use crate::extract::{Authenticated, Body};
use crate::problem::Problem;
use crate::state::AppState;

/// Deletes the user, their links and sessions; readings and payments stay, without the user.
#[utoipa::path(
    delete,
    path = "/profile",
    tag = "profile",
    security(("bearer" = [])),
    request_body = DeleteProfileRequest,
    responses(
        (status = 204, description = "The profile is deleted"),
        (status = 401, description = "unauthorized, invalid_credentials"),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "too_many_requests: too many wrong passwords (counted with the logins of the user's phone)"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn delete_profile(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(DeleteProfileRequest { password }): Body<DeleteProfileRequest>,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .delete_profile
        .execute(DeleteProfileCommand {
            user_id: user.user_id,
            password,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
