//! The utility's calendar: its time zone decides what "today" and the current reading period
//! are. The instant itself always comes from outside (the clock port).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::period::Period;

/// The utility's local time zone (default `Europe/Moscow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtilityCalendar {
    tz: Tz,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}; use an IANA name such as Europe/Moscow")]
pub struct UnknownTimeZone(pub String);

impl UtilityCalendar {
    pub const fn new(tz: Tz) -> Self {
        Self { tz }
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Local wall-clock time at `now`.
    pub fn local(&self, now: DateTime<Utc>) -> NaiveDateTime {
        now.with_timezone(&self.tz).naive_local()
    }

    /// The local date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local(now).date()
    }

    /// The reading period at `now`.
    pub fn period(&self, now: DateTime<Utc>) -> Period {
        Period::containing(self.today(now))
    }

    /// The instant the local day after `date` begins, i.e. the end of `date`.
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let next = date
            .succ_opt()
            .unwrap_or(date)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        self.tz
            .from_local_datetime(&next)
            .earliest()
            .map_or_else(|| next.and_utc(), |local| local.with_timezone(&Utc))
    }
}

impl Default for UtilityCalendar {
    fn default() -> Self {
        Self::new(chrono_tz::Europe::Moscow)
    }
}

impl FromStr for UtilityCalendar {
    type Err = UnknownTimeZone;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        name.trim()
            .parse::<Tz>()
            .map(Self::new)
            .map_err(|_| UnknownTimeZone(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn moscow_decides_today_and_the_period() {
        let calendar = UtilityCalendar::default();
        // 22:30 UTC on 31 October is already 1 November in Moscow.
        let now = utc("2026-10-31T22:30:00Z");
        assert_eq!(
            calendar.today(now),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        assert_eq!(calendar.period(now).to_string(), "2026-11");
        let yekaterinburg: UtilityCalendar = "Asia/Yekaterinburg".parse().unwrap();
        assert_eq!(
            yekaterinburg
                .period(utc("2026-10-31T18:59:00Z"))
                .to_string(),
            "2026-10"
        );
        assert_eq!(
            yekaterinburg
                .period(utc("2026-10-31T19:00:00Z"))
                .to_string(),
            "2026-11"
        );
    }

    #[test]
    fn end_of_day_is_local_midnight() {
        let calendar = UtilityCalendar::default();
        let date = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        assert_eq!(calendar.end_of_day(date), utc("2026-10-31T21:00:00Z"));
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!("Mars/Olympus".parse::<UtilityCalendar>().is_err());
    }
}
