use async_trait::async_trait;
use vodokanal_domain::{LoginPassword, Password, PasswordHash};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The hasher's worker pool is gone or the stored hash is unreadable.
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// Every worker is busy and the queue is full: refused at once, so that a flood of logins
    /// is refused (to retry shortly) rather than left waiting.
    #[error("the password hasher is busy")]
    Busy,
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches; `needs_rehash` when the hash was made with other parameters.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Password hashing (argon2id). Implementations do the work off the async workers, under a
/// bounded queue ([`HashError::Busy`] when it is full).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: std::fmt::Debug + Send + Sync {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
    async fn verify(
        &self,
        password: &LoginPassword,
        hash: &PasswordHash,
    ) -> Result<Verification, HashError>;
    /// Spends the same time as `verify` against a dummy hash: used for unknown logins so that
    /// time and answer are those of a wrong password.
    async fn verify_dummy(&self, password: &LoginPassword) -> Result<(), HashError>;
    /// Whether a hash asked now would be refused with [`HashError::Busy`]: lets a login be
    /// refused before it costs the store anything. A hint (a slot may free or fill a moment
    /// later); never full by default.
    fn is_full(&self) -> bool {
        false
    }
}
