//! The utility's bank details (реквизиты получателя), as a payment QR code carries them: the
//! BIC, the settlement and correspondent accounts with the Bank of Russia's control key, the
//! INN with the FNS control digit, the KPP, and the payee's and bank's names.

use std::str::FromStr;

use crate::value::text_value;

/// The longest payee name a payment QR code takes (GOST R 56042-2014, `Name`).
pub const PAYEE_NAME_MAX_CHARS: usize = 160;
/// The longest bank name a payment QR code takes (`BankName`).
pub const BANK_NAME_MAX_CHARS: usize = 45;

/// Whether `text` is exactly `len` ASCII digits.
fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

fn digit_values(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.bytes().map(|b| u32::from(b - b'0'))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a BIC is 9 digits")]
pub struct BicError;

/// A bank identification code (БИК): 9 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

text_value!(Bic, BicError);

impl FromStr for Bic {
    type Err = BicError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        if digits(input, 9) {
            Ok(Self(input.to_owned()))
        } else {
            Err(BicError)
        }
    }
}

impl Bic {
    /// The 3 digits that key a settlement account at this bank: the BIC's last 3.
    fn settlement_prefix(&self) -> String {
        self.0[6..].to_owned()
    }

    /// The 3 digits that key this bank's correspondent account: `0` and the BIC's 5th and
    /// 6th digits (the Bank of Russia's division).
    fn correspondent_prefix(&self) -> String {
        format!("0{}", &self.0[4..6])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a bank account is 20 digits")]
pub struct BankAccountError;

/// A bank account number (расчетный or корреспондентский счет): 20 digits. Its control key
/// (the 9th digit) depends on the bank, so it is checked by [`Payee::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankAccount(String);

text_value!(BankAccount, BankAccountError);

impl FromStr for BankAccount {
    type Err = BankAccountError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        if digits(input, 20) {
            Ok(Self(input.to_owned()))
        } else {
            Err(BankAccountError)
        }
    }
}

impl BankAccount {
    /// The Bank of Russia's control key: over the 23 digits of `prefix` (3 digits from the
    /// BIC) and the account, weights 7, 1, 3 repeating, the sum ends in 0.
    fn keyed_with(&self, prefix: &str) -> bool {
        let sum: u32 = digit_values(prefix)
            .chain(digit_values(&self.0))
            .zip([7, 1, 3].into_iter().cycle())
            .map(|(digit, weight)| digit * weight)
            .sum();
        sum.is_multiple_of(10)
    }

    /// Whether this settlement account's key matches the bank's `bic` (its last 3 digits).
    pub fn is_settlement_account_of(&self, bic: &Bic) -> bool {
        self.keyed_with(&bic.settlement_prefix())
    }

