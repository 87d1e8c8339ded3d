use axum::extract::State;
use axum::response::Response;
use vodokanal_app::readings::{AnonymousReceipt, SubmitAnonymousReadingCommand};
use vodokanal_domain::{FullName, MeterNumber, Phone, ReadingValue};

use crate::dto::{AnonymousReadingRequest, ReadingDto};
use crate::extract::{ClientIp, JsonBody};
use crate::handlers::{anonymous_caller, missing};
use crate::idempotency::{IdempotencyHeader, idempotent};
use crate::problem::ProblemBody;
use crate::state::AppState;

const ENDPOINT: &str = "POST /api/v1/public/readings";

/// A reading given without registration, by meter number. The answer names no account and no
/// previous value; a cabinet reading of the period is never replaced.
#[utoipa::path(
    post,
    path = "/public/readings",
    tag = "public",
    params(("Idempotency-Key" = Option<String>, Header, description = "1..=255 visible ASCII characters")),
    request_body = AnonymousReadingRequest,
    responses(
        (status = 201, description = "The reading, with `account_number`, `previous_value` and `consumption` null (v1.1)", body = ReadingDto),
        (status = 404, description = "meter_not_found", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "reading_already_submitted (the period's reading came from the cabinet), idempotency_request_in_progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, reading_below_previous (naming no value), reading_window_closed, reading_implausible, idempotency_key_reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "too_many_requests: 3 anonymous readings per meter a day, 20 per client network an hour", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn submit_anonymous_reading(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    IdempotencyHeader(key): IdempotencyHeader,
    body: JsonBody,
) -> Response {
    let caller = anonymous_caller(ip);
    idempotent(
        state,
        key,
        &caller,
        ENDPOINT,
        body,
        |receipt: &AnonymousReceipt| ReadingDto::from(receipt),
        |state, body, answering| async move {
            let mut form = body.form();
            let full_name = form.required::<FullName>("full_name");
            let phone = form.required::<Phone>("phone");
            let meter_number = form.required::<MeterNumber>("meter_number");
            let value = form.required_decimal::<ReadingValue>("value");
            form.finish()?;
            let (Some(full_name), Some(phone), Some(meter_number), Some(value)) =
                (full_name, phone, meter_number, value)
            else {
                return Err(missing());
            };
            let reading = state
                .use_cases
                .submit_anonymous_reading
                .execute(
                    SubmitAnonymousReadingCommand {
                        full_name,
                        phone,
                        meter_number,
                        value,
                        client_ip: ip,
                    },
                    answering.as_deref(),
                )
                .await?;
            Ok(reading)
        },
    )
    .await
}
