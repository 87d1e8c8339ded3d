//! Meter readings (показания): the value, the rules a new reading must pass, and the reading
//! as it is kept.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountNumber;
use crate::full_name::FullName;
use crate::ids::{ReadingId, UserId};
use crate::meter::MeterNumber;
use crate::period::Period;
use crate::phone::Phone;

/// Readings are below 1 000 000 m³, i.e. below 10^9 litres.
const LIMIT_LITRES: u64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingValueError {
    #[error("reading is empty")]
    Empty,
    #[error("reading is not a number of cubic metres with at most three decimals")]
    Malformed,
    #[error("reading must be below 1000000 cubic metres")]
    TooLarge,
}

/// A meter reading in cubic metres with three decimals, kept as whole litres:
/// `0 <= value < 1 000 000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReadingValue(u64);

impl ReadingValue {
    pub const ZERO: Self = Self(0);

    pub fn from_litres(litres: u64) -> Result<Self, ReadingValueError> {
        if litres < LIMIT_LITRES {
            Ok(Self(litres))
        } else {
            Err(ReadingValueError::TooLarge)
        }
    }

    pub fn litres(self) -> u64 {
        self.0
    }

    /// How much was used since `earlier`; `None` when `earlier` is larger.
    pub fn since(self, earlier: Self) -> Option<Self> {
        self.0.checked_sub(earlier.0).map(Self)
    }
}

impl FromStr for ReadingValue {
    type Err = ReadingValueError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        if text.is_empty() {
            return Err(ReadingValueError::Empty);
        }
        let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > 3
            || (text.len() > whole.len() && fraction.is_empty())
        {
            return Err(ReadingValueError::Malformed);
        }
        let significant = whole.trim_start_matches('0');
        if significant.len() > 6 {
            return Err(ReadingValueError::TooLarge);
        }
        let cubic_metres: u64 = if significant.is_empty() {
            0
        } else {
            significant
                .parse()
                .map_err(|_| ReadingValueError::Malformed)?
        };
        let mut litres_text = fraction.to_owned();
        while litres_text.len() < 3 {
            litres_text.push('0');
        }
        let litres: u64 = litres_text
            .parse()
            .map_err(|_| ReadingValueError::Malformed)?;
        Self::from_litres(cubic_metres * 1000 + litres)
    }
}

impl TryFrom<String> for ReadingValue {
    type Error = ReadingValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ReadingValue> for String {
    fn from(value: ReadingValue) -> Self {
        value.to_string()
    }
}

impl fmt::Display for ReadingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingWindowError {
    #[error("reading window must be written FROM-TO, e.g. 15-25")]
    Malformed,
    #[error("reading window days must be 1..=31 with FROM not after TO")]
    OutOfRange,
}

/// The days of the month when readings are taken (e.g. `15-25`), both inclusive. A window that
/// ends past the last day of a short month ends with that month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadingWindow {
    from_day: u8,
    to_day: u8,
}

impl ReadingWindow {
    pub fn new(from_day: u8, to_day: u8) -> Result<Self, ReadingWindowError> {
        if (1..=31).contains(&from_day) && (1..=31).contains(&to_day) && from_day <= to_day {
            Ok(Self { from_day, to_day })
        } else {
            Err(ReadingWindowError::OutOfRange)
        }
    }

    pub fn from_day(self) -> u8 {
        self.from_day
    }

    pub fn to_day(self) -> u8 {
        self.to_day
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        let day = date.day();
        day >= u32::from(self.from_day) && day <= u32::from(self.to_day)
    }
}

impl FromStr for ReadingWindow {
    type Err = ReadingWindowError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (from, to) = input
            .trim()
            .split_once('-')
            .ok_or(ReadingWindowError::Malformed)?;
        let from: u8 = from
            .trim()
            .parse()
            .map_err(|_| ReadingWindowError::Malformed)?;
        let to: u8 = to
            .trim()
            .parse()
            .map_err(|_| ReadingWindowError::Malformed)?;
        Self::new(from, to)
    }
}

impl fmt::Display for ReadingWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.from_day, self.to_day)
    }
}

crate::code_enum! {
    /// Where a reading came from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ReadingSource {
        /// A subscriber in the cabinet.
        Cabinet => "cabinet",
        /// Anyone, without registration.
        Anonymous => "anonymous",
        /// The billing system's registry (the meter's last reading it knows).
        Registry => "registry",
    }
}

impl ReadingSource {
    /// Whether a new reading from `self` replaces `existing`, the live reading of the same
    /// meter and period. A subscriber's own word stands: an anonymous reading never replaces a
    /// cabinet one, and the registry never replaces a subscriber's (cabinet or anonymous); a
    /// cabinet reading replaces any. The stores apply this rule in the write itself.
    pub const fn replaces(self, existing: Self) -> bool {
        !matches!(
            (self, existing),
            (Self::Anonymous, Self::Cabinet) | (Self::Registry, Self::Cabinet | Self::Anonymous)
        )
    }
}

