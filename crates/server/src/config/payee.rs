//! The utility's bank details for payment QR codes (issue 18): `VODOKANAL_PAYEE_*`, all seven
//! or none (then the QR code is off and the client hides it). A malformed one, or accounts
//! whose control key does not match the BIC, refuse the start naming the variable.

use std::str::FromStr;

use vodokanal_app::Settings;
use vodokanal_domain::{
    BankAccount, BankName, BankTextError, Bic, Inn, InnError, Kpp, Payee, PayeeDetails, PayeeError,
    PayeeName,
};

use super::ConfigError;
use crate::cli::PayeeArgs;

const NAME: &str = "VODOKANAL_PAYEE_NAME";
const ACCOUNT: &str = "VODOKANAL_PAYEE_ACCOUNT";
const BANK: &str = "VODOKANAL_PAYEE_BANK";
const BIC: &str = "VODOKANAL_PAYEE_BIC";
const CORR_ACCOUNT: &str = "VODOKANAL_PAYEE_CORR_ACCOUNT";
const INN: &str = "VODOKANAL_PAYEE_INN";
const KPP: &str = "VODOKANAL_PAYEE_KPP";

fn given(value: Option<&String>) -> Option<&str> {
    value
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

fn parse<T: FromStr>(
    text: &str,
    setting: &'static str,
    why: impl FnOnce(T::Err) -> String,
) -> Result<T, ConfigError> {
    text.parse::<T>()
        .map_err(|error| ConfigError::new(setting, format!("{} (got {text:?})", why(error))))
}

fn text_error(error: &BankTextError) -> String {
    match error {
        BankTextError::Empty => "must not be empty".to_owned(),
        BankTextError::TooLong(max) => format!("at most {max} characters"),
        BankTextError::InvalidCharacters => "must not contain `|` or control characters".into(),
    }
}

/// The payee, when the seven settings are given; `None` when none is.
pub fn from_args(args: &PayeeArgs) -> Result<Option<Payee>, ConfigError> {
    let all = [
        (NAME, given(args.payee_name.as_ref())),
        (ACCOUNT, given(args.payee_account.as_ref())),
        (BANK, given(args.payee_bank.as_ref())),
        (BIC, given(args.payee_bic.as_ref())),
        (CORR_ACCOUNT, given(args.payee_corr_account.as_ref())),
        (INN, given(args.payee_inn.as_ref())),
        (KPP, given(args.payee_kpp.as_ref())),
    ];
    let missing: Vec<&str> = all
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    if missing.len() == all.len() {
        return Ok(None);
    }
    if let Some(first) = missing.first() {
        return Err(ConfigError::new(
            first,
            format!(
                "the payee's bank details are all or none: missing {}",
                missing.join(", ")
            ),
        ));
    }
    let [name, account, bank, bic, corr, inn, kpp] = all.map(|(_, value)| value.unwrap_or(""));
    let bic: Bic = parse(bic, BIC, |_| "a BIC is 9 digits".into())?;
    let details = PayeeDetails {
        name: parse::<PayeeName>(name, NAME, |e| text_error(&e))?,
        account: parse::<BankAccount>(account, ACCOUNT, |_| "an account is 20 digits".into())?,
        bank: parse::<BankName>(bank, BANK, |e| text_error(&e))?,
        bic: bic.clone(),
        correspondent_account: parse::<BankAccount>(corr, CORR_ACCOUNT, |_| {
            "an account is 20 digits".into()
        })?,
        inn: parse::<Inn>(inn, INN, |e| match e {
            InnError::Malformed => "an organisation's INN is 10 digits".into(),
            InnError::ControlDigit => "the INN's control digit does not match".into(),
        })?,
        kpp: parse::<Kpp>(kpp, KPP, |_| {
            "a KPP is 4 digits, 2 digits or capital Latin letters, 3 digits".into()
        })?,
    };
    Payee::new(details).map(Some).map_err(|error| match error {
        PayeeError::AccountKey => ConfigError::new(
            ACCOUNT,
            format!("the control key does not match the BIC {bic} (got {account:?}): check both"),
        ),
        PayeeError::CorrespondentKey => ConfigError::new(
            CORR_ACCOUNT,
            format!("the control key does not match the BIC {bic} (got {corr:?}): check both"),
        ),
        PayeeError::TooLong(bytes) => ConfigError::new(
            NAME,
            format!(
                "the QR code's mandatory block (name, account, bank, BIC, correspondent account) \
                 is {bytes} bytes in UTF-8, over 300: shorten the name or the bank's name"
            ),
        ),
    })
}

/// Lays the payee over the settings.
pub fn apply_to(payee: Option<&Payee>, settings: &mut Settings) {
    if let Some(payee) = payee {
        settings.payee = Some(payee.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's example: made-up details with valid keys.
    fn example() -> PayeeArgs {
        PayeeArgs {
            payee_name: Some("МУП «Водоканал»".into()),
            payee_account: Some("40702810600000012345".into()),
            payee_bank: Some("ПАО «Банк Пример»".into()),
            payee_bic: Some("042406999".into()),
            payee_corr_account: Some("30101810900000000999".into()),
            payee_inn: Some("3702012348".into()),
            payee_kpp: Some("370201001".into()),
        }
    }

    /// A change to the example's settings.
    type Spoil = fn(&mut PayeeArgs);

    fn refused(args: &PayeeArgs) -> String {
        from_args(args).unwrap_err().to_string()
    }

    #[test]
    fn none_is_off_and_all_is_on() {
        let none = PayeeArgs {
            payee_name: None,
            payee_account: Some("  ".into()),
            payee_bank: None,
            payee_bic: None,
            payee_corr_account: None,
            payee_inn: None,
            payee_kpp: None,
        };
        assert_eq!(from_args(&none).unwrap(), None);
        let payee = from_args(&example()).unwrap().unwrap();
        assert_eq!(payee.name().as_str(), "МУП «Водоканал»");
        assert_eq!(payee.kpp().as_str(), "370201001");
        let mut settings = Settings::default();
        apply_to(Some(&payee), &mut settings);
        assert_eq!(settings.payee, Some(payee));
    }

    #[test]
    fn some_but_not_all_names_the_missing_ones() {
        let mut args = example();
        args.payee_bic = None;
        args.payee_kpp = Some(String::new());
        assert_eq!(
            refused(&args),
            "VODOKANAL_PAYEE_BIC: the payee's bank details are all or none: missing \
             VODOKANAL_PAYEE_BIC, VODOKANAL_PAYEE_KPP"
        );
    }

    #[test]
    fn a_malformed_one_is_named() {
        let cases: [(Spoil, &str); 8] = [
            (
                |a| a.payee_bic = Some("04240699".into()),
                "VODOKANAL_PAYEE_BIC: a BIC is 9 digits (got \"04240699\")",
            ),
            (
                |a| a.payee_account = Some("4070281060000001234".into()),
                "VODOKANAL_PAYEE_ACCOUNT: an account is 20 digits (got \"4070281060000001234\")",
            ),
            (
                |a| a.payee_account = Some("40702810700000012345".into()),
                "VODOKANAL_PAYEE_ACCOUNT: the control key does not match the BIC 042406999 \
                 (got \"40702810700000012345\"): check both",
            ),
            (
                |a| a.payee_corr_account = Some("30101810000000000999".into()),
                "VODOKANAL_PAYEE_CORR_ACCOUNT: the control key does not match the BIC \
                 042406999 (got \"30101810000000000999\"): check both",
            ),
            (
                |a| a.payee_inn = Some("3702012349".into()),
                "VODOKANAL_PAYEE_INN: the INN's control digit does not match (got \"3702012349\")",
            ),
            (
                |a| a.payee_kpp = Some("3702o1001".into()),
                "VODOKANAL_PAYEE_KPP: a KPP is 4 digits, 2 digits or capital Latin letters, 3 \
                 digits (got \"3702o1001\")",
            ),
            (
                |a| a.payee_name = Some("МУП|Водоканал".into()),
                "VODOKANAL_PAYEE_NAME: must not contain `|` or control characters (got \
                 \"МУП|Водоканал\")",
            ),
            (
                |a| a.payee_name = Some("Я".repeat(100)),
                "VODOKANAL_PAYEE_NAME: the QR code's mandatory block (name, account, bank, BIC, \
                 correspondent account) is 334 bytes in UTF-8, over 300: shorten the name or \
                 the bank's name",
            ),
        ];
        for (spoil, message) in cases {
            let mut args = example();
            spoil(&mut args);
            assert_eq!(refused(&args), message);
        }
    }
}
