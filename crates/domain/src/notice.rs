//! Notices: the reminders and news a subscriber gets by e-mail, web push or SMS (issue 17).
//!
//! What is due on a day ([`reading_reminder`], [`verification_reminder`]), what each notice says
//! ([`Notice`]), the channels a subscriber chose per topic ([`NoticePreferences`]) and the
//! quiet hours ([`QuietHours`]). Planning and sending are the use cases'.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountNumber;
use crate::calendar::UtilityCalendar;
use crate::meter::{MeterNumber, MeterService};
use crate::money::{Balance, Money};
use crate::period::Period;
use crate::purpose::PaymentPurpose;
use crate::reading::ReadingWindow;

crate::code_enum! {
    /// What a subscriber chooses channels for, in «Уведомления».
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NoticeTopic {
        Readings => "readings",
        Verification => "verification",
        Payments => "payments",
        Debt => "debt",
    }
    impl FromStr with NoticeTopicError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notice topic must be readings, verification, payments or debt")]
pub struct NoticeTopicError;

impl NoticeTopic {
    /// The title shown in «Уведомления».
    pub const fn title(self) -> &'static str {
        match self {
            Self::Readings => "Передача показаний",
            Self::Verification => "Поверка счетчиков",
            Self::Payments => "Оплата",
            Self::Debt => "Задолженность",
        }
    }
}

crate::code_enum! {
    /// One kind of notice; part of its key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NoticeKind {
        /// The reading window opened and the account's readings of the period are not in.
        ReadingWindowOpens => "reading_window_opens",
        /// Two days before the window closes, the readings still not in.
        ReadingWindowCloses => "reading_window_closes",
        /// A meter's verification is due within 30 days.
        VerificationDueIn30Days => "verification_due_30",
        /// A meter's verification is due within 7 days.
        VerificationDueIn7Days => "verification_due_7",
        PaymentSucceeded => "payment_succeeded",
        /// The registry's debt of an account is above the utility's threshold.
        DebtAboveThreshold => "debt_above_threshold",
        /// The link that verifies the subscriber's e-mail address: e-mail only, whatever the
        /// preferences, and to the address not yet verified.
        EmailVerification => "email_verification",
    }
    impl FromStr with NoticeKindError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown notice kind")]
pub struct NoticeKindError;

impl NoticeKind {
    /// The topic whose channels the subscriber chose; none for the verification link.
    pub const fn topic(self) -> Option<NoticeTopic> {
        match self {
            Self::ReadingWindowOpens | Self::ReadingWindowCloses => Some(NoticeTopic::Readings),
            Self::VerificationDueIn30Days | Self::VerificationDueIn7Days => {
                Some(NoticeTopic::Verification)
            }
            Self::PaymentSucceeded => Some(NoticeTopic::Payments),
            Self::DebtAboveThreshold => Some(NoticeTopic::Debt),
            Self::EmailVerification => None,
        }
    }
}

crate::code_enum! {
    /// A way a notice reaches the subscriber.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Channel {
        Email => "email",
        Push => "push",
        Sms => "sms",
    }
    impl FromStr with ChannelError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel must be email, push or sms")]
pub struct ChannelError;

impl Channel {
    /// Whether the channel wakes the subscriber up: it keeps the quiet hours.
    pub const fn keeps_quiet_hours(self) -> bool {
        matches!(self, Self::Push | Self::Sms)
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Email => 1,
            Self::Push => 2,
            Self::Sms => 4,
        }
    }
}

/// A set of channels.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    pub const NONE: Self = Self(0);
    /// E-mail and push: what every topic starts with. SMS costs the utility money: it is
    /// only ever chosen by the subscriber.
    pub const DEFAULT: Self = Self(Channel::Email.bit() | Channel::Push.bit());

    pub const fn contains(self, channel: Channel) -> bool {
        self.0 & channel.bit() != 0
    }

    #[must_use]
    pub const fn with(self, channel: Channel) -> Self {
        Self(self.0 | channel.bit())
    }

    #[must_use]
    pub const fn without(self, channel: Channel) -> Self {
        Self(self.0 & !channel.bit())
    }

    /// The channels in the order of [`Channel::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    /// The stored form: a bit per channel (e-mail 1, push 2, SMS 4).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// From the stored form; unknown bits are dropped.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits & 7)
    }
}

