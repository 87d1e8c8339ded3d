use std::sync::OnceLock;

use axum::http::StatusCode;

use crate::idempotency::JsonResponse;
use crate::problem::Problem;

/// The OpenAPI 3.1 document of the whole API, this route included.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> Result<JsonResponse, Problem> {
    static DOCUMENT: OnceLock<Vec<u8>> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        crate::openapi::document()
            .to_json()
            .unwrap_or_default()
            .into_bytes()
    });
    Ok(JsonResponse {
        status: StatusCode::OK,
        body: body.clone(),
    })
}
