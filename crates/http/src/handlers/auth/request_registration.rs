use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::RequestRegistrationCommand;

use crate::dto::{CodeSentDto, RegistrationRequest};
use crate::extract::{Body, ClientIp, ConsentGiven};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Sends a registration code by SMS (the same answer for a phone already registered).
#[utoipa::path(
    post,
    path = "/auth/registration",
    tag = "auth",
    request_body = RegistrationRequest,
    responses(
        (status = 202, description = "A code goes to the phone", body = CodeSentDto),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "too_many_requests, with Retry-After"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn request_registration(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    Body(RegistrationRequest {
        phone,
        email,
        consent_personal_data: ConsentGiven,
    }): Body<RegistrationRequest>,
) -> Result<JsonResponse, Problem> {
    let sent = state
        .use_cases
        .request_registration
        .execute(RequestRegistrationCommand {
            phone,
            email,
            consent: true,
            client_ip,
        })
        .await?;
    JsonResponse::new(StatusCode::ACCEPTED, &CodeSentDto::from(sent))
}
