use axum::extract::State;
use axum::response::Response;
use vodokanal_app::readings::{AnonymousReceipt, SubmitAnonymousReadingCommand};

use crate::dto::{AnonymousReadingRequest, ReadingDto};
use crate::extract::ClientIp;
use crate::idempotency::IdempotentPost;
use crate::state::AppState;

/// A reading given without registration, by meter number. The answer names no account and no
/// previous value; a cabinet reading of the period is never replaced.
#[utoipa::path(
    post,
    path = "/public/readings",
    tag = "public",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1..=255 visible ASCII characters")),
    request_body = AnonymousReadingRequest,
    responses(
        (status = 201, description = "The reading, with `account_number`, `previous_value` and `consumption` null (v1.1)", body = ReadingDto),
        (status = 404, description = "meter_not_found"),
        (status = 409, description = "reading_already_submitted (the period's reading came from the cabinet), idempotency_request_in_progress"),
        (status = 422, description = "validation_failed, reading_below_previous (naming no value), reading_window_closed, reading_implausible, idempotency_key_reused"),
        (status = 429, description = "too_many_requests: 3 anonymous readings per meter a day, 20 per client network an hour"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn submit_anonymous_reading(
    State(state): State<AppState>,
    post: IdempotentPost<ClientIp, AnonymousReadingRequest>,
) -> Response {
    post.create(
        state,
        |receipt: &AnonymousReceipt| ReadingDto::from(receipt),
        |state, ClientIp(client_ip), request, answering| async move {
            let AnonymousReadingRequest {
                full_name,
                phone,
                meter_number,
                value,
            } = request;
            let command = SubmitAnonymousReadingCommand {
                full_name,
                phone,
                meter_number,
                value,
                client_ip,
            };
            let use_case = &state.use_cases.submit_anonymous_reading;
            Ok(use_case.execute(command, answering.as_deref()).await?)
        },
    )
    .await
}
