use axum::extract::State;
use axum::http::StatusCode;

use crate::dto::UnsubscribedDto;
use crate::extract::{FieldValue, LinkToken, QueryParams};
use crate::idempotency::JsonResponse;
use crate::problem::{FieldError, Problem};
use crate::state::AppState;

/// The one-click unsubscribe of a notice's mail (RFC 8058): every channel of the link's topic
/// is turned off. The mail client posts `List-Unsubscribe=One-Click`; the body is not read. No
/// session needed.
#[utoipa::path(
    post,
    path = "/notices/unsubscribe",
    tag = "notices",
    params(("token" = String, Query, description = "The token of the mail's link")),
    responses(
        (status = 200, description = "Unsubscribed", body = UnsubscribedDto),
        (status = 422, description = "validation_failed, link_invalid"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    QueryParams(query): QueryParams,
) -> Result<JsonResponse, Problem> {
    let token = query
        .get("token")
        .map(|text| LinkToken::parse_field(text))
        .transpose()
        .map_err(|invalid| {
            Problem::validation(vec![FieldError::new(
                "token",
                invalid.code,
                invalid.message,
            )])
        })?
        .ok_or_else(|| {
            Problem::validation(vec![FieldError::new(
                "token",
                "required",
                LinkToken::REQUIRED,
            )])
        })?;
    let topic = state
        .use_cases
        .unsubscribe_by_link
        .execute(&token.0)
        .await?;
    JsonResponse::new(
        StatusCode::OK,
        &UnsubscribedDto {
            topic: topic.code(),
            title: topic.title(),
        },
    )
}
