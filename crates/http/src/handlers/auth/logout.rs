use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::auth::LogoutCommand;

use crate::extract::Authenticated;
use crate::problem::Problem;
use crate::state::AppState;

/// Ends the caller's session: the token stops working.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "unauthorized"),
        (status = 503, description = "service_unavailable"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<StatusCode, Problem> {
    state
        .use_cases
        .logout
        .execute(LogoutCommand {
            session: user.session,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
