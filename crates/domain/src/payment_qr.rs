//! The payment QR code's text (GOST R 56042-2014, «ST00012»), which every Russian bank's app
//! reads: the header `ST0001` with the charset digit `2` (UTF-8), then `|Key=Value` pairs, the
//! mandatory ones first (`Name`, `PersonalAcc`, `BankName`, `BIC`, `CorrespAcc`, at most 300
//! bytes with the header), then the payee's INN and KPP, the subscriber's account (`PersAcc`),
//! the sum in kopecks, the purpose, and `TechCode=02` (housing and utilities).
//!
//! ```
//! use vodokanal_domain::payee::{Payee, PayeeDetails};
//! use vodokanal_domain::payment_qr::PaymentOrder;
//! use vodokanal_domain::PaymentPurpose;
//!
//! let payee = Payee::new(PayeeDetails {
//!     name: "МУП «Водоканал»".parse()?,
//!     account: "40702810600000012345".parse()?,
//!     bank: "ПАО «Банк Пример»".parse()?,
//!     bic: "042406999".parse()?,
//!     correspondent_account: "30101810900000000999".parse()?,
//!     inn: "3702012348".parse()?,
//!     kpp: "370201001".parse()?,
//! })?;
//! let order = PaymentOrder {
//!     payee: &payee,
//!     account_number: "100001".parse()?,
//!     purpose: PaymentPurpose::Water,
//!     amount: "1234.50".parse()?,
//! };
//! assert!(order.text().ends_with("|PersAcc=100001|Sum=123450|Purpose=Вода, лицевой счет 100001|TechCode=02"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::account::AccountNumber;
use crate::money::Money;
use crate::payee::Payee;
use crate::purpose::PaymentPurpose;

/// The header: format `ST0001`, charset `2` (UTF-8).
pub const HEADER: &str = "ST00012";
/// The most bytes of the header and the mandatory pairs.
pub const MANDATORY_BLOCK_MAX_BYTES: usize = 300;
/// `TechCode` of housing and utilities payments (ЖКХ).
pub const TECH_CODE_UTILITIES: &str = "02";

/// The header and the mandatory pairs of `payee`.
pub(crate) fn mandatory_block(payee: &Payee) -> String {
    format!(
        "{HEADER}|Name={}|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}",
        payee.name(),
        payee.account(),
        payee.bank(),
        payee.bic(),
        payee.correspondent_account(),
    )
}

/// A payment to the utility, as its QR code asks the subscriber's bank to make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder<'a> {
    pub payee: &'a Payee,
    /// The subscriber's account at the utility (`PersAcc`).
    pub account_number: AccountNumber,
    pub purpose: PaymentPurpose,
    pub amount: Money,
}

