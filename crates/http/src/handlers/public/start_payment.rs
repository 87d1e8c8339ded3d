use axum::extract::State;
use axum::response::Response;
use vodokanal_app::payments::{Payer, StartPaymentCommand};
use vodokanal_domain::Payment;

use crate::dto::{AnonymousPaymentRequest, PaymentDto};
use crate::extract::{ClientIp, ReturnUrl};
use crate::idempotency::IdempotentPost;
use crate::state::AppState;

/// A payment without registration, to any account of the registry.
#[utoipa::path(
    post,
    path = "/public/payments",
    tag = "public",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1..=255 visible ASCII characters")),
    request_body = AnonymousPaymentRequest,
    responses(
        (status = 201, description = "The payment, with `confirmation_url` to open", body = PaymentDto),
        (status = 404, description = "not_found: no such account"),
        (status = 409, description = "idempotency_request_in_progress"),
        (status = 422, description = "validation_failed, idempotency_key_reused"),
        (status = 429, description = "too_many_requests: too many payments from the client network, with Retry-After"),
        (status = 503, description = "payment_provider_unavailable, service_unavailable"),
    )
)]
pub async fn start_anonymous_payment(
    State(state): State<AppState>,
    post: IdempotentPost<ClientIp, AnonymousPaymentRequest>,
) -> Response {
    post.create(
        state,
        |payment: &Payment| PaymentDto::from(payment),
        |state, client, request, answering| async move {
            let AnonymousPaymentRequest {
                account_number,
                purpose,
                amount,
                email,
                return_url,
            } = request;
            let command = StartPaymentCommand {
                payer: Payer::Anonymous {
                    email,
                    phone: None,
                    network: client.network(),
                },
                account_number,
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
