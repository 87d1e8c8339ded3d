//! The utility's own texts and rules, as the use cases need them. The server builds them from
//! configuration; `Default` is the Ivanovo Vodokanal as its app's guide gives it
//! (`docs/screens.md`), with the numbers of `security.md`.

use chrono::{NaiveTime, TimeDelta};
use vodokanal_domain::{
    Balance, CodePolicy, Payee, QuietHours, ReadingPolicy, UtilityCalendar, WorkingHours,
};

use crate::auth::secrets::CodeKey;
use crate::notices::PushHosts;
use crate::ports::Limit;
use crate::receipts::ReceiptRules;

/// One line of the contact center's hours as the app shows it ("Пн-Пт", 08:30, 18:30).
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

/// The notices' rules beyond the calendar and the reading window (docs/notices.md).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticePolicy {
    /// A registry debt above this is announced; none: no debt notices.
    pub debt_threshold: Option<Balance>,
    /// The push services' hosts the server posts to.
    pub push_hosts: PushHosts,
    /// When push and SMS keep silent.
    pub quiet_hours: QuietHours,
}

/// The abuse limits of `security.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins per user (by phone or e-mail alike), or per login that names no user.
    pub login_failures: Limit,
    /// Failed logins per client network (password spraying).
    pub login_failures_per_network: Limit,
    /// Failed account links per user.
    pub link_failures_per_user: Limit,
    /// Failed account links per account number, across all users.
    pub link_failures_per_account: Limit,
    /// Codes sent per phone.
    pub sms_per_phone: Limit,
    /// Codes sent per client address.
    pub sms_per_ip: Limit,
    /// SMS queued in all (the hourly budget): past this, codes are refused (the service is
    /// unavailable to them) with an error log line.
    pub sms_budget: Limit,
    /// Anonymous readings per meter, refused ones counted.
    pub anonymous_readings_per_meter: Limit,
    /// Anonymous readings per client network, those of unknown meters counted.
    pub anonymous_readings_per_network: Limit,
    /// Anonymous payments started per client network.
    pub anonymous_payments_per_network: Limit,
    /// SMS queued in all (the daily budget), counted on the same attempts as the hourly one.
    pub sms_daily_budget: Limit,
    /// Anonymous payment QR codes per client network, those of unknown accounts counted.
    pub anonymous_payment_qr_per_network: Limit,
}

impl Limits {
    /// The longest window of any limit: an attempt older than this counts for none.
    pub fn longest_window(&self) -> TimeDelta {
        [
            self.login_failures,
            self.login_failures_per_network,
            self.link_failures_per_user,
            self.link_failures_per_account,
            self.sms_per_phone,
            self.sms_per_ip,
            self.sms_budget,
            self.anonymous_readings_per_meter,
            self.anonymous_readings_per_network,
            self.anonymous_payments_per_network,
            self.sms_daily_budget,
            self.anonymous_payment_qr_per_network,
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
            login_failures_per_network: Limit {
                max: 30,
                window: TimeDelta::hours(1),
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
            anonymous_readings_per_meter: Limit {
                max: 3,
                window: day,
            },
            anonymous_readings_per_network: Limit {
                max: 20,
                window: TimeDelta::hours(1),
            },
            anonymous_payments_per_network: Limit {
                max: 20,
                window: TimeDelta::hours(1),
            },
            sms_daily_budget: Limit {
                max: 10_000,
                window: day,
            },
            anonymous_payment_qr_per_network: Limit {
                max: 20,
                window: TimeDelta::hours(1),
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
    /// How long an `Idempotency-Key` claim without an answer holds before a retry takes it
    /// over: at least the request timeout.
    pub idempotency_lease: TimeDelta,
    /// Every payment carries a 54-FZ receipt, so an e-mail or phone is required for it.
    pub receipts: bool,
    /// What the receipt says of each payment purpose (VAT, payment subject and mode).
    pub receipt_rules: ReceiptRules,
    /// The server's public base URL, for links such as a payment's return URL.
    pub public_url: String,
    /// The key of the one-time codes' HMAC, from the server secret. The default is publicly
    /// known: `serve` replaces it.
    pub code_key: CodeKey,
    pub notices: NoticePolicy,
    /// The utility's bank details for payment QR codes; none: no QR codes.
    pub payee: Option<Payee>,
}

impl Settings {
    /// The host of [`Settings::public_url`], without scheme, port or path (`127.0.0.1`,
    /// `cabinet.vodokanal.ru`, `[::1]`): the domain part of the calendar files' UIDs.
    pub fn public_host(&self) -> &str {
        let rest = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, rest)| rest);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        if host.starts_with('[') {
            host.split_once(']')
                .map_or(host, |(inside, _)| &host[..=inside.len()])
        } else {
            host.split(':').next().unwrap_or_default()
        }
    }
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
                // Word for word from the app's guide ("Контактный центр").
                address: "Ленинский район, Иваново, 153038, Строителей проспект, 4а".into(),
                hours: vec![
                    HoursLine {
                        days: "Пн-Пт".into(),
                        opens: at(8, 30),
                        closes: at(18, 30),
                    },
                    HoursLine {
                        days: "Сб".into(),
                        opens: at(9, 0),
                        closes: at(17, 30),
                    },
                ],
                phones: vec!["+7 (4932) 93-01-08".into(), "+7 (4932) 56-13-30".into()],
            },
            // Only what this server itself offers: the guide names no other way to submit or
            // to pay, no dates and no fees, so the default promises none (a utility that has
            // them says so in its own text). No dates: the default window is open.
            readings_help: "Показания приборов учета (ИПУ) можно передать в личном кабинете \
                или без регистрации, по номеру ИПУ."
                .into(),
            payments_help: "Оплатить можно в личном кабинете или без регистрации, по номеру \
                лицевого счета."
                .into(),
            limits: Limits::default(),
            session_lifetime: TimeDelta::days(30),
            idempotency_lease: TimeDelta::seconds(60),
            receipts: false,
            receipt_rules: ReceiptRules::default(),
            public_url: "http://127.0.0.1:8080".into(),
            code_key: CodeKey::insecure_default(),
            notices: NoticePolicy::default(),
            payee: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_host_is_the_url_without_scheme_port_or_path() {
        for (url, host) in [
            ("http://127.0.0.1:8080", "127.0.0.1"),
            ("https://cabinet.vodokanal.ru/", "cabinet.vodokanal.ru"),
            (
                "https://cabinet.vodokanal.ru/lk?x=1",
                "cabinet.vodokanal.ru",
            ),
            ("http://[::1]:8080/", "[::1]"),
            ("cabinet.example", "cabinet.example"),
        ] {
            let settings = Settings {
                public_url: url.into(),
                ..Settings::default()
            };
            assert_eq!(settings.public_host(), host, "{url}");
        }
    }
}
