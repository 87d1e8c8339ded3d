use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::LoginCommand;

use crate::dto::{LoginRequest, SessionDto};
use crate::extract::{Body, ClientIp};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Logs in with a phone or an e-mail and a password.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = SessionDto),
        (status = 401, description = "invalid_credentials"),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "too_many_requests, with Retry-After"),
        (status = 503, description = "service_unavailable, with Retry-After (also when the password hasher's queue is full)"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientIp,
    Body(LoginRequest { login, password }): Body<LoginRequest>,
) -> Result<JsonResponse, Problem> {
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
