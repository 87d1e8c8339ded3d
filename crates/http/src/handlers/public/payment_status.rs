use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::payments::GetPaymentStatusCommand;

use crate::dto::PaymentDto;
use crate::extract::PaymentPath;
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// A payment's state, for anyone who holds its unguessable id.
#[utoipa::path(
    get,
    path = "/payments/{id}",
    tag = "public",
    params(("id" = String, Path, format = Uuid, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment", body = PaymentDto),
        (status = 404, description = "not_found"),
        (status = 422, description = "validation_failed: not a UUID"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn payment_status(
    State(state): State<AppState>,
    PaymentPath(id): PaymentPath,
) -> Result<JsonResponse, Problem> {
    let payment = state
        .use_cases
        .payment_status
        .execute(GetPaymentStatusCommand { id })
        .await?;
    JsonResponse::new(StatusCode::OK, &PaymentDto::from(&payment))
}
