use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::ViewAccountCommand;

use crate::dto::AccountDto;
use crate::extract::{AccountPath, Authenticated};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// One of the caller's linked accounts.
#[utoipa::path(
    get,
    path = "/accounts/{number}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn view_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(number): AccountPath,
) -> Result<JsonResponse, Problem> {
    let view = state
        .use_cases
        .account_views
        .view(ViewAccountCommand {
            user_id: user.user_id,
            number,
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &AccountDto::from(&view))
}
