use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::notices::verify_email::LINK_PAUSE;

use crate::dto::{EmailLinkSentDto, VerifyEmailRequest};
use crate::extract::{Authenticated, Body};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Sends a new link that verifies the profile's address («Отправить ссылку еще раз»).
#[utoipa::path(
    post,
    path = "/profile/email/verify",
    tag = "notices",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The link is queued", body = EmailLinkSentDto),
        (status = 401, description = "unauthorized"),
        (status = 409, description = "email_already_verified"),
        (status = 429, description = "too_many_requests: one link per 180 s, 5 a day"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn request_email_link(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<JsonResponse, Problem> {
    state
        .use_cases
        .email_verification
        .request(user.user_id)
        .await?;
    JsonResponse::new(
        StatusCode::ACCEPTED,
        &EmailLinkSentDto {
            resend_after: LINK_PAUSE.window.num_seconds(),
        },
    )
}

/// Accepts the link of the mail: the address it was sent to is verified. No session needed.
#[utoipa::path(
    post,
    path = "/email/verify",
    tag = "notices",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 422, description = "validation_failed, link_invalid"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn verify_email(
    State(state): State<AppState>,
    Body(VerifyEmailRequest { token }): Body<VerifyEmailRequest>,
) -> Result<StatusCode, Problem> {
    state.use_cases.email_verification.verify(&token.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
