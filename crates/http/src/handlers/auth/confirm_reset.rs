use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::ConfirmPasswordResetCommand;

use crate::dto::PasswordResetConfirmRequest;
use crate::extract::Body;
use crate::problem::Problem;
use crate::state::AppState;

/// Sets a new password with the code; every session of the user ends.
#[utoipa::path(
    post,
    path = "/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 422, description = "validation_failed, code_invalid, code_expired"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    Body(PasswordResetConfirmRequest {
        phone,
        code,
        new_password,
    }): Body<PasswordResetConfirmRequest>,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .confirm_password_reset
        .execute(ConfirmPasswordResetCommand {
            phone,
            code,
            new_password,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
