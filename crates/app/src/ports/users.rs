use async_trait::async_trait;
use vodokanal_domain::{Email, PasswordHash, Phone, TokenDigest, User, UserId};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateUserError {
    #[error("the phone is already registered")]
    PhoneTaken,
    #[error("the e-mail belongs to another user")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Registered subscribers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: std::fmt::Debug + Send + Sync {
    /// Fails with `PhoneTaken`/`EmailTaken` on the unique constraints, whatever the race.
    async fn create(&self, user: &User) -> Result<(), CreateUserError>;
    async fn by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn by_phone(&self, phone: &Phone) -> Result<Option<User>, StoreError>;
    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    /// Replaces the hash alone (a re-hash at login, the password unchanged).
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError>;
    /// A new password: sets the hash and ends every session of the user but `keep`, in one
    /// transaction, so that no failure leaves the new password beside the sessions it ends.
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<TokenDigest>,
    ) -> Result<(), StoreError>;
    /// Deletes the user, their account links, sessions and idempotency records in one
    /// transaction; their readings, payments and visit requests stay, with the user removed
    /// from them, and the payments without their receipt e-mail or phone (the provider got it
    /// when the payment was made; nothing else reads it).
    async fn delete(&self, id: UserId) -> Result<(), StoreError>;
}
