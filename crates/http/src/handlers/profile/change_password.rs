use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::profile::ChangePasswordCommand;

use crate::dto::ChangePasswordRequest;
use crate::extract::{Authenticated, Body};
use crate::problem::Problem;
use crate::state::AppState;

/// A new password, given the current one; the caller's other sessions end.
#[utoipa::path(
    post,
    path = "/profile/password",
    tag = "profile",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 401, description = "unauthorized, invalid_credentials"),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "too_many_requests: too many wrong passwords (counted with the logins of the user's phone)"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(ChangePasswordRequest {
        current_password,
        new_password,
    }): Body<ChangePasswordRequest>,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .change_password
        .execute(ChangePasswordCommand {
            user_id: user.user_id,
            session: user.session,
            current_password,
            new_password,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
