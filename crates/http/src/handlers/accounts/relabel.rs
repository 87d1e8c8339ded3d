use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::RelabelAccountCommand;

use crate::dto::{AccountDto, RelabelAccountRequest};
use crate::extract::{AccountPath, Authenticated, Body, Clearable};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// Sets the caller's label of an account; `null` or `""` clears it.
#[utoipa::path(
    patch,
    path = "/accounts/{number}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    request_body = RelabelAccountRequest,
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 422, description = "validation_failed"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn relabel_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(number): AccountPath,
    Body(RelabelAccountRequest {
        label: Clearable(label),
    }): Body<RelabelAccountRequest>,
) -> Result<JsonResponse, Problem> {
    let view = state
        .use_cases
        .relabel_account
        .execute(RelabelAccountCommand {
            user_id: user.user_id,
            number,
            label,
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &AccountDto::from(&view))
}
