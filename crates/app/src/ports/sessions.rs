use async_trait::async_trait;
use vodokanal_domain::{Session, TokenDigest};

use crate::StoreError;

/// Logged-in sessions, keyed by the SHA-256 digest of their token.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    async fn create(&self, session: &Session) -> Result<(), StoreError>;
    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError>;
    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError>;
    // Ending all of a user's sessions goes with a new password, in one transaction:
    // `UserRepository::replace_password`.
}
