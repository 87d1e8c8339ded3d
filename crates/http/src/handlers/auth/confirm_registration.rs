use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::ConfirmRegistrationCommand;

use crate::dto::{RegistrationConfirmRequest, SessionDto};
use crate::extract::Body;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Confirms the code: creates the user and its first session.
#[utoipa::path(
    post,
    path = "/auth/registration/confirm",
    tag = "auth",
    request_body = RegistrationConfirmRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = SessionDto),
        (status = 409, description = "email_taken"),
        (status = 422, description = "validation_failed, code_invalid, code_expired"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn confirm_registration(
    State(state): State<AppState>,
    Body(RegistrationConfirmRequest {
        phone,
        code,
        password,
    }): Body<RegistrationConfirmRequest>,
) -> Result<JsonResponse, Problem> {
    let signed_in = state
        .use_cases
        .confirm_registration
        .execute(ConfirmRegistrationCommand {
            phone,
            code,
            password,
        })
        .await?;
    JsonResponse::new(StatusCode::CREATED, &SessionDto::from(&signed_in))
}
