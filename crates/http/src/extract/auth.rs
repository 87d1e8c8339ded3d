//! [`Authenticated`]: the signed-in subscriber, from `Authorization: Bearer <token>`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use vodokanal_app::auth::{AuthenticateCommand, CurrentUser};
use vodokanal_domain::SessionToken;

use crate::problem::Problem;
use crate::state::AppState;

/// The subscriber behind a valid bearer token; 401 `unauthorized` (with
/// `WWW-Authenticate: Bearer`) when the header is missing or the token unknown, expired or
/// revoked.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub CurrentUser);

/// The token of an `Authorization: Bearer` header: base64url characters, at most 512.
fn bearer_token(parts: &Parts) -> Option<SessionToken> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let plausible = scheme.eq_ignore_ascii_case("bearer")
        && (1..=512).contains(&token.len())
        && token.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'.' | b'~' | b'+' | b'/')
        });
    plausible.then(|| SessionToken::new(token.to_owned()))
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(Problem::unauthorized)?;
        let user = state
            .use_cases
            .authenticate
            .execute(AuthenticateCommand { token })
            .await?;
        Ok(Self(user))
    }
}
