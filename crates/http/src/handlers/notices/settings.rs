use axum::extract::State;
use axum::http::StatusCode;

use crate::dto::{NotificationsDto, NotificationsRequest};
use crate::extract::{Authenticated, Body};
use crate::idempotency::JsonResponse;
use crate::problem::Problem;
use crate::state::AppState;

/// «Уведомления»: the channels of each topic, whether the address is verified, web push.
#[utoipa::path(
    get,
    path = "/profile/notifications",
    tag = "notices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = NotificationsDto),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn get_notifications(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<JsonResponse, Problem> {
    let view = state.use_cases.notifications.view(user.user_id).await?;
    JsonResponse::new(StatusCode::OK, &NotificationsDto::from(&view))
}

/// Sets the channels of the topics listed; the others keep theirs.
#[utoipa::path(
    put,
    path = "/profile/notifications",
    tag = "notices",
    security(("bearer" = [])),
    request_body = NotificationsRequest,
    responses(
        (status = 200, description = "The settings as stored", body = NotificationsDto),
        (status = 401, description = "unauthorized"),
        (status = 422, description = "validation_failed"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn put_notifications(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(NotificationsRequest { topics }): Body<NotificationsRequest>,
) -> Result<JsonResponse, Problem> {
    let notifications = &state.use_cases.notifications;
    let current = notifications.view(user.user_id).await?.preferences;
    let chosen = topics.into_iter().fold(current, |preferences, item| {
        preferences.with(item.topic, item.channels.into_iter().collect())
    });
    let view = notifications.set(user.user_id, chosen).await?;
    JsonResponse::new(StatusCode::OK, &NotificationsDto::from(&view))
}