impl PaymentOrder<'_> {
    /// What the bank's payment order says: the purpose's title and the account, e.g.
    /// «Вода, лицевой счет 100001» (never a `|`: titles and digits only).
    pub fn purpose_text(&self) -> String {
        format!(
            "{}, лицевой счет {}",
            self.purpose.title(),
            self.account_number
        )
    }

    /// The code's UTF-8 text.
    pub fn text(&self) -> String {
        format!(
            "{}|PayeeINN={}|KPP={}|PersAcc={}|Sum={}|Purpose={}|TechCode={TECH_CODE_UTILITIES}",
            mandatory_block(self.payee),
            self.payee.inn(),
            self.payee.kpp(),
            self.account_number,
            self.amount.kopecks(),
            self.purpose_text(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payee::tests::{details, payee};
    use crate::payee::{BankAccount, Bic, Inn, Kpp, PayeeDetails};
    use proptest::prelude::*;

    fn order(payee: &Payee) -> PaymentOrder<'_> {
        PaymentOrder {
            payee,
            account_number: "123456".parse().unwrap(),
            purpose: PaymentPurpose::Water,
            amount: "1500.00".parse().unwrap(),
        }
    }

    /// The example of `providers.md` §5 (`ST00012|Name=МУП Водоканал|PersonalAcc=40702810…|
    /// …|PersAcc=123456|…|Sum=150000|TechCode=02`) on made-up details with valid keys.
    #[test]
    fn builds_the_example_text() {
        let payee = Payee::new(PayeeDetails {
            name: "МУП Водоканал".parse().unwrap(),
            ..details()
        })
        .unwrap();
        assert_eq!(
            order(&payee).text(),
            "ST00012|Name=МУП Водоканал|PersonalAcc=40702810600000012345\
             |BankName=ПАО «Банк Пример»|BIC=042406999|CorrespAcc=30101810900000000999\
             |PayeeINN=3702012348|KPP=370201001|PersAcc=123456|Sum=150000\
             |Purpose=Вода, лицевой счет 123456|TechCode=02"
        );
    }

    #[test]
    fn every_purpose_has_its_title_and_the_account() {
        let payee = payee();
        let texts: Vec<String> = PaymentPurpose::ALL
            .iter()
            .map(|&purpose| {
                PaymentOrder {
                    purpose,
                    ..order(&payee)
                }
                .purpose_text()
            })
            .collect();
        assert_eq!(
            texts,
            [
                "Вода, лицевой счет 123456",
                "Временный водопровод, лицевой счет 123456",
                "Судебные, лицевой счет 123456",
                "Отопление, лицевой счет 123456",
            ]
        );
    }

    #[test]
    fn the_sum_is_in_kopecks() {
        let payee = payee();
        for (amount, sum) in [("0.01", "|Sum=1|"), ("1234.5", "|Sum=123450|")] {
            let text = PaymentOrder {
                amount: amount.parse().unwrap(),
                ..order(&payee)
            }
            .text();
            assert!(text.contains(sum), "{text}");
        }
    }

    /// The pairs of a text, split on `|` after the header.
    fn pairs(text: &str) -> Vec<(String, String)> {
        let (header, rest) = text.split_once('|').unwrap();
        assert_eq!(header, HEADER);
        rest.split('|')
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect()
    }

    proptest! {
        #[test]
        fn the_text_splits_back_into_its_fields(
            account in "[0-9]{4,20}", kopecks in 1u64..=100_000_000, purpose in 0usize..4,
            name in "[А-Яа-я «»\"\\-.0-9A-Za-z]{1,80}",
        ) {
            prop_assume!(!name.trim().is_empty());
            let payee = Payee::new(PayeeDetails {
                name: name.parse().unwrap(),
                ..details()
            }).unwrap();
            let order = PaymentOrder {
                payee: &payee,
                account_number: account.parse().unwrap(),
                purpose: PaymentPurpose::ALL[purpose],
                amount: Money::from_kopecks(kopecks).unwrap(),
            };
            let keys: Vec<(String, String)> = pairs(&order.text());
            let expected = [
                ("Name", name.trim().to_owned()),
                ("PersonalAcc", "40702810600000012345".to_owned()),
                ("BankName", "ПАО «Банк Пример»".to_owned()),
                ("BIC", "042406999".to_owned()),
                ("CorrespAcc", "30101810900000000999".to_owned()),
                ("PayeeINN", "3702012348".to_owned()),
                ("KPP", "370201001".to_owned()),
                ("PersAcc", account.clone()),
                ("Sum", kopecks.to_string()),
                ("Purpose", order.purpose_text()),
                ("TechCode", "02".to_owned()),
            ];
            let expected: Vec<(String, String)> =
                expected.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            prop_assert_eq!(keys, expected);
        }
    }

    #[test]
    fn the_test_details_are_what_the_parsers_take() {
        // Keeps the README's and the browser journey's example in step with the rules.
        assert!("042406999".parse::<Bic>().is_ok());
        assert!("40702810600000012345".parse::<BankAccount>().is_ok());
        assert!("3702012348".parse::<Inn>().is_ok());
        assert!("370201001".parse::<Kpp>().is_ok());
    }
}
