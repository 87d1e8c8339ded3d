use axum::extract::State;
use axum::response::Response;
use vodokanal_app::readings::SubmitReadingsCommand;
use vodokanal_domain::Reading;

use crate::dto::{ReadingDto, SubmitReadingsRequest};
use crate::extract::CallerAccount;
use crate::idempotency::IdempotentPost;
use crate::state::AppState;

/// Readings of some of the account's meters: all or none are stored.
#[utoipa::path(
    post,
    path = "/accounts/{number}/readings",
    tag = "readings",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The account number"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1..=255 visible ASCII characters"),
    ),
    request_body = SubmitReadingsRequest,
    responses(
        (status = 201, description = "The stored readings", body = Vec<ReadingDto>),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found, meter_not_found"),
        (status = 409, description = "idempotency_request_in_progress"),
        (status = 422, description = "validation_failed, reading_below_previous, reading_window_closed, idempotency_key_reused"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn submit_readings(
    State(state): State<AppState>,
    post: IdempotentPost<CallerAccount, SubmitReadingsRequest>,
) -> Response {
    post.create(
        state,
        |stored: &Vec<Reading>| stored.iter().map(ReadingDto::from).collect::<Vec<_>>(),
        |state, CallerAccount { user, number }, request, answering| async move {
            let readings = request
                .readings
                .into_iter()
                .map(|item| (item.meter_number, item.value))
                .collect();
            let command = SubmitReadingsCommand {
                user_id: user.user_id,
                account_number: number,
                readings,
            };
            let use_case = &state.use_cases.submit_readings;
            Ok(use_case.execute(command, answering.as_deref()).await?)
        },
    )
    .await
}
