use axum::extract::State;
use axum::response::Response;
use vodokanal_app::idempotency::Caller;
use vodokanal_app::readings::SubmitReadingsCommand;
use vodokanal_domain::{MeterNumber, Reading, ReadingValue};

use crate::dto::{ReadingDto, SubmitReadingsRequest};
use crate::extract::{AccountPath, Authenticated, JsonBody};
use crate::idempotency::{IdempotencyHeader, account_scope, idempotent};
use crate::problem::ProblemBody;
use crate::state::AppState;

/// Readings of some of the account's meters: all or none are stored.
#[utoipa::path(
    post,
    path = "/accounts/{number}/readings",
    tag = "readings",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("Idempotency-Key" = Option<String>, Header, description = "1..=255 visible ASCII characters"),
    ),
    request_body = SubmitReadingsRequest,
    responses(
        (status = 201, description = "The stored readings", body = Vec<ReadingDto>),
        (status = 401, description = "unauthorized", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not_found, meter_not_found", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_request_in_progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, reading_below_previous, reading_window_closed, idempotency_key_reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn submit_readings(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(account_number): AccountPath,
    IdempotencyHeader(key): IdempotencyHeader,
    body: JsonBody,
) -> Response {
    let caller = Caller::User(user.user_id);
    let scope = account_scope(&account_number, "readings");
    idempotent(
        state,
        key,
        &caller,
        &scope,
        body,
        |stored: &Vec<Reading>| stored.iter().map(ReadingDto::from).collect::<Vec<_>>(),
        |state, body, answering| async move {
            let mut form = body.form();
            let items = form.objects("readings", "Укажите показания счётчиков");
            let mut readings = Vec::new();
            for mut item in items.unwrap_or_default() {
                let meter = item.required::<MeterNumber>("meter_number");
                let value = item.required_decimal::<ReadingValue>("value");
                if let (Some(meter), Some(value)) = (meter, value) {
                    readings.push((meter, value));
                }
                form.absorb(item);
            }
            // An empty list passes here: the use case refuses it, naming `readings`.
            form.finish()?;
            let stored = state
                .use_cases
                .submit_readings
                .execute(
                    SubmitReadingsCommand {
                        user_id: user.user_id,
                        account_number,
                        readings,
                    },
                    answering.as_deref(),
                )
                .await?;
            Ok(stored)
        },
    )
    .await
}
