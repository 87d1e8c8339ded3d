use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use vodokanal_app::payments::{PaymentQrCommand, QrRequester};
use vodokanal_domain::{Money, PaymentPurpose};

use crate::dto::{PaymentPurposeCode, QrImageFormat};
use crate::extract::{AccountPath, Authenticated, QueryParams};
use crate::problem::Problem;
use crate::qr_image::{self, QrFormat};
use crate::state::AppState;

/// The QR code (GOST R 56042-2014) of a payment to a linked account, to pay from any bank's
/// app; the payment reaches the account once the bank has transferred it.
#[utoipa::path(
    get,
    path = "/accounts/{number}/payment-qr",
    tag = "payments",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("purpose" = PaymentPurposeCode, Query, description = "What is paid for"),
        ("amount" = String, Query, pattern = r"^(?:[\t\n\u000b\u000c\r \u00a0]*\+?(?:0{0,7}[1-9][0-9]{0,5}(?:[.,][0-9]{1,2})?|0{1,7}[.,](?:[1-9][0-9]?|0[1-9])|0{0,6}1000000(?:[.,]0{1,2})?)[\t\n\u000b\u000c\r \u00a0]*)$", example = "1234.50", description = "Roubles, at most two decimals, 0 < amount <= 1000000"),
        ("format" = Option<QrImageFormat>, Query, description = "`svg` (the default) or `png`; without it, `Accept: image/png` gives a PNG"),
    ),
    responses(
        (status = 200, description = "The code: `image/svg+xml` or `image/png` (8 px a module), `Cache-Control: no-store`", content(("image/svg+xml"), ("image/png"))),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: not linked to the caller"),
        (status = 409, description = "payment_qr_not_configured: the server has no bank details"),
        (status = 422, description = "validation_failed: purpose, amount or format"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn cabinet_payment_qr(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
    query: QueryParams,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let mut errors = Vec::new();
    let purpose = query.required::<PaymentPurpose>("purpose", &mut errors);
    let amount = query.required::<Money>("amount", &mut errors);
    let format = QrFormat::asked(&query, &headers, &mut errors);
    let (Some(purpose), Some(amount), Some(format)) = (purpose, amount, format) else {
        return Err(Problem::validation(errors));
    };
    let text = state
        .use_cases
        .payment_qr
        .execute(PaymentQrCommand {
            requester: QrRequester::Cabinet {
                user_id: user.user_id,
            },
            account_number,
            purpose,
            amount,
        })
        .await?;
    qr_image::answer(&text, format)
}
