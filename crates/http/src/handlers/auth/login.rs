use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::{LoginCommand, LoginName};
use vodokanal_domain::LoginPassword;

use crate::dto::{LoginRequest, SessionDto};
use crate::extract::{ClientIp, JsonBody};
use crate::handlers::missing;
use crate::idempotency::JsonResponse;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Logs in with a phone or an e-mail and a password.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = SessionDto),
        (status = 401, description = "invalid_credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests, with Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable, with Retry-After (also when the password hasher's queue is full)", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientIp,
    body: JsonBody,
) -> Result<JsonResponse, Problem> {
    let mut form = body.form();
    let login = form.required::<LoginName>("login");
    let password = form.required::<LoginPassword>("password");
    form.finish()?;
    let (Some(login), Some(password)) = (login, password) else {
        return Err(missing());
    };
    let signed_in = state
        .use_cases
        .login
        .execute(LoginCommand {
            login,
            password,
            client_network: client.network(),
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &SessionDto::from(&signed_in))
}
