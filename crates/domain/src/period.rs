//! Reading periods: a calendar month (`YYYY-MM`) in the utility's time zone.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("period must be written YYYY-MM")]
    Malformed,
    #[error("period's year must be between 2000 and 2100")]
    YearOutOfRange,
    #[error("period's month must be between 01 and 12")]
    MonthOutOfRange,
}

/// A calendar month. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: u16,
    month: u8,
}

impl Period {
    /// The month a local date falls in.
    pub fn containing(date: NaiveDate) -> Self {
        Self {
            year: u16::try_from(date.year()).unwrap_or(0),
            month: u8::try_from(date.month()).unwrap_or(1),
        }
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(i32::from(self.year), u32::from(self.month), 1)
            .unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        let first = self.first_day();
        first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(first)
    }

    /// The month before this one.
    #[must_use]
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year.saturating_sub(1),
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after this one.
    #[must_use]
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year.saturating_add(1),
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// How many months `earlier` is before this one: 1 for the previous month, 0 for this
    /// one (and for a later one).
    pub fn months_since(self, earlier: Self) -> u32 {
        let index = |p: Self| u32::from(p.year) * 12 + u32::from(p.month);
        index(self).saturating_sub(index(earlier))
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let (year, month) = text.split_once('-').ok_or(PeriodError::Malformed)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(PeriodError::Malformed);
        }
        let year: u16 = year.parse().map_err(|_| PeriodError::Malformed)?;
        let month: u8 = month.parse().map_err(|_| PeriodError::Malformed)?;
        if !(2000..=2100).contains(&year) {
            return Err(PeriodError::YearOutOfRange);
        }
        if !(1..=12).contains(&month) {
            return Err(PeriodError::MonthOutOfRange);
        }
        Ok(Self { year, month })
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Period> for String {
    fn from(value: Period) -> Self {
        value.to_string()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2026-11".parse::<Period>().unwrap().to_string(), "2026-11");
        let cases = [
            ("", PeriodError::Malformed),
            ("2026-1", PeriodError::Malformed),
            ("2026/11", PeriodError::Malformed),
            ("26-11", PeriodError::Malformed),
            ("1999-12", PeriodError::YearOutOfRange),
            ("2026-13", PeriodError::MonthOutOfRange),
            ("2026-00", PeriodError::MonthOutOfRange),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Period>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn contains_dates_and_orders_chronologically() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let period = Period::containing(date);
        assert_eq!(period.to_string(), "2026-01");
        assert_eq!(period.previous().to_string(), "2025-12");
        assert!(period.previous() < period);
        assert_eq!(
            period.first_day(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }

    #[test]
    fn steps_and_counts_months_across_years() {
        let december: Period = "2025-12".parse().unwrap();
        assert_eq!(december.next().to_string(), "2026-01");
        assert_eq!(december.next().previous(), december);
        let november: Period = "2026-11".parse().unwrap();
        assert_eq!(november.months_since(december), 11);
        assert_eq!(november.months_since(november), 0);
        assert_eq!(december.months_since(november), 0);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<Period>();
        }

        #[test]
        fn what_formats_parses_back(year in 2000u16..=2100, month in 1u8..=12) {
            let text = format!("{year:04}-{month:02}");
            let period: Period = text.parse().unwrap();
            prop_assert_eq!(period.to_string(), text);
        }

        #[test]
        fn next_and_previous_are_one_month_apart(year in 2000u16..=2099, month in 1u8..=12) {
            let period: Period = format!("{year:04}-{month:02}").parse().unwrap();
            prop_assert_eq!(period.next().previous(), period);
            prop_assert_eq!(period.next().months_since(period), 1);
        }
    }
}
