use async_trait::async_trait;
use vodokanal_domain::{Session, TokenDigest, UserId};

use crate::StoreError;

/// Logged-in sessions, keyed by the SHA-256 digest of their token.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    async fn create(&self, session: &Session) -> Result<(), StoreError>;
    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError>;
    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError>;
    /// Ends every session of the user but `except`.
    async fn revoke_all(&self, user: UserId, except: Option<TokenDigest>)
    -> Result<(), StoreError>;
}
