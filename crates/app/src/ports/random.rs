use vodokanal_domain::OneTimeCode;

/// A cryptographically secure source of randomness.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Random: std::fmt::Debug + Send + Sync {
    /// A uniformly random six-digit code.
    fn one_time_code(&self) -> OneTimeCode;
    /// 32 random bytes for a session token.
    fn token_bytes(&self) -> [u8; 32];
    /// 16 random bytes for a version 4 UUID.
    fn id_bytes(&self) -> [u8; 16];
}
