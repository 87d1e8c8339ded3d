//! A person's full name (ФИО), as given with an anonymous reading.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::text_value;

pub const MAX_CHARS: usize = 150;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FullNameError {
    #[error("full name is empty")]
    Empty,
    #[error("full name must be at most {MAX_CHARS} characters long")]
    TooLong,
    #[error("full name may contain letters, spaces, hyphens, apostrophes and dots only")]
    InvalidCharacters,
}

/// Letters, spaces, hyphens, apostrophes and dots; at most 150 characters; inner runs of
/// spaces collapsed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

text_value!(FullName, FullNameError);

impl FullName {
    /// The form safe for logs: initials only.
    pub fn masked(&self) -> String {
        let mut initials = String::new();
        for initial in self
            .0
            .split_whitespace()
            .filter_map(|word| word.chars().next())
        {
            initials.push(initial);
            initials.push('.');
        }
        initials
    }
}

impl FromStr for FullName {
    type Err = FullNameError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(FullNameError::Empty);
        }
        if collapsed.chars().count() > MAX_CHARS {
            return Err(FullNameError::TooLong);
        }
        if !collapsed
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
            || !collapsed.chars().any(char::is_alphabetic)
        {
            return Err(FullNameError::InvalidCharacters);
        }
        Ok(Self(collapsed))
    }
}

/// Personal data: `Debug` shows initials only.
impl fmt::Debug for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FullName({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_russian_names() {
        let name: FullName = "  Иванов   Иван  Иванович ".parse().unwrap();
        assert_eq!(name.as_str(), "Иванов Иван Иванович");
        assert_eq!(name.masked(), "И.И.И.");
        assert!("Салтыков-Щедрин М. Е.".parse::<FullName>().is_ok());
        assert!("O'Brien".parse::<FullName>().is_ok());
    }

    #[test]
    fn refuses_bad_names() {
        let long = "Я".repeat(151);
        let cases = [
            ("", FullNameError::Empty),
            ("   ", FullNameError::Empty),
            ("Иван2", FullNameError::InvalidCharacters),
            ("<script>", FullNameError::InvalidCharacters),
            ("- . -", FullNameError::InvalidCharacters),
            (long.as_str(), FullNameError::TooLong),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<FullName>(), Err(expected), "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<FullName>();
        }

        #[test]
        fn what_formats_parses_back(s in "[А-Яа-я]{1,20}( [А-Яа-я]{1,20}){0,2}") {
            let name: FullName = s.parse().unwrap();
            prop_assert_eq!(name.to_string().parse::<FullName>().unwrap(), name);
        }
    }
}
