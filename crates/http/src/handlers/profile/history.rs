use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use vodokanal_app::profile::DownloadHistoryCommand;
use vodokanal_registry_csv::CsvExportSink;

use crate::extract::Authenticated;
use crate::problem::Problem;
use crate::state::AppState;

/// «Скачать историю»: the caller's readings and payments of every linked account as CSV for
/// a spreadsheet (UTF-8 with a byte order mark, `;`, a decimal comma, oldest first).
#[utoipa::path(
    get,
    path = "/profile/history.csv",
    tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The CSV file, a header row then one row per reading or payment", content_type = "text/csv", body = String,
            headers(
                ("Content-Disposition" = String, description = "attachment; filename=\"vodokanal-history-YYYY-MM-DD.csv\""),
                ("Cache-Control" = String, description = "no-store"),
            )),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn download_history(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Response, Problem> {
    let use_case = &state.use_cases.download_history;
    let mut sink = CsvExportSink::with_byte_order_mark(Vec::new());
    use_case
        .execute(
            DownloadHistoryCommand {
                user_id: user.user_id,
            },
            &mut sink,
        )
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", use_case.file_name());
    Ok(file(
        sink.into_inner(),
        "text/csv; charset=utf-8",
        disposition,
    ))
}

/// A file to save: its type, `Content-Disposition` and `Cache-Control: no-store`.
pub(crate) fn file(body: Vec<u8>, content_type: &'static str, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}
