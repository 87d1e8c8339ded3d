use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::RequestRegistrationCommand;
use vodokanal_domain::{Email, MobilePhone};

use crate::dto::{CodeSentDto, RegistrationRequest};
use crate::extract::{ClientIp, JsonBody};
use crate::handlers::missing;
use crate::idempotency::JsonResponse;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Sends a registration code by SMS (the same answer for a phone already registered).
#[utoipa::path(
    post,
    path = "/auth/registration",
    tag = "auth",
    request_body = RegistrationRequest,
    responses(
        (status = 202, description = "A code goes to the phone", body = CodeSentDto),
        (status = 422, description = "validation_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests, with Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn request_registration(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    body: JsonBody,
) -> Result<JsonResponse, Problem> {
    let mut form = body.form();
    let phone = form.required::<MobilePhone>("phone");
    let email = form.required::<Email>("email");
    let consent = form.required_bool(
        "consent_personal_data",
        "Необходимо согласие на обработку персональных данных.",
    );
    if consent == Some(false) {
        form.error(
            "consent_personal_data",
            "required",
            "Необходимо согласие на обработку персональных данных.",
        );
    }
    form.finish()?;
    let (Some(phone), Some(email), Some(consent)) = (phone, email, consent) else {
        return Err(missing());
    };
    let sent = state
        .use_cases
        .request_registration
        .execute(RequestRegistrationCommand {
            phone,
            email,
            consent,
            client_ip,
        })
        .await?;
    JsonResponse::new(StatusCode::ACCEPTED, &CodeSentDto::from(sent))
}
