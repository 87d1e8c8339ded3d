use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::profile::ChangePasswordCommand;
use vodokanal_domain::{LoginPassword, Password};

use crate::dto::ChangePasswordRequest;
use crate::extract::{Authenticated, JsonBody};
use crate::handlers::missing;
use crate::problem::{Problem, ProblemBody};
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
        (status = 401, description = "unauthorized, invalid_credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests: too many wrong passwords (counted with the logins of the user's phone)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    let mut form = body.form();
    let current_password = form.required::<LoginPassword>("current_password");
    let new_password = form.required::<Password>("new_password");
    form.finish()?;
    let (Some(current_password), Some(new_password)) = (current_password, new_password) else {
        return Err(missing());
    };
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
