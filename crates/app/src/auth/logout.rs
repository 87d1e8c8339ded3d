//! `POST /auth/logout`: the caller's token stops working.

use std::sync::Arc;

use vodokanal_domain::TokenDigest;

use crate::StoreError;
use crate::ports::SessionRepository;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutCommand {
    /// The digest of the caller's own token (from [`super::CurrentUser`]).
    pub session: TokenDigest,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoutError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Revokes the caller's session.
#[derive(Debug)]
pub struct Logout {
    sessions: Arc<dyn SessionRepository>,
}

impl Logout {
    pub fn new(sessions: Arc<dyn SessionRepository>) -> Self {
        Self { sessions }
    }

    pub async fn execute(&self, command: LogoutCommand) -> Result<(), LogoutError> {
        self.sessions.revoke(&command.session).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockSessionRepository;
    use crate::testing::down;
    use mockall::predicate::eq;

    const DIGEST: TokenDigest = TokenDigest([3; 32]);

    fn logout(outcome: Result<(), StoreError>) -> Logout {
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_revoke()
            .with(eq(DIGEST))
            .times(1)
            .return_const(outcome);
        Logout::new(Arc::new(sessions))
    }

    #[tokio::test]
    async fn logout_revokes_the_callers_session() {
        let outcome = logout(Ok(()))
            .execute(LogoutCommand { session: DIGEST })
            .await;
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let down = down();
        let outcome = logout(Err(down.clone()))
            .execute(LogoutCommand { session: DIGEST })
            .await;
        assert_eq!(outcome, Err(LogoutError::Store(down)));
    }
}
