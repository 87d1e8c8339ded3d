use axum::extract::State;
use axum::response::Response;
use vodokanal_app::payments::{Payer, StartPaymentCommand};
use vodokanal_domain::{AccountNumber, Email, Money, Payment, PaymentPurpose};

use crate::dto::{AnonymousPaymentRequest, PaymentDto};
use crate::extract::{ClientIp, JsonBody, ReturnUrl};
use crate::handlers::{anonymous_caller, missing};
use crate::idempotency::{IdempotencyHeader, idempotent};
use crate::problem::ProblemBody;
use crate::state::AppState;

const ENDPOINT: &str = "POST /api/v1/public/payments";

/// A payment without registration, to any account of the registry.
#[utoipa::path(
    post,
    path = "/public/payments",
    tag = "public",
    params(("Idempotency-Key" = Option<String>, Header, description = "1..=255 visible ASCII characters")),
    request_body = AnonymousPaymentRequest,
    responses(
        (status = 201, description = "The payment, with `confirmation_url` to open", body = PaymentDto),
        (status = 404, description = "not_found: no such account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_request_in_progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, idempotency_key_reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests: too many payments from the client network, with Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "payment_provider_unavailable, service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn start_anonymous_payment(
    State(state): State<AppState>,
    client: ClientIp,
    IdempotencyHeader(key): IdempotencyHeader,
    body: JsonBody,
) -> Response {
    let caller = anonymous_caller(client.0);
    idempotent(
        state,
        key,
        &caller,
        ENDPOINT,
        body,
        |payment: &Payment| PaymentDto::from(payment),
        |state, body, answering| async move {
            let mut form = body.form();
            let account_number = form.required::<AccountNumber>("account_number");
            let purpose = form.required::<PaymentPurpose>("purpose");
            let amount = form.required_decimal::<Money>("amount");
            let email = form.optional::<Email>("email");
            let return_url = state.return_origins.read(&mut form, "return_url");
            form.finish()?;
            let (Some(account_number), Some(purpose), Some(amount), Some(email), Some(return_url)) =
                (account_number, purpose, amount, email, return_url)
            else {
                return Err(missing());
            };
            let payment = state
                .use_cases
                .start_payment
                .execute(
                    StartPaymentCommand {
                        payer: Payer::Anonymous {
                            email,
                            phone: None,
                            network: client.network(),
                        },
                        account_number,
                        purpose,
                        amount,
                        return_url: return_url.map(ReturnUrl::into_string),
                    },
                    answering.as_deref(),
                )
                .await?;
            Ok(payment)
        },
    )
    .await
}
