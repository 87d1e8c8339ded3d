//! Meters (ИПУ): their numbers, the last-4-digits proof used for account linking, the service.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::value::text_value;

const MAX_LEN: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeterNumberError {
    #[error("meter number is empty")]
    Empty,
    #[error("meter number is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("meter number may contain letters, digits, '-', '/' and '.' only")]
    InvalidCharacters,
}

/// A meter's factory number: 1 to 30 letters, digits, `-`, `/` or `.`, upper-cased, inner
/// spaces dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeterNumber(String);

text_value!(MeterNumber, MeterNumberError);

impl MeterNumber {
    /// Whether the number ends with these four digits (the account-linking proof).
    pub fn ends_with(&self, last4: &MeterLast4) -> bool {
        self.0.ends_with(last4.as_str())
    }
}

impl FromStr for MeterNumber {
    type Err = MeterNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(MeterNumberError::Empty);
        }
        if compact.chars().count() > MAX_LEN {
            return Err(MeterNumberError::TooLong);
        }
        if !compact
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '.'))
        {
            return Err(MeterNumberError::InvalidCharacters);
        }
        Ok(Self(compact.to_uppercase()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeterLast4Error {
    #[error("exactly 4 digits are expected")]
    NotFourDigits,
}

/// The last four digits of a meter's number, as a subscriber types them to link an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeterLast4(String);

text_value!(MeterLast4, MeterLast4Error);

impl FromStr for MeterLast4 {
    type Err = MeterLast4Error;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(MeterLast4Error::NotFourDigits)
        }
    }
}

crate::code_enum! {
    /// What a meter measures.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum MeterService {
        ColdWater => "cold_water",
        HotWater => "hot_water",
    }
    impl FromStr with MeterServiceError;
    impl Display;
}

impl MeterService {
    pub const fn title(self) -> &'static str {
        match self {
            Self::ColdWater => "Холодная вода",
            Self::HotWater => "Горячая вода",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("meter service must be cold_water or hot_water")]
pub struct MeterServiceError;

/// A meter of an account, as the registry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    pub number: MeterNumber,
    pub service: MeterService,
    /// When the meter's calibration (поверка) is due, if the registry knows.
    pub verification_due: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_meter_numbers() {
        let cases = [
            ("12345678", "12345678"),
            (" вск-15 0011234 ", "ВСК-150011234"),
            ("ab/12.3", "AB/12.3"),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<MeterNumber>().unwrap().as_str(), expected);
        }
    }

    #[test]
    fn refuses_bad_meter_numbers() {
        let long = "1".repeat(31);
        let cases = [
            ("", MeterNumberError::Empty),
            ("  ", MeterNumberError::Empty),
            (long.as_str(), MeterNumberError::TooLong),
            ("12;34", MeterNumberError::InvalidCharacters),
            ("12\"34", MeterNumberError::InvalidCharacters),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<MeterNumber>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn last4_is_four_digits() {
        assert!("1234".parse::<MeterLast4>().is_ok());
        assert!(" 0007 ".parse::<MeterLast4>().is_ok());
        for bad in ["", "123", "12345", "12a4", "١٢٣٤"] {
            assert_eq!(
                bad.parse::<MeterLast4>(),
                Err(MeterLast4Error::NotFourDigits),
                "{bad}"
            );
        }
    }

    #[test]
    fn ends_with_compares_the_tail() {
        let meter: MeterNumber = "ВСХ-0011234".parse().unwrap();
        assert!(meter.ends_with(&"1234".parse().unwrap()));
        assert!(!meter.ends_with(&"0112".parse().unwrap()));
        let short: MeterNumber = "234".parse().unwrap();
        assert!(!short.ends_with(&"1234".parse().unwrap()));
    }

    #[test]
    fn services_parse_from_their_codes() {
        for service in [MeterService::ColdWater, MeterService::HotWater] {
            assert_eq!(service.code().parse::<MeterService>(), Ok(service));
        }
        assert!("gas".parse::<MeterService>().is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<MeterNumber>();
            let _ = s.parse::<MeterLast4>();
        }

        #[test]
        fn what_formats_parses_back(n in "[A-Za-z0-9/.-]{1,30}") {
            let number: MeterNumber = n.parse().unwrap();
            prop_assert_eq!(number.to_string().parse::<MeterNumber>().unwrap(), number);
        }
    }
}
