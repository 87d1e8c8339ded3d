//! Bearer-token authentication of every cabinet request.

use std::sync::Arc;

use vodokanal_domain::{SessionToken, TokenDigest, UserId};

use super::secrets::token_digest;
use crate::StoreError;
use crate::ports::{Clock, SessionRepository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticateCommand {
    /// The token of the `Authorization: Bearer` header.
    pub token: SessionToken,
}

/// Who is calling, and through which session (for logout and password change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub user_id: UserId,
    pub session: TokenDigest,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticateError {
    /// An unknown, expired or revoked token.
    #[error("the token is unknown, expired or revoked")]
    Unauthorized,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Turns a bearer token into the current user. An expired session is revoked on sight (a
/// failure to revoke it is only logged: the token is refused either way).
#[derive(Debug)]
pub struct Authenticate {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
}

impl Authenticate {
    pub fn new(sessions: Arc<dyn SessionRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { sessions, clock }
    }

    pub async fn execute(
        &self,
        command: AuthenticateCommand,
    ) -> Result<CurrentUser, AuthenticateError> {
        let digest = token_digest(&command.token);
        let session = self
            .sessions
            .find(&digest)
            .await?
            .ok_or(AuthenticateError::Unauthorized)?;
        if session.is_valid_at(self.clock.now()) {
            return Ok(CurrentUser {
                user_id: session.user_id,
                session: digest,
            });
        }
        if let Err(error) = self.sessions.revoke(&digest).await {
            tracing::warn!(%error, "revoking an expired session failed");
        }
        Err(AuthenticateError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockSessionRepository;
    use crate::testing;
    use crate::testing::down;
    use chrono::TimeDelta;
    use mockall::predicate::eq;
    use vodokanal_domain::Session;

    fn token() -> SessionToken {
        SessionToken::new("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc".into())
    }

    fn session(expires_in: TimeDelta) -> Session {
        Session {
            digest: token_digest(&token()),
            user_id: testing::user_id(),
            created_at: testing::now() - TimeDelta::days(1),
            expires_at: testing::now() + expires_in,
        }
    }

    fn finding(found: Result<Option<Session>, StoreError>) -> MockSessionRepository {
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_find()
            .with(eq(token_digest(&token())))
            .times(1)
            .return_const(found);
        sessions
    }

    async fn authenticate(
        sessions: MockSessionRepository,
    ) -> Result<CurrentUser, AuthenticateError> {
        Authenticate::new(Arc::new(sessions), testing::clock())
            .execute(AuthenticateCommand { token: token() })
            .await
    }

    #[tokio::test]
    async fn a_live_session_gives_its_user_and_digest() {
        let sessions = finding(Ok(Some(session(TimeDelta::seconds(1)))));
        assert_eq!(
            authenticate(sessions).await,
            Ok(CurrentUser {
                user_id: testing::user_id(),
                session: token_digest(&token()),
            })
        );
    }

    #[tokio::test]
    async fn an_unknown_or_revoked_token_is_unauthorized() {
        let sessions = finding(Ok(None));
        assert_eq!(
            authenticate(sessions).await,
            Err(AuthenticateError::Unauthorized)
        );
    }

    #[tokio::test]
    async fn an_expired_session_is_unauthorized_and_revoked_on_sight() {
        let mut sessions = finding(Ok(Some(session(TimeDelta::zero()))));
        sessions
            .expect_revoke()
            .with(eq(token_digest(&token())))
            .times(1)
            .return_const(Ok(()));
        assert_eq!(
            authenticate(sessions).await,
            Err(AuthenticateError::Unauthorized)
        );
    }

    #[tokio::test]
    async fn an_expired_session_is_unauthorized_even_when_revoking_fails() {
        let mut sessions = finding(Ok(Some(session(-TimeDelta::days(1)))));
        sessions.expect_revoke().times(1).return_const(Err(down()));
        assert_eq!(
            authenticate(sessions).await,
            Err(AuthenticateError::Unauthorized)
        );
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let down = down();
        let sessions = finding(Err(down.clone()));
        assert_eq!(
            authenticate(sessions).await,
            Err(AuthenticateError::Store(down))
        );
    }
}
