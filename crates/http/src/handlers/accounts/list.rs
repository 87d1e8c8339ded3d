use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::ListAccountsCommand;

use crate::dto::AccountDto;
use crate::extract::Authenticated;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// The caller's linked accounts.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The linked accounts", body = Vec<AccountDto>),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<JsonResponse, Problem> {
    let views = state
        .use_cases
        .account_views
        .list(ListAccountsCommand {
            user_id: user.user_id,
        })
        .await?;
    let accounts: Vec<AccountDto> = views.iter().map(AccountDto::from).collect();
    JsonResponse::new(StatusCode::OK, &accounts)
}
