//! Free-text notes a subscriber adds to a visit request.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::text_value;

pub const MAX_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotesError {
    #[error("notes are empty")]
    Empty,
    #[error("notes must be at most {MAX_CHARS} characters long")]
    TooLong,
}

/// Non-empty, trimmed, at most 500 characters; line breaks allowed, other control characters
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Notes(String);

text_value!(Notes, NotesError);

impl Notes {
    /// `None` for an empty or blank text.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, NotesError> {
        match input.parse() {
            Ok(notes) => Ok(Some(notes)),
            Err(NotesError::Empty) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl FromStr for Notes {
    type Err = NotesError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect();
        if cleaned.is_empty() {
            return Err(NotesError::Empty);
        }
        if cleaned.chars().count() > MAX_CHARS {
            return Err(NotesError::TooLong);
        }
        Ok(Self(cleaned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notes_are_cleaned_and_bounded() {
        assert_eq!(
            " Домофон 12\r\nзвонить ".parse::<Notes>().unwrap().as_str(),
            "Домофон 12\nзвонить"
        );
        assert_eq!("ж".repeat(501).parse::<Notes>(), Err(NotesError::TooLong));
        assert_eq!(Notes::parse_optional(" "), Ok(None));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = Notes::parse_optional(&s);
        }

        #[test]
        fn what_formats_parses_back(s in "\\PC{1,200}") {
            if let Ok(notes) = s.parse::<Notes>() {
                prop_assert_eq!(notes.to_string().parse::<Notes>().unwrap(), notes);
            }
        }
    }
}
