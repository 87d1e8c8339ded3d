//! Russian phone numbers, normalised to E.164 (`+7XXXXXXXXXX`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::mask::mask_middle;
use crate::value::text_value;

/// Why a text is not a Russian phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains characters other than digits, spaces, +, -, ( and )")]
    InvalidCharacters,
    #[error("phone number is not a Russian number of 10 digits after the country code")]
    NotRussian,
    #[error("phone number is not a Russian mobile number (+7 9xx xxx xx xx)")]
    NotMobile,
}

/// A Russian phone number. Accepts `+7 (910) 984-50-03`, `89109845003`, `79109845003`,
/// `9109845003`; always formats as `+79109845003`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

text_value!(Phone, PhoneError);

impl Phone {
    /// The ten national digits, without `+7`.
    pub fn national(&self) -> &str {
        &self.0[2..]
    }

    /// Whether this is a mobile number (`+7 9xx ...`), the only kind SMS codes go to.
    pub fn is_mobile(&self) -> bool {
        self.national().starts_with('9')
    }

    /// The form safe for logs: `+7******5003`.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 2, 4)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(11);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(PhoneError::InvalidCharacters),
            }
        }
        let national = match (digits.len(), trimmed.starts_with('+')) {
            (10, false) => digits.as_str(),
            (11, true) if digits.starts_with('7') => &digits[1..],
            (11, false) if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
            _ => return Err(PhoneError::NotRussian),
        };
        // Russian numbers under +7 start with 3, 4, 8 or 9 (the 6xx and 7xx ranges are Kazakhstan's).
        if !matches!(national.as_bytes()[0], b'3' | b'4' | b'8' | b'9') {
            return Err(PhoneError::NotRussian);
        }
        Ok(Self(format!("+7{national}")))
    }
}

/// Personal data: `Debug` shows only the masked form.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A Russian mobile number: the only kind an SMS code is sent to.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct MobilePhone(Phone);

impl MobilePhone {
    pub fn phone(&self) -> &Phone {
        &self.0
    }

    pub fn into_phone(self) -> Phone {
        self.0
    }
}

impl TryFrom<Phone> for MobilePhone {
    type Error = PhoneError;
    fn try_from(phone: Phone) -> Result<Self, Self::Error> {
        if phone.is_mobile() {
            Ok(Self(phone))
        } else {
            Err(PhoneError::NotMobile)
        }
    }
}

impl FromStr for MobilePhone {
    type Err = PhoneError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::try_from(input.parse::<Phone>()?)
    }
}

impl fmt::Display for MobilePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_russian_form_normalises_to_e164() {
        let cases = [
            "+7 (910) 984-50-03",
            "89109845003",
            "79109845003",
            "9109845003",
            "+79109845003",
            " 8 910 984 50 03 ",
            "8(910)9845003",
            "+7 910 984-50-03",
        ];
        for case in cases {
            assert_eq!(
                case.parse::<Phone>().unwrap().as_str(),
                "+79109845003",
                "{case}"
            );
        }
    }

    #[test]
    fn landlines_are_phones_but_not_mobiles() {
        let landline: Phone = "8 (4932) 41-50-11".parse().unwrap();
        assert_eq!(landline.as_str(), "+74932415011");
        assert!(!landline.is_mobile());
        assert_eq!(MobilePhone::try_from(landline), Err(PhoneError::NotMobile));
        assert!("+79109845003".parse::<MobilePhone>().is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_russian_number() {
        let cases = [
            ("", PhoneError::Empty),
            ("   ", PhoneError::Empty),
            ("abc", PhoneError::InvalidCharacters),
            ("+7910984500a", PhoneError::InvalidCharacters),
            ("7+9109845003", PhoneError::InvalidCharacters),
            ("910984500", PhoneError::NotRussian),
            ("991098450031", PhoneError::NotRussian),
            ("+89109845003", PhoneError::NotRussian),
            ("+19109845003", PhoneError::NotRussian),
            ("69109845003", PhoneError::NotRussian),
            ("+77011234567", PhoneError::NotRussian),
            ("1234567890", PhoneError::NotRussian),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Phone>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn masks_for_logs() {
        let phone: Phone = "89109845003".parse().unwrap();
        assert_eq!(phone.masked(), "+7******5003");
        assert_eq!(format!("{phone:?}"), "Phone(+7******5003)");
    }

    #[test]
    fn serde_parses_and_refuses() {
        let phone: Phone = serde_json::from_str("\"8 910 984 50 03\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+79109845003\"");
        assert!(serde_json::from_str::<Phone>("\"12\"").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<Phone>();
        }

        #[test]
        fn what_formats_parses_back(n in "[3489][0-9]{9}") {
            let phone: Phone = n.parse().unwrap();
            prop_assert_eq!(phone.to_string().parse::<Phone>().unwrap(), phone.clone());
            prop_assert_eq!(format!("8{n}").parse::<Phone>().unwrap(), phone);
        }
    }
}
