//! Visit requests: a technician's visit for meter acceptance (Приемка ИПУ) or meter
//! verification (Сверка ИПУ), booked into the contact center's working hours.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountNumber;
use crate::ids::{UserId, VisitRequestId};
use crate::meter::MeterNumber;
use crate::notes::Notes;
use crate::phone::Phone;
use crate::working_hours::WorkingHours;

/// How far ahead a visit can be booked.
pub const BOOKING_HORIZON_DAYS: i64 = 60;
/// Visits start on the hour or the half hour and take this long.
pub const SLOT_MINUTES: u32 = 30;

crate::code_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum VisitKind {
        /// Приемка ИПУ: a new or replaced meter is accepted into service.
        MeterAcceptance => "meter_acceptance",
        /// Сверка ИПУ: the meter's readings are checked on site.
        MeterVerification => "meter_verification",
    }
    impl FromStr with VisitKindError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("visit kind must be meter_acceptance or meter_verification")]
pub struct VisitKindError;

impl VisitKind {
    pub const fn title(self) -> &'static str {
        match self {
            Self::MeterAcceptance => "Приемка ИПУ",
            Self::MeterVerification => "Сверка ИПУ",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitSlotError {
    #[error("a visit can be booked from tomorrow on")]
    NotAfterToday,
    #[error("a visit can be booked at most {BOOKING_HORIZON_DAYS} days ahead")]
    TooFarAhead,
    #[error("the contact center does not work that day")]
    DayOff,
    #[error("the time is outside the contact center's working hours")]
    OutsideHours,
    #[error("visits start on the hour or on the half hour")]
    NotOnSlotBoundary,
}

/// A bookable visit time: a day after today, within the working hours, on a half-hour slot
/// that ends by closing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitSlot {
    date: NaiveDate,
    time: NaiveTime,
}

impl VisitSlot {
    pub fn new(
        date: NaiveDate,
        time: NaiveTime,
        today: NaiveDate,
        hours: &WorkingHours,
    ) -> Result<Self, VisitSlotError> {
        if date <= today {
            return Err(VisitSlotError::NotAfterToday);
        }
        if date - today > TimeDelta::days(BOOKING_HORIZON_DAYS) {
            return Err(VisitSlotError::TooFarAhead);
        }
        let day = hours.on(date.weekday()).ok_or(VisitSlotError::DayOff)?;
        if !time.minute().is_multiple_of(SLOT_MINUTES)
            || time.second() != 0
            || time.nanosecond() != 0
        {
            return Err(VisitSlotError::NotOnSlotBoundary);
        }
        let ends = time
            .overflowing_add_signed(TimeDelta::minutes(i64::from(SLOT_MINUTES)))
            .0;
        if time < day.opens || ends > day.closes || ends < time {
            return Err(VisitSlotError::OutsideHours);
        }
        Ok(Self { date, time })
    }

    /// A slot as stored: no rule is checked again (it was checked when booked).
    pub fn restore(date: NaiveDate, time: NaiveTime) -> Self {
        Self { date, time }
    }

    pub fn date(self) -> NaiveDate {
        self.date
    }

    pub fn time(self) -> NaiveTime {
        self.time
    }
}

crate::code_enum! {
    /// Where a visit request is in the utility's handling.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum VisitStatus {
        New => "new",
        Scheduled => "scheduled",
        Done => "done",
        Canceled => "canceled",
    }
    impl FromStr with VisitStatusError;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("visit status must be one of new, scheduled, done, canceled")]
pub struct VisitStatusError;

/// A request for a technician's visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRequest {
    pub id: VisitRequestId,
    pub kind: VisitKind,
    pub account_number: AccountNumber,
    pub meter_number: Option<MeterNumber>,
    pub phone: Phone,
    pub slot: VisitSlot,
    pub notes: Option<Notes>,
    pub status: VisitStatus,
    pub created_at: DateTime<Utc>,
    /// The subscriber who booked it; `None` once the profile is deleted.
    pub user_id: Option<UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    // 2026-11-27 is a Friday.
    const TODAY: (i32, u32, u32) = (2026, 11, 27);

    fn slot(d: NaiveDate, t: NaiveTime) -> Result<VisitSlot, VisitSlotError> {
        let today = date(TODAY.0, TODAY.1, TODAY.2);
        VisitSlot::new(d, t, today, &WorkingHours::default())
    }

    #[test]
    fn books_within_working_hours_after_today() {
        assert!(slot(date(2026, 11, 30), at(8, 30)).is_ok()); // Monday, opening
        assert!(slot(date(2026, 11, 30), at(18, 0)).is_ok()); // Monday, last slot
        assert!(slot(date(2026, 11, 28), at(9, 0)).is_ok()); // Saturday, opening
        assert!(slot(date(2026, 11, 28), at(17, 0)).is_ok()); // Saturday, last slot
    }

    #[test]
    fn refuses_slots_outside_the_rules() {
        let cases = [
            (date(2026, 11, 27), at(12, 0), VisitSlotError::NotAfterToday),
            (date(2026, 11, 20), at(12, 0), VisitSlotError::NotAfterToday),
            (date(2027, 1, 27), at(12, 0), VisitSlotError::TooFarAhead),
            (date(2026, 11, 29), at(12, 0), VisitSlotError::DayOff),
            (date(2026, 11, 30), at(8, 0), VisitSlotError::OutsideHours),
            (date(2026, 11, 30), at(18, 30), VisitSlotError::OutsideHours),
            (date(2026, 11, 28), at(8, 30), VisitSlotError::OutsideHours),
            (date(2026, 11, 28), at(17, 30), VisitSlotError::OutsideHours),
            (
                date(2026, 11, 30),
                at(12, 15),
                VisitSlotError::NotOnSlotBoundary,
            ),
            (date(2026, 11, 30), at(23, 30), VisitSlotError::OutsideHours),
        ];
        for (d, t, expected) in cases {
            assert_eq!(slot(d, t), Err(expected), "{d} {t}");
        }
    }

    #[test]
    fn kinds_and_statuses_have_codes() {
        assert_eq!(VisitKind::MeterAcceptance.title(), "Приемка ИПУ");
        assert_eq!(VisitKind::MeterVerification.title(), "Сверка ИПУ");
        for kind in VisitKind::ALL {
            assert_eq!(kind.code().parse::<VisitKind>(), Ok(kind));
        }
        for status in VisitStatus::ALL {
            assert_eq!(status.code().parse::<VisitStatus>(), Ok(status));
        }
        assert!("repair".parse::<VisitKind>().is_err());
        assert!("lost".parse::<VisitStatus>().is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<VisitKind>();
            let _ = s.parse::<VisitStatus>();
        }

        #[test]
        fn any_accepted_slot_is_inside_the_hours(days in 0i64..70, minutes in 0u32..(24 * 60)) {
            let today = date(TODAY.0, TODAY.1, TODAY.2);
            let d = today + TimeDelta::days(days);
            let t = at(minutes / 60, minutes % 60);
            if let Ok(accepted) = slot(d, t) {
                let hours = WorkingHours::default().on(accepted.date().weekday()).unwrap();
                prop_assert!(accepted.date() > today);
                prop_assert!(accepted.time() >= hours.opens && accepted.time() < hours.closes);
                prop_assert_eq!(VisitSlot::restore(d, t), accepted);
            }
        }
    }
}
