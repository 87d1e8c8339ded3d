use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::RequestPasswordResetCommand;

use crate::dto::{CodeSentDto, PasswordResetRequest};
use crate::extract::{Body, ClientIp};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Sends a password-reset code (the same answer whether or not the phone is registered).
#[utoipa::path(
    post,
    path = "/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "A code goes to the phone, if registered", body = CodeSentDto),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "too_many_requests, with Retry-After"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    Body(PasswordResetRequest { phone }): Body<PasswordResetRequest>,
) -> Result<JsonResponse, Problem> {
    let sent = state
        .use_cases
        .request_password_reset
        .execute(RequestPasswordResetCommand { phone, client_ip })
        .await?;
    JsonResponse::new(StatusCode::ACCEPTED, &CodeSentDto::from(sent))
}
