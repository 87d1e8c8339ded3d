use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use vodokanal_app::idempotency::Caller;
use vodokanal_app::visits::BookVisitCommand;
use vodokanal_domain::{AccountNumber, MeterNumber, Notes, Phone, VisitKind, VisitRequest};

use crate::dto::{BookVisitRequest, VisitRequestDto};
use crate::extract::{Authenticated, JsonBody};
use crate::handlers::missing;
use crate::idempotency::{IdempotencyHeader, idempotent};
use crate::problem::ProblemBody;
use crate::state::AppState;

const ENDPOINT: &str = "POST /api/v1/visit-requests";

/// Books a technician's visit for one of the caller's accounts.
#[utoipa::path(
    post,
    path = "/visit-requests",
    tag = "visits",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1..=255 visible ASCII characters")),
    request_body = BookVisitRequest,
    responses(
        (status = 201, description = "The visit request, status `new`", body = VisitRequestDto),
        (status = 401, description = "unauthorized", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not_found, meter_not_found", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_request_in_progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, visit_slot_unavailable, idempotency_key_reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn book_visit(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    IdempotencyHeader(key): IdempotencyHeader,
    body: JsonBody,
) -> Response {
    let caller = Caller::User(user.user_id);
    idempotent(
        state,
        key,
        &caller,
        ENDPOINT,
        body,
        |visit: &VisitRequest| VisitRequestDto::from(visit),
        |state, body, answering| async move {
            let mut form = body.form();
            let kind = form.required::<VisitKind>("kind");
            let account_number = form.required::<AccountNumber>("account_number");
            let meter_number = form.optional::<MeterNumber>("meter_number");
            let phone = form.required::<Phone>("phone");
            let date = form.required::<NaiveDate>("visit_date");
            let time = form.required::<NaiveTime>("visit_time");
            let notes = form.optional::<Notes>("notes");
            form.finish()?;
            let (
                Some(kind),
                Some(account_number),
                Some(meter_number),
                Some(phone),
                Some(date),
                Some(time),
                Some(notes),
            ) = (kind, account_number, meter_number, phone, date, time, notes)
            else {
                return Err(missing());
            };
            let visit = state
                .use_cases
                .book_visit
                .execute(
                    BookVisitCommand {
                        user_id: user.user_id,
                        kind,
                        account_number,
                        meter_number,
                        phone,
                        date,
                        time,
                        notes,
                    },
                    answering.as_deref(),
                )
                .await?;
            Ok(visit)
        },
    )
    .await
}
