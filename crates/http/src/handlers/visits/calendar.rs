use axum::extract::State;
use axum::response::Response;
use vodokanal_app::visits::VisitCalendarCommand;

use crate::extract::{Authenticated, VisitPath};
use crate::handlers::profile::history::file;
use crate::problem::Problem;
use crate::state::AppState;

/// «Добавить в календарь» on a booked visit: the visit as an iCalendar (RFC 5545) file.
#[utoipa::path(
    get,
    path = "/visit-requests/{id}/calendar.ics",
    tag = "visits",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The visit request's id")),
    responses(
        (status = 200, description = "The calendar file: one VEVENT, 30 minutes at the visit's date and time in the utility's zone", content_type = "text/calendar", body = String,
            headers(
                ("Content-Disposition" = String, description = "attachment; filename=\"vodokanal-visit-YYYY-MM-DD.ics\""),
                ("Cache-Control" = String, description = "no-store"),
            )),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: no such visit request of the caller (another's is the same answer)"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn visit_calendar(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    VisitPath(visit_id): VisitPath,
) -> Result<Response, Problem> {
    let calendar = state
        .use_cases
        .visit_calendar
        .execute(VisitCalendarCommand {
            user_id: user.user_id,
            visit_id,
        })
        .await?;
    let disposition = format!(
        "attachment; filename=\"vodokanal-visit-{}.ics\"",
        calendar.date.format("%Y-%m-%d")
    );
    Ok(file(
        calendar.text.into_bytes(),
        "text/calendar; charset=utf-8",
        disposition,
    ))
}