impl FromIterator<Channel> for Channels {
    fn from_iter<I: IntoIterator<Item = Channel>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The channels a subscriber chose for each topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NoticePreferences {
    by_topic: [Channels; NoticeTopic::ALL.len()],
}

impl Default for NoticePreferences {
    fn default() -> Self {
        Self {
            by_topic: [Channels::DEFAULT; NoticeTopic::ALL.len()],
        }
    }
}

impl NoticePreferences {
    const fn index(topic: NoticeTopic) -> usize {
        match topic {
            NoticeTopic::Readings => 0,
            NoticeTopic::Verification => 1,
            NoticeTopic::Payments => 2,
            NoticeTopic::Debt => 3,
        }
    }

    pub const fn channels(&self, topic: NoticeTopic) -> Channels {
        self.by_topic[Self::index(topic)]
    }

    #[must_use]
    pub const fn with(mut self, topic: NoticeTopic, channels: Channels) -> Self {
        self.by_topic[Self::index(topic)] = channels;
        self
    }
}

/// When push and SMS keep silent: from 21:00 to 9:00 local time. E-mail goes at any hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    from: NaiveTime,
    until: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            from: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            until: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl QuietHours {
    pub fn is_quiet(&self, local: NaiveTime) -> bool {
        if self.from <= self.until {
            self.from <= local && local < self.until
        } else {
            local >= self.from || local < self.until
        }
    }

    /// The first instant from `now` on when `channel` may go: `now` itself, or the end of the
    /// quiet hours `now` falls in.
    pub fn next_allowed(
        &self,
        channel: Channel,
        calendar: &UtilityCalendar,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let local = calendar.local(now);
        if !channel.keeps_quiet_hours() || !self.is_quiet(local.time()) {
            return now;
        }
        let day = if local.time() >= self.until {
            local.date() + TimeDelta::days(1)
        } else {
            local.date()
        };
        // `end_of_day` of the day before is the day's first instant in the utility's zone.
        let midnight = calendar.end_of_day(day - TimeDelta::days(1));
        midnight + (self.until - NaiveTime::MIN)
    }
}

/// Days before a window's last day when the second reminder goes.
pub const CLOSING_REMINDER_DAYS: u32 = 2;

/// Which reading reminder is due `today` for an account whose readings of the period are not
/// all in: «the window opened» from its first day, «it closes soon» from two days before its
/// last day (the day of a short month's end counts as the last). None outside the window, and
/// with no window (readings are taken any day: nothing opens or closes).
pub fn reading_reminder(window: Option<ReadingWindow>, today: NaiveDate) -> Option<NoticeKind> {
    let window = window?;
    if !window.contains(today) {
        return None;
    }
    let last = u32::from(window.to_day()).min(Period::containing(today).last_day().day());
    let closing_from = last
        .saturating_sub(CLOSING_REMINDER_DAYS)
        .max(u32::from(window.from_day()) + 1);
    if today.day() >= closing_from && last > u32::from(window.from_day()) {
        Some(NoticeKind::ReadingWindowCloses)
    } else {
        Some(NoticeKind::ReadingWindowOpens)
    }
}

/// Which verification reminder is due `today` for a meter due on `due`: within 30 days, then
/// within 7; none once the date passed.
pub fn verification_reminder(due: NaiveDate, today: NaiveDate) -> Option<NoticeKind> {
    let days_left = (due - today).num_days();
    match days_left {
        0..=7 => Some(NoticeKind::VerificationDueIn7Days),
        8..=30 => Some(NoticeKind::VerificationDueIn30Days),
        _ => None,
    }
}

/// One notice to one subscriber, as every channel says it. `(kind, subject, period)` with the
/// subscriber is its key: the same notice is never planned twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// What it is about: an account (`100001`), a meter (`100001/ВСХ-1`) or a payment's id.
    pub subject: String,
    /// Which occurrence: the reading period (`2026-12`), the verification date, the registry's
    /// balance date; empty for a payment (one notice a payment).
    pub period: String,
    pub title: String,
    pub body: String,
    /// The web client's path the notice opens (`/#/...`).
    pub url: String,
}

