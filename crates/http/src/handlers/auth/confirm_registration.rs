use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::ConfirmRegistrationCommand;
use vodokanal_domain::{OneTimeCode, Password, Phone};

use crate::dto::{RegistrationConfirmRequest, SessionDto};
use crate::extract::JsonBody;
use crate::handlers::missing;
use crate::idempotency::JsonResponse;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Confirms the code: creates the user and its first session.
#[utoipa::path(
    post,
    path = "/auth/registration/confirm",
    tag = "auth",
    request_body = RegistrationConfirmRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = SessionDto),
        (status = 409, description = "email_taken", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, code_invalid, code_expired", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_registration(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<JsonResponse, Problem> {
    let mut form = body.form();
    let phone = form.required::<Phone>("phone");
    let code = form.required::<OneTimeCode>("code");
    let password = form.required::<Password>("password");
    form.finish()?;
    let (Some(phone), Some(code), Some(password)) = (phone, code, password) else {
        return Err(missing());
    };
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
