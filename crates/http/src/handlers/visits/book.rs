use axum::extract::State;
use axum::response::Response;
use vodokanal_app::visits::BookVisitCommand;
use vodokanal_domain::VisitRequest;

use crate::dto::{BookVisitRequest, VisitRequestDto};
use crate::extract::Authenticated;
use crate::idempotency::IdempotentPost;
use crate::state::AppState;

/// Books a technician's visit for one of the caller's accounts.
#[utoipa::path(
    post,
    path = "/visit-requests",
    tag = "visits",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1..=255 visible ASCII characters")),
    request_body = BookVisitRequest,
    responses(
        (status = 201, description = "The visit request, status `new`", body = VisitRequestDto),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found, meter_not_found"),
        (status = 409, description = "idempotency_request_in_progress"),
        (status = 422, description = "validation_failed, visit_slot_unavailable, idempotency_key_reused"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn book_visit(
    State(state): State<AppState>,
    post: IdempotentPost<Authenticated, BookVisitRequest>,
) -> Response {
    post.create(
        state,
        |visit: &VisitRequest| VisitRequestDto::from(visit),
        |state, Authenticated(user), request, answering| async move {
            let BookVisitRequest {
                kind,
                account_number,
                meter_number,
                phone,
                visit_date,
                visit_time,
                notes,
            } = request;
            let command = BookVisitCommand {
                user_id: user.user_id,
                kind,
                account_number,
                meter_number,
                phone,
                date: visit_date,
                time: visit_time,
                notes,
            };
            let use_case = &state.use_cases.book_visit;
            Ok(use_case.execute(command, answering.as_deref()).await?)
        },
    )
    .await
}
