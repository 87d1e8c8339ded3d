use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::LinkAccountCommand;

use crate::dto::{AccountDto, LinkAccountRequest};
use crate::extract::{Authenticated, Body};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
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
        (status = 401, description = "unauthorized"),
        (status = 409, description = "account_already_linked"),
        (status = 422, description = "validation_failed, account_link_failed"),
        (status = 429, description = "too_many_requests, with Retry-After"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn link_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(LinkAccountRequest {
        account_number: number,
        meter_last4: last4,
        label,
    }): Body<LinkAccountRequest>,
) -> Result<JsonResponse, Problem> {
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
