use axum::extract::State;
use axum::response::Response;
use vodokanal_app::payments::{Payer, StartPaymentCommand};
use vodokanal_domain::Payment;

use crate::dto::{CabinetPaymentRequest, PaymentDto};
use crate::extract::{CallerAccount, ReturnUrl};
use crate::idempotency::IdempotentPost;
use crate::state::AppState;

/// A payment from the cabinet to a linked account; the receipt goes to the user's e-mail.
#[utoipa::path(
    post,
    path = "/accounts/{number}/payments",
    tag = "payments",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1..=255 visible ASCII characters"),
    ),
    request_body = CabinetPaymentRequest,
    responses(
        (status = 201, description = "The payment, with `confirmation_url` to open", body = PaymentDto),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 409, description = "idempotency_request_in_progress"),
        (status = 422, description = "validation_failed, idempotency_key_reused"),
        (status = 503, description = "payment_provider_unavailable, service_unavailable"),
    )
)]
pub async fn start_cabinet_payment(
    State(state): State<AppState>,
    post: IdempotentPost<CallerAccount, CabinetPaymentRequest>,
) -> Response {
    post.create(
        state,
        |payment: &Payment| PaymentDto::from(payment),
        |state, CallerAccount { user, number }, request, answering| async move {
            let CabinetPaymentRequest {
                purpose,
                amount,
                return_url,
            } = request;
            let command = StartPaymentCommand {
                payer: Payer::Cabinet {
                    user_id: user.user_id,
                },
                account_number: number,
                purpose,
                amount,
                return_url: return_url.map(ReturnUrl::into_string),
            };
            let use_case = &state.use_cases.start_payment;
            Ok(use_case.execute(command, answering.as_deref()).await?)
        },
    )
    .await
}
