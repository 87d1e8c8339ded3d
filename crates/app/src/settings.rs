//! The utility's own texts and rules, as the use cases need them. The server builds them from
//! configuration; `Default` is the Ivanovo Vodokanal with the numbers of `security.md`.

use chrono::{NaiveTime, TimeDelta};
use vodokanal_domain::{CodePolicy, ReadingPolicy, UtilityCalendar, WorkingHours};

use crate::ports::Limit;
use crate::receipts::ReceiptRules;

/// One line of the contact center's hours as the app shows it ("Пн–Пт", 08:30, 18:30).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursLine {
    pub days: String,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// The contact center: address, hours and phones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCenter {
    pub address: String,
    pub hours: Vec<HoursLine>,
    pub phones: Vec<String>,
}

/// The abuse limits of `security.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins per login.
    pub login_failures: Limit,
    /// Failed account links per user.
    pub link_failures_per_user: Limit,
    /// Failed account links per account number, across all users.
    pub link_failures_per_account: Limit,
    /// Codes sent per phone.
    pub sms_per_phone: Limit,
    /// Codes sent per client address.
    pub sms_per_ip: Limit,
    /// SMS queued in all (the hourly budget): past this, codes are refused with 503 and an
    /// error log line.
    pub sms_budget: Limit,
    /// SMS queued in all (the daily budget), counted on the same attempts as the hourly one.
    pub sms_daily_budget: Limit,
}

impl Limits {
    /// The longest window of any limit: an attempt older than this counts for none.
    pub fn longest_window(&self) -> TimeDelta {
        [
            self.login_failures,
            self.link_failures_per_user,
            self.link_failures_per_account,
            self.sms_per_phone,
            self.sms_per_ip,
            self.sms_budget,
            self.sms_daily_budget,
        ]
        .iter()
        .map(|limit| limit.window)
        .max()
        .unwrap_or(TimeDelta::zero())
    }
}

impl Default for Limits {
    fn default() -> Self {
        let day = TimeDelta::hours(24);
        Self {
            login_failures: Limit {
                max: 10,
                window: TimeDelta::minutes(15),
            },
            link_failures_per_user: Limit {
                max: 5,
                window: day,
            },
            link_failures_per_account: Limit {
                max: 5,
                window: day,
            },
            sms_per_phone: Limit {
                max: 5,
                window: day,
            },
            sms_per_ip: Limit {
                max: 20,
                window: TimeDelta::hours(1),
            },
            sms_budget: Limit {
                max: 1000,
                window: TimeDelta::hours(1),
            },
            sms_daily_budget: Limit {
                max: 10_000,
                window: day,
            },
        }
    }
}

/// Everything a use case may need to know about the utility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub calendar: UtilityCalendar,
    pub reading_policy: ReadingPolicy,
    pub code_policy: CodePolicy,
    pub working_hours: WorkingHours,
    pub contact_center: ContactCenter,
    pub readings_help: String,
    pub payments_help: String,
    pub limits: Limits,
    pub session_lifetime: TimeDelta,
    /// Every payment carries a 54-FZ receipt, so an e-mail or phone is required for it.
    pub receipts: bool,
    /// What the receipt says of each payment purpose (VAT, payment subject and mode).
    pub receipt_rules: ReceiptRules,
    /// The server's public base URL, for links such as a payment's return URL.
    pub public_url: String,
}

fn at(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            calendar: UtilityCalendar::default(),
            reading_policy: ReadingPolicy::default(),
            code_policy: CodePolicy::default(),
            working_hours: WorkingHours::default(),
            contact_center: ContactCenter {
                address: "153000, г. Иваново, ул. Рабфаковская, д. 6".into(),
                hours: vec![
                    HoursLine {
                        days: "Пн–Пт".into(),
                        opens: at(8, 30),
                        closes: at(18, 30),
                    },
                    HoursLine {
                        days: "Сб".into(),
                        opens: at(9, 0),
                        closes: at(17, 30),
                    },
                ],
                phones: vec!["+7 (4932) 93-93-93".into()],
            },
            // No dates: the default accepts readings on any day (`reading_window` null); a
            // utility that sets a window says so in its own text.
            readings_help: "Передайте показания счётчиков (ИПУ) в личном кабинете, без \
                регистрации по номеру счётчика или по телефону контактного центра."
                .into(),
            payments_help: "Оплатить можно в личном кабинете или без регистрации по номеру \
                лицевого счёта банковской картой или через СБП. Комиссия не взимается."
                .into(),
            limits: Limits::default(),
            session_lifetime: TimeDelta::days(30),
            receipts: false,
            receipt_rules: ReceiptRules::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