fn date_ru(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

impl Notice {
    /// «Пора передать показания» or «it closes soon», for one account and period.
    pub fn reading_window(
        kind: NoticeKind,
        account: &AccountNumber,
        window: ReadingWindow,
        period: Period,
    ) -> Self {
        let (title, body) = if kind == NoticeKind::ReadingWindowCloses {
            (
                "Осталось два дня, чтобы передать показания".to_owned(),
                format!(
                    "Лицевой счет {account}: показания ИПУ принимаются до {} числа.",
                    window.to_day()
                ),
            )
        } else {
            (
                "Пора передать показания".to_owned(),
                format!(
                    "Лицевой счет {account}: показания ИПУ принимаются с {} по {} число.",
                    window.from_day(),
                    window.to_day()
                ),
            )
        };
        Self {
            kind,
            subject: account.to_string(),
            period: period.to_string(),
            title,
            body,
            url: format!("/#/accounts/{account}/readings"),
        }
    }

    /// A meter's verification is due: names the meter and opens «Сверка ИПУ» with the account
    /// and the meter chosen.
    pub fn verification_due(
        kind: NoticeKind,
        account: &AccountNumber,
        meter: &MeterNumber,
        service: MeterService,
        due: NaiveDate,
    ) -> Self {
        let query: String = form_query(&[("account", account.as_str()), ("meter", meter.as_str())]);
        Self {
            kind,
            subject: format!("{account}/{meter}"),
            period: due.to_string(),
            title: "Скоро поверка счетчика".to_owned(),
            body: format!(
                "Счетчик {meter} ({}), лицевой счет {account}: срок поверки {}. \
                 Запишитесь на «Сверка ИПУ».",
                service.title().to_lowercase(),
                date_ru(due)
            ),
            url: format!("/#/visits/new/meter_verification?{query}"),
        }
    }

    /// A payment succeeded: the amount, the purpose, the account.
    pub fn payment_succeeded(
        payment: &str,
        account: &AccountNumber,
        amount: Money,
        purpose: PaymentPurpose,
    ) -> Self {
        Self {
            kind: NoticeKind::PaymentSucceeded,
            subject: payment.to_owned(),
            period: String::new(),
            title: "Оплата прошла".to_owned(),
            body: format!(
                "{} ₽, {}, лицевой счет {account}.",
                rubles(&amount.to_string()),
                purpose.title()
            ),
            url: "/#/payments".to_owned(),
        }
    }

    /// The link that verifies `email`, asked for at `asked_at` (one notice per request). The
    /// link itself carries a token minted when the mail is sent: no secret is stored.
    pub fn email_verification(email: &crate::Email, asked_at: DateTime<Utc>) -> Self {
        Self {
            kind: NoticeKind::EmailVerification,
            subject: email.to_string(),
            period: asked_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            title: "Подтвердите адрес электронной почты".to_owned(),
            body: "Чтобы получать на этот адрес уведомления и чеки, подтвердите его: \
                   откройте ссылку ниже. Если вы не регистрировались в личном кабинете, \
                   не открывайте ее."
                .to_owned(),
            url: "/#/profile/email".to_owned(),
        }
    }

    /// The registry's debt of an account as of `as_of` is above the utility's threshold.
    pub fn debt_above_threshold(account: &AccountNumber, debt: Balance, as_of: NaiveDate) -> Self {
        Self {
            kind: NoticeKind::DebtAboveThreshold,
            subject: account.to_string(),
            period: as_of.to_string(),
            title: "Задолженность по лицевому счету".to_owned(),
            body: format!(
                "Лицевой счет {account}: задолженность на {} — {} ₽.",
                date_ru(as_of),
                rubles(&debt.to_string())
            ),
            url: format!("/#/accounts/{account}/pay"),
        }
    }
}

/// `1234.50` as `1234,50`: the decimal comma of Russian text.
fn rubles(amount: &str) -> String {
    amount.replace('.', ",")
}

/// `a=1&b=2` with each value percent-encoded (UTF-8), for the client's hash routes.
fn form_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            let encoded: String = value
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{name}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sms_is_chosen_only_by_the_subscriber() {
        let prefs = NoticePreferences::default();
        for topic in NoticeTopic::ALL {
            let channels = prefs.channels(topic);
            assert!(channels.contains(Channel::Email) && channels.contains(Channel::Push));
            assert!(!channels.contains(Channel::Sms), "{topic}");
        }
        let chosen = prefs.with(NoticeTopic::Debt, [Channel::Sms].into_iter().collect());
        assert_eq!(
            chosen
                .channels(NoticeTopic::Debt)
                .iter()
                .collect::<Vec<_>>(),
            [Channel::Sms]
        );
        assert_eq!(chosen.channels(NoticeTopic::Payments), Channels::DEFAULT);
        assert_eq!(
            Channels::from_bits(Channels::DEFAULT.with(Channel::Sms).bits() | 0xF0).bits(),
            7
        );
    }

    #[test]
    fn quiet_hours_run_from_nine_in_the_evening_to_nine_in_the_morning() {
        let quiet = QuietHours::default();
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        for (time, expected) in [
            (at(8, 59), true),
            (at(9, 0), false),
            (at(20, 59), false),
            (at(21, 0), true),
            (at(0, 0), true),
        ] {
            assert_eq!(quiet.is_quiet(time), expected, "{time}");
        }
    }

    #[test]
    fn push_and_sms_wait_for_nine_local_email_goes_at_once() {
        let quiet = QuietHours::default();
        let moscow = UtilityCalendar::default();
        // 22:30 in Moscow (UTC+3) waits for 9:00 the next morning, 06:00 UTC.
        let evening = utc("2026-12-07T19:30:00Z");
        assert_eq!(
            quiet.next_allowed(Channel::Push, &moscow, evening),
            utc("2026-12-08T06:00:00Z")
        );
        assert_eq!(
            quiet.next_allowed(Channel::Sms, &moscow, evening),
            utc("2026-12-08T06:00:00Z")
        );
        assert_eq!(
            quiet.next_allowed(Channel::Email, &moscow, evening),
            evening
        );
        // 03:00 waits for 9:00 the same day; 12:00 goes at once.
        let night = utc("2026-12-08T00:00:00Z");
        assert_eq!(
            quiet.next_allowed(Channel::Push, &moscow, night),
            utc("2026-12-08T06:00:00Z")
        );
        let noon = utc("2026-12-08T09:00:00Z");
        assert_eq!(quiet.next_allowed(Channel::Push, &moscow, noon), noon);
    }

    #[test]
    fn reading_reminders_open_with_the_window_and_repeat_two_days_before_it_closes() {
        let window: ReadingWindow = "15-25".parse().unwrap();
        let expected = [
            ("2026-12-14", None),
            ("2026-12-15", Some(NoticeKind::ReadingWindowOpens)),
            ("2026-12-22", Some(NoticeKind::ReadingWindowOpens)),
            ("2026-12-23", Some(NoticeKind::ReadingWindowCloses)),
            ("2026-12-25", Some(NoticeKind::ReadingWindowCloses)),
            ("2026-12-26", None),
        ];
        for (today, kind) in expected {
            assert_eq!(reading_reminder(Some(window), date(today)), kind, "{today}");
        }
        assert_eq!(reading_reminder(None, date("2026-12-15")), None);
        // A window to the 31st closes with February's 28th: the reminder from the 26th.
        let long: ReadingWindow = "20-31".parse().unwrap();
        assert_eq!(
            reading_reminder(Some(long), date("2027-02-25")),
            Some(NoticeKind::ReadingWindowOpens)
        );
        assert_eq!(
            reading_reminder(Some(long), date("2027-02-26")),
            Some(NoticeKind::ReadingWindowCloses)
        );
        // A one-day window only opens.
        let day: ReadingWindow = "20-20".parse().unwrap();
        assert_eq!(
            reading_reminder(Some(day), date("2026-12-20")),
            Some(NoticeKind::ReadingWindowOpens)
        );
        // A two-day window opens on its first day and warns on its second.
        let two: ReadingWindow = "20-21".parse().unwrap();
        assert_eq!(
            reading_reminder(Some(two), date("2026-12-21")),
            Some(NoticeKind::ReadingWindowCloses)
        );
    }

    #[test]
    fn verification_reminders_come_thirty_and_seven_days_ahead() {
        let due = date("2027-01-31");
        let expected = [
            ("2026-12-31", None),
            ("2027-01-01", Some(NoticeKind::VerificationDueIn30Days)),
            ("2027-01-23", Some(NoticeKind::VerificationDueIn30Days)),
            ("2027-01-24", Some(NoticeKind::VerificationDueIn7Days)),
            ("2027-01-31", Some(NoticeKind::VerificationDueIn7Days)),
            ("2027-02-01", None),
        ];
        for (today, kind) in expected {
            assert_eq!(verification_reminder(due, date(today)), kind, "{today}");
        }
    }

    #[test]
    fn a_verification_notice_names_the_meter_and_opens_the_filled_form() {
        let notice = Notice::verification_due(
            NoticeKind::VerificationDueIn30Days,
            &"100001".parse().unwrap(),
            &"ВСХ-1 2".parse().unwrap(),
            MeterService::ColdWater,
            date("2027-01-31"),
        );
        assert_eq!(notice.subject, "100001/ВСХ-12");
        assert_eq!(notice.period, "2027-01-31");
        assert!(
            notice.body.contains("Счетчик ВСХ-12 (холодная вода)"),
            "{}",
            notice.body
        );
        assert!(notice.body.contains("31.01.2027"), "{}", notice.body);
        assert_eq!(
            notice.url,
            "/#/visits/new/meter_verification?account=100001&meter=%D0%92%D0%A1%D0%A5-12"
        );
    }

    #[test]
    fn payment_and_debt_notices_say_the_amount_in_roubles() {
        let account: AccountNumber = "100001".parse().unwrap();
        let paid = Notice::payment_succeeded(
            "7d1c",
            &account,
            Money::from_kopecks(123_450).unwrap(),
            PaymentPurpose::Water,
        );
        assert_eq!(paid.body, "1234,50 ₽, Вода, лицевой счет 100001.");
        let debt = Notice::debt_above_threshold(
            &account,
            Balance::from_kopecks(500_000).unwrap(),
            date("2026-12-01"),
        );
        assert_eq!(debt.period, "2026-12-01");
        assert_eq!(
            debt.body,
            "Лицевой счет 100001: задолженность на 01.12.2026 — 5000,00 ₽."
        );
        let window: ReadingWindow = "15-25".parse().unwrap();
        let opens = Notice::reading_window(
            NoticeKind::ReadingWindowOpens,
            &account,
            window,
            Period::containing(date("2026-12-15")),
        );
        assert_eq!(opens.title, "Пора передать показания");
        assert_eq!(opens.period, "2026-12");
        assert_eq!(opens.url, "/#/accounts/100001/readings");
    }
}
