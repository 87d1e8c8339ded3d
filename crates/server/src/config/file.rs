//! The utility's own file (`VODOKANAL_CONFIG`): texts and rules in TOML, laid over the
//! defaults of [`Settings`]. Unknown keys are refused, so that a typo is not silently ignored.
//!
//! An example, not a recommendation: each utility writes its own facts. Its
//! `[contact_center]` is the default (the Ivanovo Vodokanal's, from its app's guide); the other
//! values show the syntax.
//!
//! ```toml
//! timezone = "Europe/Moscow"
//! reading_window = "15-25"
//! high_consumption = "30"          # m³ since the previous reading: above, a warning
//! anonymous_reading_cap = "90"     # m³: above, an anonymous reading is refused (default 3 × high_consumption)
//! receipts = false
//! receipt_tax_system = "osn"      # sent with each receipt; T-Bank's default is osn
//! readings_help = "Пример: показания принимаются с 15 по 25 число."
//! payments_help = "Пример: оплатить можно банковской картой."
//! # The days a technician can be booked (days not listed are days off).
//! working_hours = [
//!   { weekday = "mon", opens = "08:30", closes = "18:30" },
//! ]
//!
//! # The receipt's item per payment purpose (water, temporary_water_supply, court, heating),
//! # each key laid over the default: vat 22, service, full_payment (court: none, another).
//! [receipt_items.court]
//! vat = "none"                    # none, 0, 5, 7, 10, 20, 22, 5/105, 7/107, 10/110, 20/120, 22/122
//! payment_subject = "another"     # commodity, service, payment, another, …
//! payment_mode = "full_payment"   # full_prepayment, advance, full_payment, …
//!
//! [contact_center]
//! address = "Ленинский район, Иваново, 153038, Строителей проспект, 4а"
//! phones = ["+7 (4932) 93-01-08", "+7 (4932) 56-13-30"]
//! hours = [
//!   { days = "Пн-Пт", opens = "08:30", closes = "18:30" },
//!   { days = "Сб", opens = "09:00", closes = "17:30" },
//! ]
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use chrono::{NaiveTime, Weekday};
use serde::Deserialize;
use vodokanal_app::Settings;
use vodokanal_app::receipts::{ReceiptRules, TaxSystem};
use vodokanal_app::settings::HoursLine;
use vodokanal_domain::{
    DayHours, PaymentPurpose, ReadingValue, ReadingWindow, UtilityCalendar, WorkingHours,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UtilityFile {
    timezone: Option<String>,
    reading_window: Option<String>,
    high_consumption: Option<String>,
    anonymous_reading_cap: Option<String>,
    receipts: Option<bool>,
    receipt_tax_system: Option<String>,
    receipt_items: Option<BTreeMap<String, ReceiptItemFile>>,
    readings_help: Option<String>,
    payments_help: Option<String>,
    contact_center: Option<ContactCenterFile>,
    working_hours: Option<Vec<WorkingDayFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptItemFile {
    vat: Option<String>,
    payment_subject: Option<String>,
    payment_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactCenterFile {
    address: Option<String>,
    phones: Option<Vec<String>>,
    hours: Option<Vec<HoursLineFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursLineFile {
    days: String,
    opens: String,
    closes: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkingDayFile {
    weekday: String,
    opens: String,
    closes: String,
}

/// Reads the file at `path` and lays it over `settings`. The error is one line: where, and
/// what is wrong.
pub fn apply(path: &Path, settings: &mut Settings) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{} can't be read: {e}", path.display()))?;
    apply_text(&text, settings).map_err(|e| format!("{}: {e}", path.display()))
}

fn apply_text(text: &str, settings: &mut Settings) -> Result<(), String> {
    let file: UtilityFile = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    if let Some(tz) = file.timezone {
        settings.calendar = tz
            .parse::<UtilityCalendar>()
            .map_err(|e| format!("timezone: {e}"))?;
    }
    if let Some(window) = file.reading_window {
        settings.reading_policy.window = Some(
            window
                .parse::<ReadingWindow>()
                .map_err(|e| format!("reading_window: {e}"))?,
        );
    }
    if let Some(threshold) = file.high_consumption {
        settings.reading_policy.high_consumption = threshold
            .parse::<ReadingValue>()
            .map_err(|e| format!("high_consumption: {e}"))?;
    }
    if let Some(cap) = file.anonymous_reading_cap {
        settings.reading_policy.anonymous_cap = Some(
            cap.parse::<ReadingValue>()
                .map_err(|e| format!("anonymous_reading_cap: {e}"))?,
        );
    }
    if let Some(receipts) = file.receipts {
        settings.receipts = receipts;
    }
    if let Some(tax) = file.receipt_tax_system {
        settings.receipt_rules.tax_system = Some(
            tax.parse::<TaxSystem>()
                .map_err(|e| format!("receipt_tax_system: {e}"))?,
        );
    }
    if let Some(items) = file.receipt_items {
        receipt_items(items, &mut settings.receipt_rules)?;
    }
    if let Some(help) = file.readings_help {
        settings.readings_help = help;
    }
    if let Some(help) = file.payments_help {
        settings.payments_help = help;
    }
    if let Some(center) = file.contact_center {
        if let Some(address) = center.address {
            settings.contact_center.address = address;
        }
        if let Some(phones) = center.phones {
            settings.contact_center.phones = phones;
        }
        if let Some(hours) = center.hours {
            settings.contact_center.hours = hours
                .into_iter()
                .map(|line| {
                    Ok(HoursLine {
                        opens: time(&line.opens, "contact_center.hours.opens")?,
                        closes: time(&line.closes, "contact_center.hours.closes")?,
                        days: line.days,
                    })
                })
                .collect::<Result<_, String>>()?;
        }
    }
    if let Some(days) = file.working_hours {
        let days = days
            .into_iter()
            .map(|day| {
                Ok(DayHours {
                    weekday: day.weekday.parse::<Weekday>().map_err(|_| {
                        format!(
                            "working_hours.weekday: {:?} is not a weekday (mon, tue, …)",
                            day.weekday
                        )
                    })?,
                    opens: time(&day.opens, "working_hours.opens")?,
                    closes: time(&day.closes, "working_hours.closes")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        settings.working_hours =
            WorkingHours::new(days).map_err(|e| format!("working_hours: {e}"))?;
    }
    Ok(())
}

/// Lays each purpose's item over its default.
fn receipt_items(
    items: BTreeMap<String, ReceiptItemFile>,
    rules: &mut ReceiptRules,
) -> Result<(), String> {
    for (code, file) in items {
        let purpose = code
            .parse::<PaymentPurpose>()
            .map_err(|e| format!("receipt_items: {code:?}: {e}"))?;
        let key = |field: &str| format!("receipt_items.{code}.{field}");
        let mut item = rules.item(purpose);
        if let Some(vat) = file.vat {
            item.vat = parsed(&vat, &key("vat"))?;
        }
        if let Some(subject) = file.payment_subject {
            item.payment_subject = parsed(&subject, &key("payment_subject"))?;
        }
        if let Some(mode) = file.payment_mode {
            item.payment_mode = parsed(&mode, &key("payment_mode"))?;
        }
        rules.set_item(purpose, item);
    }
    Ok(())
}

fn parsed<T: FromStr>(text: &str, key: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{key}: {e}"))
}

fn time(text: &str, key: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| format!("{key}: {text:?} is not a time HH:MM"))
}

/// The TOML error on one line, with the line it points at.
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map_or(1, |before| before.matches('\n').count() + 1);
            format!("line {line}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vodokanal_app::receipts::{PaymentMode, PaymentSubject, ReceiptItemRule, VatRate};

    #[test]
    fn the_file_is_laid_over_the_defaults() {
        let mut settings = Settings::default();
        apply_text(
            r#"
timezone = "Asia/Yekaterinburg"
reading_window = "20-25"
high_consumption = "45.5"
receipts = true
readings_help = "Показания с 20 по 25."
working_hours = [{ weekday = "tue", opens = "10:00", closes = "16:00" }]

[contact_center]
phones = ["+7 (4932) 00-00-00", "8 800 000-00-00"]
hours = [{ days = "Пн–Чт", opens = "09:00", closes = "17:00" }]
"#,
            &mut settings,
        )
        .unwrap();
        assert_eq!(
            settings.calendar,
            "Asia/Yekaterinburg".parse::<UtilityCalendar>().unwrap()
        );
        assert_eq!(
            settings.reading_policy.window,
            Some("20-25".parse().unwrap())
        );
        assert_eq!(
            settings.reading_policy.high_consumption,
            "45.500".parse().unwrap()
        );
        assert!(settings.receipts);
        assert_eq!(settings.readings_help, "Показания с 20 по 25.");
        assert_eq!(settings.payments_help, Settings::default().payments_help);
        assert_eq!(
            settings.contact_center.address,
            Settings::default().contact_center.address
        );
        assert_eq!(settings.contact_center.phones.len(), 2);
        assert_eq!(settings.contact_center.hours[0].days, "Пн–Чт");
        assert_eq!(settings.working_hours.days().len(), 1);
        assert_eq!(settings.working_hours.days()[0].weekday, Weekday::Tue);
    }

    #[test]
    fn receipt_rules_are_laid_over_the_defaults_per_purpose() {
        let mut settings = Settings::default();
        apply_text(
            r#"
receipt_tax_system = "usn_income"

[receipt_items.water]
vat = "20"

[receipt_items.court]
vat = "none"
payment_subject = "payment"
payment_mode = "advance"
"#,
            &mut settings,
        )
        .unwrap();
        let rules = &settings.receipt_rules;
        assert_eq!(rules.tax_system, Some(TaxSystem::UsnIncome));
        let defaults = ReceiptRules::default();
        assert_eq!(
            rules.item(PaymentPurpose::Water),
            ReceiptItemRule {
                vat: VatRate::Vat20,
                ..defaults.item(PaymentPurpose::Water)
            }
        );
        assert_eq!(
            rules.item(PaymentPurpose::Court),
            ReceiptItemRule {
                vat: VatRate::None,
                payment_subject: PaymentSubject::Payment,
                payment_mode: PaymentMode::Advance,
            }
        );
        assert_eq!(
            rules.item(PaymentPurpose::Heating),
            defaults.item(PaymentPurpose::Heating)
        );
    }

    #[test]
    fn an_empty_file_keeps_the_defaults() {
        let mut settings = Settings::default();
        apply_text("", &mut settings).unwrap();
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn mistakes_are_one_line_naming_the_key() {
        let error = |text: &str| apply_text(text, &mut Settings::default()).unwrap_err();
        let typo = error("timezone = \"Europe/Moscow\"\nreading_windw = \"15-25\"\n");
        assert!(
            typo.starts_with("line 2: unknown field `reading_windw`"),
            "{typo}"
        );
        assert!(!typo.contains('\n'));
        assert!(error("reading_window = \"25-15\"").starts_with("reading_window: "));
        assert!(error("timezone = \"Mars/Olympus\"").starts_with("timezone: "));
        assert!(
            error(
                "[contact_center]\nhours = [{ days = \"Пн\", opens = \"9\", closes = \"17:00\" }]"
            )
            .starts_with("contact_center.hours.opens: ")
        );
        assert!(
            error("working_hours = [{ weekday = \"mon\", opens = \"18:00\", closes = \"09:00\" }]")
                .starts_with("working_hours: ")
        );
        assert!(error("receipts = \"yes\"").starts_with("line 1: "));
        assert_eq!(
            error("[receipt_items.beer]\nvat = \"20\""),
            "receipt_items: \"beer\": payment purpose must be one of water, temporary_water_supply, court, heating"
        );
        assert!(
            error("[receipt_items.water]\nvat = \"20%\"")
                .starts_with("receipt_items.water.vat: \"20%\" is not one of none, 0, ")
        );
        assert!(
            error("[receipt_items.water]\npayment_mode = \"cash\"")
                .starts_with("receipt_items.water.payment_mode: ")
        );
        assert!(error("[receipt_items.water]\nvat_code = 4").starts_with("line 2: unknown field"));
        assert!(error("receipt_tax_system = \"envd\"").starts_with("receipt_tax_system: "));
    }
}
