use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_domain::{PushSubscription, PushSubscriptionError};

use crate::dto::{PushSubscriptionRequest, PushUnsubscribeRequest};
use crate::extract::{Authenticated, Body};
use crate::problem::{FieldError, Problem};
use crate::state::AppState;

/// The domain's refusal of a subscription, named by the field it is about.
fn invalid(error: &PushSubscriptionError) -> Problem {
    let field = match error {
        PushSubscriptionError::Endpoint => "endpoint",
        PushSubscriptionError::P256dh => "keys.p256dh",
        PushSubscriptionError::Auth => "keys.auth",
    };
    Problem::validation(vec![FieldError::new(
        field,
        "invalid",
        "Браузер передал неверную подписку на push-уведомления. Попробуйте включить их снова.",
    )])
}

/// Keeps this browser's push subscription («Получать уведомления»).
#[utoipa::path(
    post,
    path = "/profile/push-subscriptions",
    tag = "notices",
    security(("bearer" = [])),
    request_body = PushSubscriptionRequest,
    responses(
        (status = 204, description = "Kept"),
        (status = 401, description = "unauthorized"),
        (status = 409, description = "push_not_configured"),
        (status = 422, description = "validation_failed, push_endpoint_not_allowed, too_many_push_subscriptions"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn add_push_subscription(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(PushSubscriptionRequest { endpoint, keys }): Body<PushSubscriptionRequest>,
) -> Result<StatusCode, Problem> {
    let subscription = PushSubscription::new(&endpoint.0, &keys.p256dh.0, &keys.auth.0)
        .map_err(|e| invalid(&e))?;
    state
        .use_cases
        .notifications
        .subscribe(user.user_id, &subscription)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets this browser's push subscription; 204 whether it was kept or not.
#[utoipa::path(
    delete,
    path = "/profile/push-subscriptions",
    tag = "notices",
    security(("bearer" = [])),
    request_body = PushUnsubscribeRequest,
    responses(
        (status = 204, description = "Forgotten"),
        (status = 401, description = "unauthorized"),
        (status = 422, description = "validation_failed"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn remove_push_subscription(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(PushUnsubscribeRequest { endpoint }): Body<PushUnsubscribeRequest>,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .notifications
        .unsubscribe(user.user_id, &endpoint.0)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
