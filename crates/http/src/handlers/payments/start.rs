use axum::extract::State;
use axum::response::Response;
use vodokanal_app::idempotency::Caller;
use vodokanal_app::payments::{Payer, StartPaymentCommand};
use vodokanal_domain::{Money, Payment, PaymentPurpose};

use crate::dto::{CabinetPaymentRequest, PaymentDto};
use crate::extract::{AccountPath, Authenticated, JsonBody, ReturnUrl};
use crate::handlers::missing;
use crate::idempotency::{IdempotencyHeader, account_scope, idempotent};
use crate::problem::ProblemBody;
use crate::state::AppState;

/// A payment from the cabinet to a linked account; the receipt goes to the user's e-mail.
#[utoipa::path(
    post,
    path = "/accounts/{number}/payments",
    tag = "payments",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("Idempotency-Key" = Option<String>, Header, description = "1..=255 visible ASCII characters"),
    ),
    request_body = CabinetPaymentRequest,
    responses(
        (status = 201, description = "The payment, with `confirmation_url` to open", body = PaymentDto),
        (status = 401, description = "unauthorized", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not_found: not linked to the caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_request_in_progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, idempotency_key_reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "payment_provider_unavailable, service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn start_cabinet_payment(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
    IdempotencyHeader(key): IdempotencyHeader,
    body: JsonBody,
) -> Response {
    let caller = Caller::User(user.user_id);
    let scope = account_scope(&account_number, "payments");
    idempotent(
        state,
        key,
        &caller,
        &scope,
        body,
        |payment: &Payment| PaymentDto::from(payment),
        |state, body, answering| async move {
            let mut form = body.form();
            let purpose = form.required::<PaymentPurpose>("purpose");
            let amount = form.required_decimal::<Money>("amount");
            let return_url = state.return_origins.read(&mut form, "return_url");
            form.finish()?;
            let (Some(purpose), Some(amount), Some(return_url)) = (purpose, amount, return_url)
            else {
                return Err(missing());
            };
            let payment = state
                .use_cases
                .start_payment
                .execute(
                    StartPaymentCommand {
                        payer: Payer::Cabinet {
                            user_id: user.user_id,
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
