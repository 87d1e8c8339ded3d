//! One-time SMS codes: six digits, bound to a phone and a purpose, with a lifetime, a limit on
//! wrong tries and a pause before another can be sent.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use subtle::ConstantTimeEq;

use crate::email::Email;
use crate::phone::Phone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OneTimeCodeError {
    #[error("the code is exactly 6 digits")]
    NotSixDigits,
}

/// A code as typed or generated: exactly six ASCII digits. Not printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// Builds a code from a random number (taken modulo 10^6).
    pub fn from_number(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for OneTimeCode {
    type Err = OneTimeCodeError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code = input.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(OneTimeCodeError::NotSixDigits)
        }
    }
}

impl TryFrom<String> for OneTimeCode {
    type Error = OneTimeCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

crate::code_enum! {
    /// What a code confirms.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum CodePurpose {
        Registration => "registration",
        PasswordReset => "password_reset",
    }
}

/// The numbers of `../shared/security.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    /// How long a code lives.
    pub lifetime: TimeDelta,
    /// Wrong tries after which the code is dead.
    pub max_attempts: u32,
    /// The pause between two codes for the same phone and purpose.
    pub resend_after: TimeDelta,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            lifetime: TimeDelta::seconds(600),
            max_attempts: 5,
            resend_after: TimeDelta::seconds(180),
        }
    }
}

/// A SHA-256 digest of a code: only the digest is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeDigest(pub [u8; 32]);

impl fmt::Debug for CodeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeDigest(<redacted>)")
    }
}

/// Why a typed code does not confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRejected {
    #[error("the code is wrong")]
    Wrong { attempts_left: u32 },
    #[error("the code has expired")]
    Expired,
    #[error("the code was tried too many times")]
    Exhausted,
}

/// A code that was sent and waits for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub phone: Phone,
    pub purpose: CodePurpose,
    /// `None` for a decoy: a registration request for a phone already registered, for which
    /// no code was sent; it counts for the resend pause but confirms nothing.
    pub digest: Option<CodeDigest>,
    /// The e-mail given with a registration request, kept until the confirm step (whose body
    /// carries no e-mail); `None` for other purposes and for decoys.
    pub email: Option<Email>,
    /// When the code was sent; for a registration, also when consent to the processing of
    /// personal data was given.
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub failed_attempts: u32,
}

impl PendingCode {
    pub fn new(
        phone: Phone,
        purpose: CodePurpose,
        digest: Option<CodeDigest>,
        email: Option<Email>,
        now: DateTime<Utc>,
        policy: &CodePolicy,
    ) -> Self {
        Self {
            phone,
            purpose,
            digest,
            email,
            sent_at: now,
            expires_at: now + policy.lifetime,
            failed_attempts: 0,
        }
    }

    /// When another code may be sent, if not yet.
    pub fn resend_wait(&self, now: DateTime<Utc>, policy: &CodePolicy) -> Option<TimeDelta> {
        let allowed_at = self.sent_at + policy.resend_after;
        (now < allowed_at).then(|| allowed_at - now)
    }

    /// Checks a typed code's digest. On `Wrong`, the caller records the failed try.
    pub fn check(
        &self,
        typed: &CodeDigest,
        now: DateTime<Utc>,
        policy: &CodePolicy,
    ) -> Result<(), CodeRejected> {
        if self.failed_attempts >= policy.max_attempts {
            return Err(CodeRejected::Exhausted);
        }
        if now >= self.expires_at {
            return Err(CodeRejected::Expired);
        }
        let matches = self
            .digest
            .is_some_and(|expected| bool::from(expected.0.ct_eq(&typed.0)));
        if matches {
            Ok(())
        } else {
            let attempts_left = policy.max_attempts.saturating_sub(self.failed_attempts + 1);
            Err(CodeRejected::Wrong { attempts_left })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn pending(digest: Option<CodeDigest>) -> PendingCode {
        let phone = "+79109845003".parse().unwrap();
        PendingCode::new(
            phone,
            CodePurpose::Registration,
            digest,
            Some("abonent@example.ru".parse().unwrap()),
            t0(),
            &CodePolicy::default(),
        )
    }

    const RIGHT: CodeDigest = CodeDigest([1; 32]);
    const WRONG: CodeDigest = CodeDigest([2; 32]);

    #[test]
    fn codes_are_six_digits() {
        assert_eq!("012345".parse::<OneTimeCode>().unwrap().expose(), "012345");
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                bad.parse::<OneTimeCode>(),
                Err(OneTimeCodeError::NotSixDigits),
                "{bad}"
            );
        }
        assert_eq!(OneTimeCode::from_number(42).expose(), "000042");
        assert_eq!(OneTimeCode::from_number(4_294_967_295).expose(), "967295");
        assert_eq!(
            format!("{:?}", OneTimeCode::from_number(1)),
            "OneTimeCode(<redacted>)"
        );
    }

    #[test]
    fn the_right_code_confirms_within_its_life() {
        let code = pending(Some(RIGHT));
        let policy = CodePolicy::default();
        assert_eq!(
            code.check(&RIGHT, t0() + TimeDelta::seconds(599), &policy),
            Ok(())
        );
        assert_eq!(
            code.check(&RIGHT, t0() + TimeDelta::seconds(600), &policy),
            Err(CodeRejected::Expired)
        );
    }

    #[test]
    fn wrong_tries_count_down_then_void_the_code() {
        let policy = CodePolicy::default();
        let mut code = pending(Some(RIGHT));
        for left in (0..5).rev() {
            assert_eq!(
                code.check(&WRONG, t0(), &policy),
                Err(CodeRejected::Wrong {
                    attempts_left: left
                })
            );
            code.failed_attempts += 1;
        }
        assert_eq!(
            code.check(&RIGHT, t0(), &policy),
            Err(CodeRejected::Exhausted)
        );
    }

    #[test]
    fn a_new_code_keeps_the_email_and_lives_its_lifetime() {
        let code = pending(Some(RIGHT));
        assert_eq!(
            code.email.as_ref().map(Email::as_str),
            Some("abonent@example.ru")
        );
        assert_eq!(code.expires_at, t0() + TimeDelta::seconds(600));
        assert_eq!(code.failed_attempts, 0);
    }

    #[test]
    fn a_decoy_confirms_nothing() {
        let code = pending(None);
        assert!(matches!(
            code.check(&RIGHT, t0(), &CodePolicy::default()),
            Err(CodeRejected::Wrong { .. })
        ));
    }

    #[test]
    fn resend_waits_180_seconds() {
        let code = pending(Some(RIGHT));
        let policy = CodePolicy::default();
        assert_eq!(
            code.resend_wait(t0() + TimeDelta::seconds(4), &policy),
            Some(TimeDelta::seconds(176))
        );
        assert_eq!(
            code.resend_wait(t0() + TimeDelta::seconds(180), &policy),
            None
        );
    }

    #[test]
    fn purposes_round_trip() {
        for purpose in [CodePurpose::Registration, CodePurpose::PasswordReset] {
            assert_eq!(CodePurpose::from_code(purpose.code()), Some(purpose));
        }
        assert_eq!(CodePurpose::from_code("login"), None);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<OneTimeCode>();
        }

        #[test]
        fn what_formats_parses_back(n: u32) {
            let code = OneTimeCode::from_number(n);
            prop_assert_eq!(code.expose().parse::<OneTimeCode>().unwrap(), code);
        }
    }
}