    /// Whether this correspondent account's key matches the bank's `bic` (`0` and its 5th
    /// and 6th digits).
    pub fn is_correspondent_account_of(&self, bic: &Bic) -> bool {
        self.keyed_with(&bic.correspondent_prefix())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InnError {
    #[error("an organisation's INN is 10 digits")]
    Malformed,
    #[error("the INN's control digit does not match")]
    ControlDigit,
}

/// An organisation's taxpayer number (ИНН юридического лица): 10 digits, the last one the
/// FNS control digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inn(String);

text_value!(Inn, InnError);

impl FromStr for Inn {
    type Err = InnError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        if !digits(input, 10) {
            return Err(InnError::Malformed);
        }
        // Weights 2, 4, 10, 3, 5, 9, 4, 6, 8 over the first 9 digits, mod 11, mod 10.
        let sum: u32 = digit_values(&input[..9])
            .zip([2, 4, 10, 3, 5, 9, 4, 6, 8])
            .map(|(digit, weight)| digit * weight)
            .sum();
        let control = digit_values(&input[9..]).next();
        if control == Some(sum % 11 % 10) {
            Ok(Self(input.to_owned()))
        } else {
            Err(InnError::ControlDigit)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a KPP is 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits")]
pub struct KppError;

/// A tax registration reason code (КПП): the tax office's 4 digits, the reason's 2 digits or
/// capital Latin letters, and a 3-digit number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kpp(String);

text_value!(Kpp, KppError);

impl FromStr for Kpp {
    type Err = KppError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        let bytes = input.as_bytes();
        let valid = bytes.len() == 9
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 5 => b.is_ascii_digit() || b.is_ascii_uppercase(),
                _ => b.is_ascii_digit(),
            });
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(KppError)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankTextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is longer than {0} characters")]
    TooLong(usize),
    #[error("the text must not contain `|` or control characters")]
    InvalidCharacters,
}

/// A name as a payment QR code carries it: trimmed, not empty, at most `max` characters, no
/// `|` (the code's separator) and no control characters.
fn bank_text(input: &str, max: usize) -> Result<String, BankTextError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(BankTextError::Empty);
    }
    if trimmed.chars().any(|c| c == '|' || c.is_control()) {
        return Err(BankTextError::InvalidCharacters);
    }
    if trimmed.chars().count() > max {
        return Err(BankTextError::TooLong(max));
    }
    Ok(trimmed.to_owned())
}

/// The payee's name (наименование получателя), at most 160 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayeeName(String);

text_value!(PayeeName, BankTextError);

impl FromStr for PayeeName {
    type Err = BankTextError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        bank_text(input, PAYEE_NAME_MAX_CHARS).map(Self)
    }
}

/// The payee's bank's name, at most 45 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankName(String);

text_value!(BankName, BankTextError);

impl FromStr for BankName {
    type Err = BankTextError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        bank_text(input, BANK_NAME_MAX_CHARS).map(Self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayeeError {
    #[error("the settlement account's control key does not match the BIC")]
    AccountKey,
    #[error("the correspondent account's control key does not match the BIC")]
    CorrespondentKey,
    #[error(
        "the code's mandatory block (name, account, bank, BIC, correspondent account) is {0} bytes, over {max}",
        max = crate::payment_qr::MANDATORY_BLOCK_MAX_BYTES
    )]
    TooLong(usize),
}

/// The utility's bank details, each valid and the accounts keyed to the BIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    name: PayeeName,
    account: BankAccount,
    bank: BankName,
    bic: Bic,
    correspondent_account: BankAccount,
    inn: Inn,
    kpp: Kpp,
}

/// The parts of a [`Payee`], to build one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeDetails {
    pub name: PayeeName,
    pub account: BankAccount,
    pub bank: BankName,
    pub bic: Bic,
    pub correspondent_account: BankAccount,
    pub inn: Inn,
    pub kpp: Kpp,
}

impl Payee {
    /// The payee, once both accounts' keys match the BIC and the code's mandatory block fits
    /// its 300 bytes.
    pub fn new(details: PayeeDetails) -> Result<Self, PayeeError> {
        if !details.account.is_settlement_account_of(&details.bic) {
            return Err(PayeeError::AccountKey);
        }
        if !details
            .correspondent_account
            .is_correspondent_account_of(&details.bic)
        {
            return Err(PayeeError::CorrespondentKey);
        }
        let PayeeDetails {
            name,
            account,
            bank,
            bic,
            correspondent_account,
            inn,
            kpp,
        } = details;
        let payee = Self {
            name,
            account,
            bank,
            bic,
            correspondent_account,
            inn,
            kpp,
        };
        let block = crate::payment_qr::mandatory_block(&payee).len();
        if block > crate::payment_qr::MANDATORY_BLOCK_MAX_BYTES {
            return Err(PayeeError::TooLong(block));
        }
        Ok(payee)
    }

    pub fn name(&self) -> &PayeeName {
        &self.name
    }

    /// The settlement account (расчетный счет).
    pub fn account(&self) -> &BankAccount {
        &self.account
    }

    pub fn bank(&self) -> &BankName {
        &self.bank
    }

    pub fn bic(&self) -> &Bic {
        &self.bic
    }

