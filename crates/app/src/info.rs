//! GET `/info`: what anyone sees without registering: the contact center, the payment
//! purposes, the help texts, the reading window, the utility's time zone and its bank details
//! when payment QR codes are on. Settings only:
//! no ports, no errors.

use vodokanal_domain::{Payee, PaymentPurpose, ReadingWindow};

use crate::Settings;
use crate::settings::ContactCenter;

/// The contract's `/info` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoView {
    pub contact_center: ContactCenter,
    /// Every purpose, in the order the app lists them.
    pub payment_purposes: Vec<PaymentPurpose>,
    pub readings_help: String,
    pub payments_help: String,
    /// Days of the month when readings are taken; `None`: any day.
    pub reading_window: Option<ReadingWindow>,
    /// The IANA name of the utility's time zone, in which clients show dates and times.
    pub timezone: String,
    /// The utility's bank details when payment QR codes are on: they are on every paper bill.
    pub payment_qr: Option<Payee>,
}

/// The `/info` use case: a view of the settings.
#[derive(Debug, Clone)]
pub struct Info {
    view: InfoView,
}

impl Info {
    pub fn new(settings: &Settings) -> Self {
        Self {
            view: InfoView {
                contact_center: settings.contact_center.clone(),
                payment_purposes: PaymentPurpose::ALL.to_vec(),
                readings_help: settings.readings_help.clone(),
                payments_help: settings.payments_help.clone(),
                reading_window: settings.reading_policy.window,
                timezone: settings.calendar.time_zone().name().to_owned(),
                payment_qr: settings.payee.clone(),
            },
        }
    }

    pub fn execute(&self) -> InfoView {
        self.view.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_purposes_come_in_the_contracts_order() {
        let codes: Vec<&str> = Info::new(&Settings::default())
            .execute()
            .payment_purposes
            .into_iter()
            .map(PaymentPurpose::code)
            .collect();
        assert_eq!(
            codes,
            ["water", "temporary_water_supply", "court", "heating"]
        );
    }

    #[test]
    fn the_settings_texts_and_window_are_shown() {
        let mut settings = Settings::default();
        settings.reading_policy.window = Some("15-25".parse().unwrap());
        settings.readings_help = "Показания с 15 по 25".into();
        let info = Info::new(&settings).execute();
        assert_eq!(
            info.reading_window.map(|w| w.to_string()).as_deref(),
            Some("15-25")
        );
        assert_eq!(info.readings_help, "Показания с 15 по 25");
        assert_eq!(info.payments_help, settings.payments_help);
        assert_eq!(info.contact_center, settings.contact_center);
        assert_eq!(info.timezone, "Europe/Moscow");
    }

    #[test]
    fn the_bank_details_are_shown_only_when_qr_codes_are_on() {
        assert_eq!(Info::new(&Settings::default()).execute().payment_qr, None);
        let settings = Settings {
            payee: Some(crate::payments::qr::tests::payee()),
            ..Settings::default()
        };
        assert_eq!(Info::new(&settings).execute().payment_qr, settings.payee);
    }

    #[test]
    fn without_a_window_none_is_shown() {
        assert_eq!(
            Info::new(&Settings::default()).execute().reading_window,
            None
        );
    }
}
