use async_trait::async_trait;
use vodokanal_domain::{PasswordHash, Session, TokenDigest};

use crate::StoreError;

/// Logged-in sessions, keyed by the SHA-256 digest of their token.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: std::fmt::Debug + Send + Sync {
    async fn create(&self, session: &Session) -> Result<(), StoreError>;
    /// Creates `session` only if its user's password hash is still `verified` (the one a
    /// login checked), in one statement with that check; `false` (nothing created) when the
    /// password was replaced meanwhile, so that a login racing a password reset can't keep a
    /// session past the reset's end of every session.
    async fn create_if_password(
        &self,
        session: &Session,
        verified: &PasswordHash,
    ) -> Result<bool, StoreError>;
    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError>;
    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError>;
    // Ending all of a user's sessions goes with a new password, in one transaction:
    // `UserRepository::replace_password`.
}
