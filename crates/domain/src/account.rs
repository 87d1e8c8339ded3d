//! Accounts (лицевой счет): the utility's billing accounts, fed by the registry, and a
//! subscriber's link to one.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::label::Label;
use crate::meter::{Meter, MeterLast4};
use crate::money::{Balance, Money};
use crate::value::text_value;

const MIN_LEN: usize = 4;
const MAX_LEN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountNumberError {
    #[error("account number is empty")]
    Empty,
    #[error("account number must contain digits only")]
    NotDigits,
    #[error("account number must be {MIN_LEN} to {MAX_LEN} digits long")]
    BadLength,
}

/// An account number: 4 to 20 digits. Spaces and dashes that subscribers copy from a bill are
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

text_value!(AccountNumber, AccountNumberError);

impl FromStr for AccountNumber {
    type Err = AccountNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if compact.is_empty() {
            return Err(AccountNumberError::Empty);
        }
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountNumberError::NotDigits);
        }
        if !(MIN_LEN..=MAX_LEN).contains(&compact.len()) {
            return Err(AccountNumberError::BadLength);
        }
        Ok(Self(compact))
    }
}

/// An account as the registry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub number: AccountNumber,
    pub address: String,
    /// The registry's balance: positive means the subscriber owes the utility.
    pub balance: Balance,
    /// The day the registry's balance was computed (end of day).
    pub balance_as_of: NaiveDate,
    pub meters: Vec<Meter>,
}

impl Account {
    /// Account linking: the subscriber proves they hold the account by the last 4 digits of one
    /// of its meters.
    pub fn has_meter_ending_with(&self, last4: &MeterLast4) -> bool {
        self.meters
            .iter()
            .any(|meter| meter.number.ends_with(last4))
    }

    /// The debt: the registry's balance less the payments that succeeded after the balance
    /// date. `paid_after_balance` must hold only payments settled after `balance_as_of`.
    pub fn debt<'a>(&self, paid_after_balance: impl IntoIterator<Item = &'a Money>) -> Balance {
        paid_after_balance
            .into_iter()
            .fold(self.balance, |debt, paid| debt.less(*paid))
    }
}

/// An account linked to a subscriber, with the subscriber's own label for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedAccount {
    pub account: Account,
    pub label: Option<Label>,
    pub linked_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{MeterNumber, MeterService};
    use proptest::prelude::*;

    #[test]
    fn parses_account_numbers() {
        let cases = [
            ("123456", "123456"),
            (" 12-34-56 ", "123456"),
            ("0001", "0001"),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<AccountNumber>().unwrap().as_str(), expected);
        }
    }

    #[test]
    fn refuses_bad_account_numbers() {
        let cases = [
            ("", AccountNumberError::Empty),
            (" - ", AccountNumberError::Empty),
            ("12a456", AccountNumberError::NotDigits),
            ("123", AccountNumberError::BadLength),
            ("123456789012345678901", AccountNumberError::BadLength),
            ("１２３４５", AccountNumberError::NotDigits),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<AccountNumber>(), Err(expected), "{input:?}");
        }
    }

    fn account(meters: &[&str]) -> Account {
        Account {
            number: "123456".parse().unwrap(),
            address: "г. Иваново, ул. Лежневская, д. 1, кв. 2".into(),
            balance: "1000.00".parse().unwrap(),
            balance_as_of: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            meters: meters
                .iter()
                .map(|n| Meter {
                    number: n.parse::<MeterNumber>().unwrap(),
                    service: MeterService::ColdWater,
                    verification_due: None,
                })
                .collect(),
        }
    }

    #[test]
    fn linking_needs_a_meter_ending_in_the_digits() {
        let acc = account(&["ВСХ-0011234", "77885678"]);
        assert!(acc.has_meter_ending_with(&"1234".parse().unwrap()));
        assert!(acc.has_meter_ending_with(&"5678".parse().unwrap()));
        assert!(!acc.has_meter_ending_with(&"0000".parse().unwrap()));
        assert!(!account(&[]).has_meter_ending_with(&"1234".parse().unwrap()));
    }

    #[test]
    fn debt_is_balance_less_payments() {
        let acc = account(&[]);
        let payments: Vec<Money> = vec!["300.00".parse().unwrap(), "200.50".parse().unwrap()];
        assert_eq!(acc.debt(&payments).to_string(), "499.50");
        assert_eq!(acc.debt(&[]).to_string(), "1000.00");
        let overpaid: Vec<Money> = vec!["1500.00".parse().unwrap()];
        assert_eq!(acc.debt(&overpaid).to_string(), "-500.00");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<AccountNumber>();
        }

        #[test]
        fn what_formats_parses_back(n in "[0-9]{4,20}") {
            let number: AccountNumber = n.parse().unwrap();
            prop_assert_eq!(number.to_string().parse::<AccountNumber>().unwrap(), number);
        }
    }
}
