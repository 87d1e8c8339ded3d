use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::LinkAccountCommand;
use vodokanal_domain::{AccountNumber, Label, MeterLast4};

use crate::dto::{AccountDto, LinkAccountRequest};
use crate::extract::{Authenticated, JsonBody};
use crate::handlers::missing;
use crate::idempotency::JsonResponse;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Links an account by its number and the last four digits of one of its meters.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = LinkAccountRequest,
    responses(
        (status = 201, description = "The linked account", body = AccountDto),
        (status = 401, description = "unauthorized", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "account_already_linked", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, account_link_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests, with Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn link_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    body: JsonBody,
) -> Result<JsonResponse, Problem> {
    let mut form = body.form();
    let number = form.required::<AccountNumber>("account_number");
    let last4 = form.required::<MeterLast4>("meter_last4");
    let label = form.optional::<Label>("label");
    form.finish()?;
    let (Some(number), Some(last4), Some(label)) = (number, last4, label) else {
        return Err(missing());
    };
    let view = state
        .use_cases
        .link_account
        .execute(LinkAccountCommand {
            user_id: user.user_id,
            number,
            last4,
            label,
        })
        .await?;
    JsonResponse::new(StatusCode::CREATED, &AccountDto::from(&view))
}
