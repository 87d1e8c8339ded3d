use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::payments::PaymentHistoryCommand;

use crate::dto::PaymentDto;
use crate::extract::{AccountPath, Authenticated};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// How many of the newest payments the history shows.
const HISTORY_LIMIT: u32 = 100;

/// The account's payments, newest first.
#[utoipa::path(
    get,
    path = "/accounts/{number}/payments",
    tag = "payments",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    responses(
        (status = 200, description = "The payments, newest first (at most 100)", body = Vec<PaymentDto>),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn payment_history(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
) -> Result<JsonResponse, Problem> {
    let payments = state
        .use_cases
        .payment_history
        .execute(PaymentHistoryCommand {
            user_id: user.user_id,
            account_number,
            limit: HISTORY_LIMIT,
        })
        .await?;
    let payments: Vec<PaymentDto> = payments.iter().map(PaymentDto::from).collect();
    JsonResponse::new(StatusCode::OK, &payments)
}
