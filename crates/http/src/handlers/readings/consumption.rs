use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::readings::ViewConsumptionCommand;

use crate::dto::ConsumptionDto;
use crate::extract::{AccountPath, Authenticated};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// A linked account's consumption at a glance: per meter, the 12 periods ending with the
/// current one, oldest first; a period without a reading is a gap (`value` and `consumption`
/// `null`), never a zero.
#[utoipa::path(
    get,
    path = "/accounts/{number}/consumption",
    tag = "readings",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    responses(
        (status = 200, description = "The consumption series of every meter of the account", body = ConsumptionDto),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn view_consumption(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
) -> Result<JsonResponse, Problem> {
    let series = state
        .use_cases
        .view_consumption
        .execute(ViewConsumptionCommand {
            user_id: user.user_id,
            account_number,
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &ConsumptionDto::from(&series))
}
