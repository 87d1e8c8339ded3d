//! Money in kopecks: [`Money`] is a payment amount (positive, bounded), [`Balance`] a signed
//! account balance or debt. Both format as roubles with exactly two decimals (`"1234.50"`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The largest single payment accepted: 1 000 000.00 roubles.
pub const MAX_PAYMENT_KOPECKS: u64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount is not a number of roubles with at most two decimals")]
    Malformed,
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount exceeds the largest payment of 1000000.00 roubles")]
    TooLarge,
}

/// A payment amount: a positive number of kopecks, at most [`MAX_PAYMENT_KOPECKS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Money(u64);

impl Money {
    pub fn from_kopecks(kopecks: u64) -> Result<Self, MoneyError> {
        match kopecks {
            0 => Err(MoneyError::NotPositive),
            k if k > MAX_PAYMENT_KOPECKS => Err(MoneyError::TooLarge),
            k => Ok(Self(k)),
        }
    }

    pub fn kopecks(self) -> u64 {
        self.0
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let kopecks = parse_kopecks(input)?;
        if kopecks <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Self::from_kopecks(u64::try_from(kopecks).map_err(|_| MoneyError::TooLarge)?)
    }
}

impl TryFrom<String> for Money {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Money> for String {
    fn from(value: Money) -> Self {
        value.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A signed amount in kopecks: an account's balance (positive: owed to the utility) or debt.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Balance(i64);

/// Balances are bounded so that sums of many payments can never overflow.
const MAX_BALANCE_KOPECKS: i64 = 1_000_000_000_000;

impl Balance {
    pub const ZERO: Self = Self(0);

    pub fn from_kopecks(kopecks: i64) -> Result<Self, MoneyError> {
        if kopecks.abs() > MAX_BALANCE_KOPECKS {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Self(kopecks))
        }
    }

    pub fn kopecks(self) -> i64 {
        self.0
    }

    /// This balance less a payment; saturates instead of overflowing.
    #[must_use]
    pub fn less(self, paid: Money) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(paid.kopecks()).unwrap_or(i64::MAX)),
        )
    }
}

impl FromStr for Balance {
    type Err = MoneyError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::from_kopecks(parse_kopecks(input)?)
    }
}

impl TryFrom<String> for Balance {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Balance> for String {
    fn from(value: Balance) -> Self {
        value.to_string()
    }
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Parses `[-]roubles[.k[k]]` (a comma is accepted for the decimal point) into kopecks.
fn parse_kopecks(input: &str) -> Result<i64, MoneyError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = match unsigned.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (unsigned, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 13
        || !digits_only(whole)
        || fraction.len() > 2
        || !digits_only(fraction)
        || (unsigned.len() > whole.len() && fraction.is_empty())
    {
        return Err(MoneyError::Malformed);
    }
    let roubles: i64 = whole.parse().map_err(|_| MoneyError::Malformed)?;
    let kopecks: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| MoneyError::Malformed)? * 10,
        _ => fraction.parse().map_err(|_| MoneyError::Malformed)?,
    };
    let total = roubles * 100 + kopecks;
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_payment_amounts() {
        let cases = [
            ("1234.50", 123_450),
            ("1234.5", 123_450),
            ("1234", 123_400),
            ("0.01", 1),
            ("12,30", 1230),
            (" 7.00 ", 700),
            ("1000000.00", 100_000_000),
        ];
        for (input, kopecks) in cases {
            assert_eq!(
                input.parse::<Money>().unwrap().kopecks(),
                kopecks,
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_bad_amounts() {
        let cases = [
            ("", MoneyError::Empty),
            ("abc", MoneyError::Malformed),
            ("1.234", MoneyError::Malformed),
            ("1.", MoneyError::Malformed),
            (".5", MoneyError::Malformed),
            ("1e3", MoneyError::Malformed),
            ("1 000", MoneyError::Malformed),
            ("0", MoneyError::NotPositive),
            ("0.00", MoneyError::NotPositive),
            ("-5", MoneyError::NotPositive),
            ("1000000.01", MoneyError::TooLarge),
            ("99999999999999999999", MoneyError::Malformed),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Money>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Money::from_kopecks(123_450).unwrap().to_string(), "1234.50");
        assert_eq!(Money::from_kopecks(5).unwrap().to_string(), "0.05");
        assert_eq!(Balance::from_kopecks(-1050).unwrap().to_string(), "-10.50");
        assert_eq!(Balance::from_kopecks(-5).unwrap().to_string(), "-0.05");
        assert_eq!(Balance::ZERO.to_string(), "0.00");
    }

    #[test]
    fn balance_less_payment() {
        let balance: Balance = "100.00".parse().unwrap();
        let paid: Money = "150.50".parse().unwrap();
        assert_eq!(balance.less(paid).to_string(), "-50.50");
    }

    #[test]
    fn serde_uses_strings() {
        let money: Money = serde_json::from_str("\"10.5\"").unwrap();
        assert_eq!(serde_json::to_string(&money).unwrap(), "\"10.50\"");
        assert!(serde_json::from_str::<Money>("\"-1\"").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<Money>();
            let _ = s.parse::<Balance>();
        }

        #[test]
        fn what_formats_parses_back(k in 1..=MAX_PAYMENT_KOPECKS, b in -MAX_BALANCE_KOPECKS..=MAX_BALANCE_KOPECKS) {
            let money = Money::from_kopecks(k).unwrap();
            prop_assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
            let balance = Balance::from_kopecks(b).unwrap();
            prop_assert_eq!(balance.to_string().parse::<Balance>().unwrap(), balance);
        }
    }
}
