use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::UnlinkAccountCommand;

use crate::extract::{AccountPath, Authenticated};
use crate::problem::Problem;
use crate::state::AppState;

/// Unlinks an account from the caller; nothing of the account itself is deleted.
#[utoipa::path(
    delete,
    path = "/accounts/{number}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn unlink_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(number): AccountPath,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .unlink_account
        .execute(UnlinkAccountCommand {
            user_id: user.user_id,
            number,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
