use axum::extract::State;
use axum::response::Response;

use crate::handlers::profile::history::file;
use crate::problem::{Problem, ProblemCode};
use crate::state::AppState;

/// «Добавить в календарь» beside the reading window: the window as an iCalendar (RFC 5545)
/// file of monthly all-day events. No session needed: the window is public in `/info`.
#[utoipa::path(
    get,
    path = "/reading-window.ics",
    tag = "public",
    responses(
        (status = 200, description = "The calendar file", content_type = "text/calendar", body = String,
            headers(
                ("Content-Disposition" = String, description = "attachment; filename=\"vodokanal-reading-window.ics\""),
                ("Cache-Control" = String, description = "no-store"),
            )),
        (status = 404, description = "not_found: no reading window is configured (readings are taken any day)"),
    )
)]
pub async fn reading_window_calendar(State(state): State<AppState>) -> Result<Response, Problem> {
    let text = state
        .use_cases
        .reading_window_calendar
        .execute()
        .ok_or_else(|| {
            Problem::new(
                ProblemCode::NotFound,
                "Показания принимаются в любой день месяца.",
            )
        })?;
    Ok(file(
        text.into_bytes(),
        "text/calendar; charset=utf-8",
        "attachment; filename=\"vodokanal-reading-window.ics\"".to_owned(),
    ))
}
