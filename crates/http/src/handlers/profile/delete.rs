use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::profile::DeleteProfileCommand;
use vodokanal_domain::LoginPassword;

use crate::dto::DeleteProfileRequest;
use crate::extract::{Authenticated, JsonBody};
use crate::handlers::missing;
use crate::problem::{Problem, ProblemBody};
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
        (status = 401, description = "unauthorized, invalid_credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests: too many wrong passwords (counted with the logins of the user's phone)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn delete_profile(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    let mut form = body.form();
    let password = form.required::<LoginPassword>("password");
    form.finish()?;
    let Some(password) = password else {
        return Err(missing());
    };
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
