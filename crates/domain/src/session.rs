//! Session tokens: 32 random bytes given to the client as base64url; only their SHA-256 digest
//! is kept.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::ids::UserId;

/// The bearer token a client holds. Not printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// Wraps the encoded token (generated, or read from an `Authorization` header).
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The SHA-256 digest of a session token, the only form stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub digest: TokenDigest,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn sessions_end_at_expiry_and_tokens_stay_secret() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let session = Session {
            digest: TokenDigest([0xab; 32]),
            user_id: UserId::from_random_bytes([1; 16]),
            created_at: now,
            expires_at: now + TimeDelta::days(30),
        };
        assert!(session.is_valid_at(now + TimeDelta::days(29)));
        assert!(!session.is_valid_at(now + TimeDelta::days(30)));
        assert_eq!(
            format!("{:?}", SessionToken::new("abc".into())),
            "SessionToken(<redacted>)"
        );
        assert_eq!(format!("{:?}", session.digest), "TokenDigest(abab..)");
    }
}
