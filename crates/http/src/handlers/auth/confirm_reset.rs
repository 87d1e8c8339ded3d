use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::ConfirmPasswordResetCommand;
use vodokanal_domain::{OneTimeCode, Password, Phone};

use crate::dto::PasswordResetConfirmRequest;
use crate::extract::JsonBody;
use crate::handlers::missing;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Sets a new password with the code; every session of the user ends.
#[utoipa::path(
    post,
    path = "/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 422, description = "validation_failed, code_invalid, code_expired", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    let mut form = body.form();
    let phone = form.required::<Phone>("phone");
    let code = form.required::<OneTimeCode>("code");
    let new_password = form.required::<Password>("new_password");
    form.finish()?;
    let (Some(phone), Some(code), Some(new_password)) = (phone, code, new_password) else {
        return Err(missing());
    };
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