    /// The bank's correspondent account (корреспондентский счет).
    pub fn correspondent_account(&self) -> &BankAccount {
        &self.correspondent_account
    }

    pub fn inn(&self) -> &Inn {
        &self.inn
    }

    pub fn kpp(&self) -> &Kpp {
        &self.kpp
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Made-up details with valid keys: BIC 042406999, its correspondent account
    /// 30101810900000000999 and settlement account 40702810600000012345, INN 3702012348.
    pub(crate) fn details() -> PayeeDetails {
        PayeeDetails {
            name: "МУП «Водоканал»".parse().unwrap(),
            account: "40702810600000012345".parse().unwrap(),
            bank: "ПАО «Банк Пример»".parse().unwrap(),
            bic: "042406999".parse().unwrap(),
            correspondent_account: "30101810900000000999".parse().unwrap(),
            inn: "3702012348".parse().unwrap(),
            kpp: "370201001".parse().unwrap(),
        }
    }

    pub(crate) fn payee() -> Payee {
        Payee::new(details()).unwrap()
    }

    /// Real-world style triples: (BIC, its bank's correspondent account as published, a
    /// settlement account at it whose key was computed by hand).
    const KEYED: [(&str, &str, &str); 3] = [
        ("042406608", "30101810000000000608", "40702810917000012345"),
        ("044525225", "30101810400000000225", "40702810400000000225"),
        ("044525974", "30101810145250000974", "40702810610000012345"),
    ];

    #[test]
    fn the_control_key_of_known_accounts_holds() {
        // "006" + 30101810000000000608 by 7,1,3: 0+0+18 + 21+0+3 + 0+1+24 + 7+0+0 + 0+0+0
        // + 0+0+0 + 0+0+18 + 0+8 = 100, which ends in 0.
        for (bic, correspondent, settlement) in KEYED {
            let bic: Bic = bic.parse().unwrap();
            let correspondent: BankAccount = correspondent.parse().unwrap();
            assert!(correspondent.is_correspondent_account_of(&bic), "{bic}");
            let settlement: BankAccount = settlement.parse().unwrap();
            assert!(settlement.is_settlement_account_of(&bic), "{settlement}");
        }
        let test = details();
        assert!(test.account.is_settlement_account_of(&test.bic));
        assert!(
            test.correspondent_account
                .is_correspondent_account_of(&test.bic)
        );
    }

    #[test]
    fn the_inn_control_digit_is_checked() {
        // 7707083893: 7*2+7*4+0*10+7*3+0*5+8*9+3*4+8*6+9*8 = 267; 267 mod 11 = 3.
        assert_eq!("7707083893".parse::<Inn>().unwrap().as_str(), "7707083893");
        assert!("3702012348".parse::<Inn>().is_ok());
        assert_eq!("7707083894".parse::<Inn>(), Err(InnError::ControlDigit));
        for bad in ["", "770708389", "77070838931", "77070838a3", "770708389３"] {
            assert_eq!(bad.parse::<Inn>(), Err(InnError::Malformed), "{bad}");
        }
    }

    #[test]
    fn formats_are_checked() {
        assert!("042406608".parse::<Bic>().is_ok());
        for bad in ["", "04240660", "0424066080", "04240660x"] {
            assert_eq!(bad.parse::<Bic>(), Err(BicError), "{bad}");
        }
        for bad in ["", "4070281061700001234", "4070281061700001234x"] {
            assert_eq!(bad.parse::<BankAccount>(), Err(BankAccountError), "{bad}");
        }
        for good in ["370201001", "7701AB001", "77010A001"] {
            assert!(good.parse::<Kpp>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "37020100",
            "3702010011",
            "7701ab001",
            "A70201001",
            "770101A01",
        ] {
            assert_eq!(bad.parse::<Kpp>(), Err(KppError), "{bad}");
        }
    }

    #[test]
    fn names_are_bounded_and_have_no_separator() {
        assert_eq!(
            "  МУП «Водоканал» ".parse::<PayeeName>().unwrap().as_str(),
            "МУП «Водоканал»"
        );
        assert_eq!(" ".parse::<PayeeName>(), Err(BankTextError::Empty));
        assert_eq!(
            "МУП|Водоканал".parse::<PayeeName>(),
            Err(BankTextError::InvalidCharacters)
        );
        assert_eq!(
            "Банк\nПример".parse::<BankName>(),
            Err(BankTextError::InvalidCharacters)
        );
        assert!("Я".repeat(160).parse::<PayeeName>().is_ok());
        assert_eq!(
            "Я".repeat(161).parse::<PayeeName>(),
            Err(BankTextError::TooLong(160))
        );
        assert!("Я".repeat(45).parse::<BankName>().is_ok());
        assert_eq!(
            "Я".repeat(46).parse::<BankName>(),
            Err(BankTextError::TooLong(45))
        );
    }

    #[test]
    fn a_payee_checks_both_accounts_against_the_bic() {
        assert!(Payee::new(details()).is_ok());
        let mut other_bank = details();
        other_bank.bic = "044525225".parse().unwrap();
        assert_eq!(Payee::new(other_bank), Err(PayeeError::AccountKey));
        let mut swapped = details();
        swapped.correspondent_account = "30101810400000000225".parse().unwrap();
        assert_eq!(Payee::new(swapped), Err(PayeeError::CorrespondentKey));
    }

    #[test]
    fn a_payee_whose_mandatory_block_is_over_300_bytes_is_refused() {
        let mut long = details();
        // 160 Cyrillic letters are 320 bytes.
        long.name = "Я".repeat(160).parse().unwrap();
        assert!(matches!(Payee::new(long), Err(PayeeError::TooLong(n)) if n > 300));
        // With the test's bank, 83 Cyrillic letters (166 bytes) make exactly 300.
        let mut fits = details();
        fits.name = "Я".repeat(83).parse().unwrap();
        assert!(Payee::new(fits.clone()).is_ok());
        fits.name = "Я".repeat(84).parse().unwrap();
        assert_eq!(Payee::new(fits), Err(PayeeError::TooLong(302)));
        let mut fits = details();
        fits.name = "Я".repeat(80).parse().unwrap();
        assert!(Payee::new(fits).is_ok());
    }

    fn corrupt(text: &str, position: usize, delta: u8) -> String {
        let mut bytes = text.as_bytes().to_vec();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        String::from_utf8(bytes).unwrap()
    }

    proptest! {
        #[test]
        fn every_single_digit_corruption_of_an_account_is_refused(
            position in 0usize..20, delta in 1u8..10, which in 0usize..3,
        ) {
            // The weights 7, 1 and 3 are prime to 10: any one changed digit moves the sum's
            // last digit.
            let (bic, correspondent, settlement) = KEYED[which];
            let bic: Bic = bic.parse().unwrap();
            let correspondent: BankAccount =
                corrupt(correspondent, position, delta).parse().unwrap();
            prop_assert!(!correspondent.is_correspondent_account_of(&bic));
            let settlement: BankAccount = corrupt(settlement, position, delta).parse().unwrap();
            prop_assert!(!settlement.is_settlement_account_of(&bic));
        }

        #[test]
        fn every_single_digit_corruption_of_an_inn_is_refused(
            position in 0usize..10, delta in 1u8..10,
        ) {
            // Every weight is prime to 11, so a changed digit changes the remainder; only
            // remainders 0 and 10 share a control digit, and this INN's remainder is 3.
            let corrupted = corrupt("7707083893", position, delta);
            prop_assert_eq!(corrupted.parse::<Inn>(), Err(InnError::ControlDigit));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<Bic>();
            let _ = s.parse::<BankAccount>();
            let _ = s.parse::<Inn>();
            let _ = s.parse::<Kpp>();
            let _ = s.parse::<PayeeName>();
            let _ = s.parse::<BankName>();
        }
    }
}