crate::code_enum! {
    /// A reading accepted with a remark for the subscriber.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ReadingWarning {
        /// The consumption since the previous reading is above the configured threshold.
        ConsumptionUnusuallyHigh => "consumption_unusually_high",
    }
}

/// Why a reading is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingRejected {
    #[error("reading {value} is below the previous reading {previous}")]
    BelowPrevious {
        value: ReadingValue,
        previous: ReadingValue,
    },
    #[error("readings are taken from day {} to day {} of the month", window.from_day, window.to_day)]
    WindowClosed { window: ReadingWindow },
}

/// An anonymous reading whose consumption is above the hard cap
/// ([`ReadingPolicy::anonymous_cap`]); from the cabinet the same value is only a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("consumption {consumption} is above the cap {cap} for anonymous readings")]
pub struct Implausible {
    pub consumption: ReadingValue,
    pub cap: ReadingValue,
}

/// What the rules found about an acceptable reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub previous: Option<ReadingValue>,
    pub consumption: Option<ReadingValue>,
    pub warnings: Vec<ReadingWarning>,
}

/// How many times the warning threshold an anonymous consumption may reach by default.
pub const ANONYMOUS_CAP_FACTOR: u64 = 3;

/// The utility's rules for new readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadingPolicy {
    /// Consumption since the previous reading above which the reading carries a warning.
    pub high_consumption: ReadingValue,
    /// Days of the month when readings are taken; `None`: any day.
    pub window: Option<ReadingWindow>,
    /// Consumption above which an anonymous reading is refused; `None`:
    /// [`ANONYMOUS_CAP_FACTOR`] times `high_consumption` (see [`Self::anonymous_cap`]).
    pub anonymous_cap: Option<ReadingValue>,
}

impl Default for ReadingPolicy {
    /// 30 m³ a month: three times what a family of four uses.
    fn default() -> Self {
        Self {
            high_consumption: ReadingValue(30_000),
            window: None,
            anonymous_cap: None,
        }
    }
}

impl ReadingPolicy {
    /// The hard cap on an anonymous reading's consumption: the one set, or three times the
    /// warning threshold (at most the largest reading).
    pub fn anonymous_cap(&self) -> ReadingValue {
        self.anonymous_cap.unwrap_or_else(|| {
            ReadingValue(
                self.high_consumption
                    .0
                    .saturating_mul(ANONYMOUS_CAP_FACTOR)
                    .min(LIMIT_LITRES - 1),
            )
        })
    }

    /// The stranger's rule, on top of [`Self::assess`]: an anonymous reading whose
    /// `consumption` is above [`Self::anonymous_cap`] is refused, so that no one poisons the
    /// base of a meter's next readings. A first reading has no consumption, so no cap.
    pub fn check_anonymous(&self, consumption: Option<ReadingValue>) -> Result<(), Implausible> {
        let cap = self.anonymous_cap();
        match consumption {
            Some(consumption) if consumption > cap => Err(Implausible { consumption, cap }),
            _ => Ok(()),
        }
    }

    /// Checks a new reading submitted on local date `today`. `previous` is the meter's last
    /// live reading of an earlier period (a reading of the same period is replaced, not
    /// compared).
    pub fn assess(
        &self,
        today: NaiveDate,
        value: ReadingValue,
        previous: Option<ReadingValue>,
    ) -> Result<Assessment, ReadingRejected> {
        if let Some(window) = self.window
            && !window.contains(today)
        {
            return Err(ReadingRejected::WindowClosed { window });
        }
        let Some(previous_value) = previous else {
            return Ok(Assessment {
                previous: None,
                consumption: None,
                warnings: Vec::new(),
            });
        };
        let consumption = value
            .since(previous_value)
            .ok_or(ReadingRejected::BelowPrevious {
                value,
                previous: previous_value,
            })?;
        let warnings = if consumption > self.high_consumption {
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        } else {
            Vec::new()
        };
        Ok(Assessment {
            previous,
            consumption: Some(consumption),
            warnings,
        })
    }
}

/// Who gave a reading without registering: kept for the billing system's export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymousSubmitter {
    pub full_name: FullName,
    pub phone: Phone,
}

pub const VOID_REASON_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoidReasonError {
    #[error("the reason is empty")]
    Empty,
    #[error("the reason must be at most {VOID_REASON_MAX_CHARS} characters long")]
    TooLong,
}

/// Why the operator voided a reading: non-empty, trimmed, one line of at most 500 characters
/// (control characters become spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidReason(String);

