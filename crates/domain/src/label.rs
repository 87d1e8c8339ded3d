//! A subscriber's own name for a linked account ("Дача", "Квартира мамы").

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::text_value;

pub const MAX_CHARS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("label must be at most {MAX_CHARS} characters long")]
    TooLong,
    #[error("label must not contain control characters")]
    ControlCharacters,
    #[error("label is empty")]
    Empty,
}

/// A non-empty label of at most 50 characters, trimmed. An empty text means "no label": use
/// [`Label::parse_optional`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

text_value!(Label, LabelError);

impl Label {
    /// `None` for an empty or blank text, which clears a label.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, LabelError> {
        match input.parse() {
            Ok(label) => Ok(Some(label)),
            Err(LabelError::Empty) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl FromStr for Label {
    type Err = LabelError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(LabelError::Empty);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(LabelError::ControlCharacters);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(LabelError::TooLong);
        }
        Ok(Self(trimmed.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(" Дача ".parse::<Label>().unwrap().as_str(), "Дача");
        assert!("ж".repeat(50).parse::<Label>().is_ok());
        assert_eq!("ж".repeat(51).parse::<Label>(), Err(LabelError::TooLong));
        assert_eq!("a\nb".parse::<Label>(), Err(LabelError::ControlCharacters));
        assert_eq!("  ".parse::<Label>(), Err(LabelError::Empty));
    }

    #[test]
    fn blank_clears() {
        assert_eq!(Label::parse_optional(""), Ok(None));
        assert_eq!(Label::parse_optional("   "), Ok(None));
        assert!(Label::parse_optional("Дом").unwrap().is_some());
        assert!(Label::parse_optional(&"x".repeat(51)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = Label::parse_optional(&s);
        }

        #[test]
        fn what_formats_parses_back(s in "[а-яА-Я0-9 ]{1,50}") {
            if let Ok(label) = s.parse::<Label>() {
                prop_assert_eq!(label.to_string().parse::<Label>().unwrap(), label);
            }
        }
    }
}
