//! The contact center's working hours: shown in the app and deciding when a technician can
//! be booked.

use chrono::{NaiveTime, Weekday};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkingHoursError {
    #[error("a working day must open before it closes")]
    ClosesBeforeOpening,
    #[error("a weekday is listed twice")]
    DuplicateDay,
}

/// Opening hours of one weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayHours {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// The weekly schedule; days not listed are days off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    days: Vec<DayHours>,
}

impl WorkingHours {
    pub fn new(days: Vec<DayHours>) -> Result<Self, WorkingHoursError> {
        for (i, day) in days.iter().enumerate() {
            if day.opens >= day.closes {
                return Err(WorkingHoursError::ClosesBeforeOpening);
            }
            if days[..i]
                .iter()
                .any(|earlier| earlier.weekday == day.weekday)
            {
                return Err(WorkingHoursError::DuplicateDay);
            }
        }
        Ok(Self { days })
    }

    /// The hours of `weekday`, if the contact center works that day.
    pub fn on(&self, weekday: Weekday) -> Option<DayHours> {
        self.days.iter().copied().find(|day| day.weekday == weekday)
    }

    pub fn days(&self) -> &[DayHours] {
        &self.days
    }
}

impl Default for WorkingHours {
    /// Mon-Fri 8:30-18:30, Sat 9:00-17:30, Sunday off.
    fn default() -> Self {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        let weekdays = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ];
        let mut days: Vec<DayHours> = weekdays
            .into_iter()
            .map(|weekday| DayHours {
                weekday,
                opens: at(8, 30),
                closes: at(18, 30),
            })
            .collect();
        days.push(DayHours {
            weekday: Weekday::Sat,
            opens: at(9, 0),
            closes: at(17, 30),
        });
        Self { days }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn default_is_the_contact_centers_week() {
        let hours = WorkingHours::default();
        let monday = hours.on(Weekday::Mon).unwrap();
        assert_eq!((monday.opens, monday.closes), (at(8, 30), at(18, 30)));
        let saturday = hours.on(Weekday::Sat).unwrap();
        assert_eq!((saturday.opens, saturday.closes), (at(9, 0), at(17, 30)));
        assert_eq!(hours.on(Weekday::Sun), None);
    }

    #[test]
    fn refuses_inconsistent_schedules() {
        let bad = DayHours {
            weekday: Weekday::Mon,
            opens: at(18, 0),
            closes: at(9, 0),
        };
        assert_eq!(
            WorkingHours::new(vec![bad]),
            Err(WorkingHoursError::ClosesBeforeOpening)
        );
        let day = DayHours {
            weekday: Weekday::Mon,
            opens: at(9, 0),
            closes: at(18, 0),
        };
        assert_eq!(
            WorkingHours::new(vec![day, day]),
            Err(WorkingHoursError::DuplicateDay)
        );
        assert!(WorkingHours::new(vec![day]).is_ok());
    }
}
