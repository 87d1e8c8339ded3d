//! E-mail addresses, compared case-insensitively and stored lower-cased.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::text_value;

/// Longest address RFC 5321 allows through SMTP.
const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail is empty")]
    Empty,
    #[error("e-mail is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("e-mail is not of the form name@domain.tld")]
    Malformed,
}

/// An e-mail address of the form `local@domain.tld`, lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

text_value!(Email, EmailError);

impl Email {
    /// The form safe for logs: `pa***@example.com`. At most the first two characters of the
    /// local part show, never all of it, and always three stars, so the length stays hidden.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let shown = local.chars().count().saturating_sub(1).min(2);
        let shown: String = local.chars().take(shown).collect();
        format!("{shown}***@{domain}")
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let lower = trimmed.to_lowercase();
        let (local, domain) = lower.split_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "._%+-'!#$&*/=?^`{|}~".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.chars().count() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
            });
        if local_ok && domain_ok {
            Ok(Self(lower))
        } else {
            Err(EmailError::Malformed)
        }
    }
}

/// Personal data: `Debug` shows only the masked form.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_lower_cases() {
        let cases = [
            ("Ivan.Petrov@Example.COM", "ivan.petrov@example.com"),
            (" a@b.ru ", "a@b.ru"),
            ("user+tag@mail.example.org", "user+tag@mail.example.org"),
            ("Абонент@Почта.РФ", "абонент@почта.рф"),
            ("o'neil@example.com", "o'neil@example.com"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<Email>().unwrap().as_str(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_malformed() {
        let long = format!("{}@example.com", "a".repeat(250));
        let cases = [
            ("", EmailError::Empty),
            ("plain", EmailError::Malformed),
            ("@example.com", EmailError::Malformed),
            ("a@", EmailError::Malformed),
            ("a@localhost", EmailError::Malformed),
            ("a@@b.ru", EmailError::Malformed),
            ("a b@c.ru", EmailError::Malformed),
            (".a@b.ru", EmailError::Malformed),
            ("a..b@c.ru", EmailError::Malformed),
            ("a@-b.ru", EmailError::Malformed),
            ("a@b.r", EmailError::Malformed),
            ("a@b.123", EmailError::Malformed),
            (long.as_str(), EmailError::TooLong),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Email>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn masks_for_logs() {
        let email: Email = "paul.smith@example.com".parse().unwrap();
        assert_eq!(email.masked(), "pa***@example.com");
        for (short, masked) in [
            ("a@b.ru", "***@b.ru"),
            ("ab@b.ru", "a***@b.ru"),
            ("abc@b.ru", "ab***@b.ru"),
        ] {
            assert_eq!(short.parse::<Email>().unwrap().masked(), masked);
        }
        assert!(!format!("{email:?}").contains("paul.smith"));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<Email>();
        }

        #[test]
        fn what_formats_parses_back(local in "[a-zA-Z0-9][a-zA-Z0-9._-]{0,20}[a-zA-Z0-9]", domain in "[a-z]{1,10}\\.(ru|com|org)") {
            prop_assume!(!local.contains(".."));
            let email: Email = format!("{local}@{domain}").parse().unwrap();
            prop_assert_eq!(email.to_string().parse::<Email>().unwrap(), email);
        }
    }
}
