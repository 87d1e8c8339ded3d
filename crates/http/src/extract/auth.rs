//! [`Authenticated`]: the signed-in subscriber, from `Authorization: Bearer <token>`; and
//! [`CallerAccount`]: with the account of a cabinet path.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use vodokanal_app::auth::{AuthenticateCommand, CurrentUser};
use vodokanal_domain::{AccountNumber, SessionToken};

use super::AccountPath;
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

/// The signed-in subscriber and the account number of a cabinet path (`{number}`), in this
/// order: 401 before 404. Whether the account is linked to them is the use case's to say.
#[derive(Debug, Clone)]
pub struct CallerAccount {
    pub user: CurrentUser,
    pub number: AccountNumber,
}

impl FromRequestParts<AppState> for CallerAccount {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(user) = Authenticated::from_request_parts(parts, state).await?;
        let AccountPath(number) = AccountPath::from_request_parts(parts, state).await?;
        Ok(Self { user, number })
    }
}