crate::value::text_value!(VoidReason, VoidReasonError);

impl FromStr for VoidReason {
    type Err = VoidReasonError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let cleaned: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_owned();
        if cleaned.is_empty() {
            return Err(VoidReasonError::Empty);
        }
        if cleaned.chars().count() > VOID_REASON_MAX_CHARS {
            return Err(VoidReasonError::TooLong);
        }
        Ok(Self(cleaned))
    }
}

/// The operator's void of a reading: kept, but no longer a base for the next reading's checks,
/// nor exported, and its slot of the period is free again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voided {
    pub at: DateTime<Utc>,
    pub reason: VoidReason,
}

/// A reading as it is kept: one live reading per meter and period, and any number of voided
/// ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub id: ReadingId,
    pub account_number: AccountNumber,
    pub meter_number: MeterNumber,
    pub value: ReadingValue,
    pub previous_value: Option<ReadingValue>,
    pub consumption: Option<ReadingValue>,
    pub period: Period,
    pub submitted_at: DateTime<Utc>,
    pub source: ReadingSource,
    pub warnings: Vec<ReadingWarning>,
    /// The subscriber who gave it from the cabinet; `None` once the profile is deleted.
    pub user_id: Option<UserId>,
    /// The name and phone given with an anonymous reading.
    pub submitter: Option<AnonymousSubmitter>,
    /// Set when the operator voided it.
    pub voided: Option<Voided>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(s: &str) -> ReadingValue {
        s.parse().unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, d).unwrap()
    }

    #[test]
    fn parses_fixed_point_cubic_metres() {
        let cases = [
            ("123.456", 123_456),
            ("123.4", 123_400),
            ("123", 123_000),
            ("0", 0),
            ("0.001", 1),
            ("12,5", 12_500),
            ("000123.000", 123_000),
            ("999999.999", 999_999_999),
        ];
        for (input, litres) in cases {
            assert_eq!(value(input).litres(), litres, "{input}");
        }
        assert_eq!(value("5.5").to_string(), "5.500");
    }

    #[test]
    fn refuses_bad_values() {
        let cases = [
            ("", ReadingValueError::Empty),
            ("-1", ReadingValueError::Malformed),
            ("1.2345", ReadingValueError::Malformed),
            ("1.", ReadingValueError::Malformed),
            ("abc", ReadingValueError::Malformed),
            ("1e5", ReadingValueError::Malformed),
            ("1000000", ReadingValueError::TooLarge),
            ("1000000.000", ReadingValueError::TooLarge),
            ("99999999999999999999999", ReadingValueError::TooLarge),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<ReadingValue>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn a_reading_below_the_previous_is_refused() {
        let policy = ReadingPolicy::default();
        let refused = policy.assess(day(10), value("99.999"), Some(value("100")));
        assert_eq!(
            refused,
            Err(ReadingRejected::BelowPrevious {
                value: value("99.999"),
                previous: value("100")
            })
        );
        let equal = policy
            .assess(day(10), value("100"), Some(value("100")))
            .unwrap();
        assert_eq!(equal.consumption, Some(ReadingValue::ZERO));
    }

    #[test]
    fn consumption_and_high_consumption_warning() {
        let policy = ReadingPolicy::default();
        let normal = policy
            .assess(day(10), value("112.5"), Some(value("100")))
            .unwrap();
        assert_eq!(normal.consumption, Some(value("12.5")));
        assert_eq!(normal.previous, Some(value("100")));
        assert!(normal.warnings.is_empty());
        let at_threshold = policy
            .assess(day(10), value("130"), Some(value("100")))
            .unwrap();
        assert!(at_threshold.warnings.is_empty());
        let high = policy
            .assess(day(10), value("130.001"), Some(value("100")))
            .unwrap();
        assert_eq!(
            high.warnings,
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        );
    }

    #[test]
    fn an_anonymous_consumption_above_the_cap_is_refused_and_a_cabinet_one_warned() {
        let policy = ReadingPolicy::default();
        assert_eq!(policy.anonymous_cap(), value("90"));
        let at_cap = policy
            .assess(day(10), value("190"), Some(value("100")))
            .unwrap();
        assert_eq!(
            at_cap.warnings,
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        );
        assert_eq!(policy.check_anonymous(at_cap.consumption), Ok(()));
        let poison = policy
            .assess(day(10), value("999999.999"), Some(value("100")))
            .unwrap();
        assert_eq!(
            poison.warnings,
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        );
        assert_eq!(
            policy.check_anonymous(poison.consumption),
            Err(Implausible {
                consumption: value("999899.999"),
                cap: value("90"),
            })
        );
        assert!(policy.check_anonymous(Some(value("90.001"))).is_err());
        assert_eq!(policy.check_anonymous(None), Ok(()));
    }

    #[test]
    fn the_cap_follows_the_threshold_unless_set() {
        let mut policy = ReadingPolicy {
            high_consumption: value("50"),
            ..ReadingPolicy::default()
        };
        assert_eq!(policy.anonymous_cap(), value("150"));
        policy.high_consumption = value("999999");
        assert_eq!(policy.anonymous_cap(), value("999999.999"));
        policy.anonymous_cap = Some(value("20"));
        assert!(policy.check_anonymous(Some(value("20.001"))).is_err());
        assert!(policy.check_anonymous(Some(value("20"))).is_ok());
    }

    #[test]
    fn a_subscribers_reading_is_replaced_only_by_a_subscriber() {
        use ReadingSource::{Anonymous, Cabinet, Registry};
        let allowed = [
            (Cabinet, Cabinet, true),
            (Cabinet, Anonymous, true),
            (Cabinet, Registry, true),
            (Anonymous, Cabinet, false),
            (Anonymous, Anonymous, true),
            (Anonymous, Registry, true),
            (Registry, Cabinet, false),
            (Registry, Anonymous, false),
            (Registry, Registry, true),
        ];
        for (new, existing, replaces) in allowed {
            assert_eq!(
                new.replaces(existing),
                replaces,
                "{new:?} over {existing:?}"
            );
        }
    }

    #[test]
    fn void_reasons_are_one_trimmed_line() {
        let reason: VoidReason = "  чужое показание\n(звонок абонента)\t".parse().unwrap();
        assert_eq!(reason.as_str(), "чужое показание (звонок абонента)");
        assert_eq!(" \n ".parse::<VoidReason>(), Err(VoidReasonError::Empty));
        assert_eq!(
            "я".repeat(501).parse::<VoidReason>(),
            Err(VoidReasonError::TooLong)
        );
        assert!("я".repeat(500).parse::<VoidReason>().is_ok());
    }

    #[test]
    fn a_first_reading_has_no_consumption() {
        let first = ReadingPolicy::default()
            .assess(day(1), value("5"), None)
            .unwrap();
        assert_eq!(
            first,
            Assessment {
                previous: None,
                consumption: None,
                warnings: vec![]
            }
        );
    }

    #[test]
    fn the_window_refuses_days_outside_it() {
        let window: ReadingWindow = "15-25".parse().unwrap();
        let policy = ReadingPolicy {
            window: Some(window),
            ..ReadingPolicy::default()
        };
        assert!(policy.assess(day(15), value("1"), None).is_ok());
        assert!(policy.assess(day(25), value("1"), None).is_ok());
        assert_eq!(
            policy.assess(day(14), value("1"), None),
            Err(ReadingRejected::WindowClosed { window })
        );
        assert!(policy.assess(day(26), value("1"), None).is_err());
        let to_month_end: ReadingWindow = "20-31".parse().unwrap();
        assert!(to_month_end.contains(day(28)));
    }

    #[test]
    fn windows_parse() {
        assert_eq!(
            "15-25".parse::<ReadingWindow>().unwrap().to_string(),
            "15-25"
        );
        assert_eq!(" 1 - 31 ".parse::<ReadingWindow>().unwrap().to_day(), 31);
        for (input, expected) in [
            ("15", ReadingWindowError::Malformed),
            ("a-b", ReadingWindowError::Malformed),
            ("0-10", ReadingWindowError::OutOfRange),
            ("20-10", ReadingWindowError::OutOfRange),
            ("1-32", ReadingWindowError::OutOfRange),
        ] {
            assert_eq!(input.parse::<ReadingWindow>(), Err(expected), "{input}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for source in [
            ReadingSource::Cabinet,
            ReadingSource::Anonymous,
            ReadingSource::Registry,
        ] {
            assert_eq!(ReadingSource::from_code(source.code()), Some(source));
        }
        let warning = ReadingWarning::ConsumptionUnusuallyHigh;
        assert_eq!(ReadingWarning::from_code(warning.code()), Some(warning));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<ReadingValue>();
            let _ = s.parse::<ReadingWindow>();
        }

        #[test]
        fn what_formats_parses_back(litres in 0..LIMIT_LITRES) {
            let v = ReadingValue::from_litres(litres).unwrap();
            prop_assert_eq!(v.to_string().parse::<ReadingValue>().unwrap(), v);
        }

        #[test]
        fn never_below_previous(previous in 0..LIMIT_LITRES, current in 0..LIMIT_LITRES) {
            let outcome = ReadingPolicy::default().assess(
                day(1),
                ReadingValue::from_litres(current).unwrap(),
                Some(ReadingValue::from_litres(previous).unwrap()),
            );
            prop_assert_eq!(outcome.is_ok(), current >= previous);
        }
    }
}
