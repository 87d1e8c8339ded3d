//! The password policy (8..=128 code points, not a commonly used password) and the stored hash.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// The commonly used passwords refused whatever their length (see `data/README.md`).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least {MIN_CHARS} characters long")]
    TooShort,
    #[error("password must be at most {MAX_CHARS} characters long")]
    TooLong,
    #[error("password is one of the commonly used passwords")]
    TooCommon,
}

fn is_common(candidate: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
    .contains(candidate.to_lowercase().as_str())
}

/// A password that meets the policy. Never printed: `Debug` is redacted and there is no
/// `Display`. Not trimmed: every character counts.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    /// The secret itself, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Password {
    type Error = PasswordError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let chars = value.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        if is_common(&value) {
            return Err(PasswordError::TooCommon);
        }
        Ok(Self(value))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password as it is kept: a PHC string produced by the password hasher.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string from the hasher or the store.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A password as typed at login: not checked against the policy (an old password may predate
/// it), only bounded so that hashing it stays cheap.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginPassword(String);

impl LoginPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LoginPassword {
    type Error = PasswordError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.chars().count() {
            0 => Err(PasswordError::TooShort),
            n if n > MAX_CHARS => Err(PasswordError::TooLong),
            _ => Ok(Self(value)),
        }
    }
}

impl From<Password> for LoginPassword {
    fn from(password: Password) -> Self {
        Self(password.0)
    }
}

impl fmt::Debug for LoginPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(s: &str) -> Result<Password, PasswordError> {
        Password::try_from(s.to_owned())
    }

    #[test]
    fn length_is_counted_in_code_points() {
        assert_eq!(check("Вода-2026").map(|_| ()), Ok(()));
        assert_eq!(check("короткий").map(|_| ()), Ok(())); // 8 Cyrillic letters, 16 bytes
        assert_eq!(check("Кор0тк!").map(|_| ()), Err(PasswordError::TooShort));
        assert!(check(&"ж".repeat(128)).is_ok());
        assert_eq!(
            check(&"ж".repeat(129)).map(|_| ()),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for common in [
            "12345678",
            "password",
            "qwerty123",
            "password123",
            "PassWord",
            "йцукенгш",
        ] {
            assert_eq!(
                check(common).map(|_| ()),
                Err(PasswordError::TooCommon),
                "{common}"
            );
        }
        assert!(check("тихая вода в Уводи").is_ok());
    }

    #[test]
    fn the_list_is_a_few_thousand_lower_case_lines() {
        let count = COMMON_PASSWORDS.lines().count();
        assert!(count >= 1000, "only {count} common passwords");
        assert!(
            COMMON_PASSWORDS
                .lines()
                .all(|l| l == l.to_lowercase() && !l.trim().is_empty())
        );
    }

    #[test]
    fn secrets_are_not_printed() {
        let password = check("secret-water-42").unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        let hash = PasswordHash::from_phc("$argon2id$...".into());
        assert!(!format!("{hash:?}").contains("argon2"));
    }

    #[test]
    fn login_passwords_are_only_bounded() {
        assert!(LoginPassword::try_from("12345678".to_owned()).is_ok());
        assert!(LoginPassword::try_from(String::new()).is_err());
        assert!(LoginPassword::try_from("x".repeat(129)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = check(&s);
        }

        #[test]
        fn any_uncommon_8_to_64_code_points_are_accepted(s in "\\PC{8,64}") {
            prop_assume!(!is_common(&s));
            let password = check(&s).unwrap();
            prop_assert_eq!(password.expose(), s.as_str());
        }
    }
}
