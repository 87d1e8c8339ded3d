use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use vodokanal_app::payments::HandleNotificationCommand;
use vodokanal_app::ports::Notification;

use crate::extract::{ClientIp, ProviderPath};
use crate::problem::{Problem, ProblemCode};
use crate::state::AppState;

/// A payment provider's notification. Nothing in it is trusted: the payment's state is asked
/// from the provider; a repeat changes nothing. `200 OK` (text) when handled or ignored.
#[utoipa::path(
    post,
    path = "/payments/notifications/{provider}",
    tag = "payments",
    params(("provider" = String, Path, description = "The configured provider's name: sandbox, yookassa or tbank")),
    request_body(content = String, description = "The provider's own notification body", content_type = "application/json"),
    responses(
        (status = 200, description = "Handled or ignored", body = String, content_type = "text/plain"),
        (status = 403, description = "forbidden: not from the provider"),
        (status = 404, description = "not_found: unknown provider or payment"),
        (status = 422, description = "validation_failed: unreadable"),
        (status = 503, description = "payment_provider_unavailable, service_unavailable"),
    )
)]
pub async fn payment_notification(
    State(state): State<AppState>,
    ProviderPath(provider): ProviderPath,
    ClientIp(remote_addr): ClientIp,
    body: Bytes,
) -> Response {
    if provider != state.use_cases.handle_notification.provider_name() {
        return Problem::new(ProblemCode::NotFound, "Неизвестный платёжный сервис.")
            .into_response();
    }
    let command = HandleNotificationCommand {
        notification: Notification {
            body: body.to_vec(),
            remote_addr,
        },
    };
    match state.use_cases.handle_notification.execute(command).await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "OK",
        )
            .into_response(),
        Err(error) => Problem::from(error).into_response(),
    }
}
