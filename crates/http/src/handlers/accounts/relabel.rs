use axum::extract::State;
use axum::http::StatusCode;
use vodokanal_app::accounts::RelabelAccountCommand;
use vodokanal_domain::Label;

use crate::dto::{AccountDto, RelabelAccountRequest};
use crate::extract::{AccountPath, Authenticated, FieldValue, JsonBody};
use crate::handlers::missing;
use crate::idempotency::JsonResponse;
use crate::problem::{Problem, ProblemBody};
use crate::state::AppState;

/// Sets the caller's label of an account; `null` or `""` clears it.
#[utoipa::path(
    patch,
    path = "/accounts/{number}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "The account number")),
    request_body = RelabelAccountRequest,
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "unauthorized", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not_found: not linked to the caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn relabel_account(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AccountPath(number): AccountPath,
    body: JsonBody,
) -> Result<JsonResponse, Problem> {
    let mut form = body.form();
    // `label` must be there (null clears), so that a misspelt field does not clear it.
    if !form.has("label") {
        form.error("label", "required", <Label as FieldValue>::REQUIRED);
    }
    let label = form.optional::<Label>("label");
    form.finish()?;
    let Some(label) = label else {
        return Err(missing());
    };
    let view = state
        .use_cases
        .relabel_account
        .execute(RelabelAccountCommand {
            user_id: user.user_id,
            number,
            label,
        })
        .await?;
    JsonResponse::new(StatusCode::OK, &AccountDto::from(&view))
}
