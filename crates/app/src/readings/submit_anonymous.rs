//! POST `/public/readings`: a reading given without registration, by meter number, with the
//! submitter's name and phone.

use std::fmt;
use std::sync::Arc;

use vodokanal_domain::{
    AnonymousSubmitter, FullName, MeterNumber, Phone, Reading, ReadingRejected, ReadingValue,
    ReadingWindow,
};

use super::submit::{PrepareReading, PrepareReadingCommand, PrepareReadingError, Submitter};
use crate::ports::{Clock, MeterRepository, Random, ReadingRepository};
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitAnonymousReadingCommand {
    pub full_name: FullName,
    pub phone: Phone,
    pub meter_number: MeterNumber,
    pub value: ReadingValue,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitAnonymousReadingError {
    /// 404 `meter_not_found`: no meter with that number in the registry.
    #[error("no meter with that number")]
    MeterNotFound,
    /// 422 `reading_window_closed`.
    #[error("readings are taken from day {} to day {} of the month", window.from_day(), window.to_day())]
    WindowClosed { window: ReadingWindow },
    /// 422 `reading_below_previous`.
    #[error("the reading is below the previous reading {previous}")]
    BelowPrevious { previous: ReadingValue },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PrepareReadingError> for SubmitAnonymousReadingError {
    fn from(error: PrepareReadingError) -> Self {
        match error {
            PrepareReadingError::Rejected(ReadingRejected::WindowClosed { window }) => {
                Self::WindowClosed { window }
            }
            PrepareReadingError::Rejected(ReadingRejected::BelowPrevious { previous, .. }) => {
                Self::BelowPrevious { previous }
            }
            PrepareReadingError::Store(error) => Self::Store(error),
        }
    }
}

/// Takes a reading from anyone who knows the meter's number.
pub struct SubmitAnonymousReading {
    meters: Arc<dyn MeterRepository>,
    readings: Arc<dyn ReadingRepository>,
    clock: Arc<dyn Clock>,
    prepare: PrepareReading,
}

impl fmt::Debug for SubmitAnonymousReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmitAnonymousReading")
    }
}

impl SubmitAnonymousReading {
    pub fn new(
        meters: Arc<dyn MeterRepository>,
        readings: Arc<dyn ReadingRepository>,
        random: Arc<dyn Random>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            meters,
            prepare: PrepareReading::new(Arc::clone(&readings), random, settings),
            readings,
            clock,
        }
    }

    pub async fn execute(
        &self,
        command: SubmitAnonymousReadingCommand,
    ) -> Result<Reading, SubmitAnonymousReadingError> {
        let located = self
            .meters
            .find(&command.meter_number)
            .await?
            .ok_or(SubmitAnonymousReadingError::MeterNotFound)?;
        tracing::info!(
            name = %command.full_name.masked(),
            phone = %command.phone.masked(),
            "anonymous reading"
        );
        let reading = self
            .prepare
            .execute(PrepareReadingCommand {
                account_number: located.account_number,
                meter_number: located.meter.number,
                value: command.value,
                submitter: Submitter::Anonymous(AnonymousSubmitter {
                    full_name: command.full_name,
                    phone: command.phone,
                }),
                submitted_at: self.clock.now(),
            })
            .await?;
        self.readings
            .save_all(std::slice::from_ref(&reading))
            .await?;
        Ok(reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{LocatedMeter, MockMeterRepository, MockReadingRepository};
    use crate::readings::fixtures::reading;
    use crate::testing::{account, account_number, clock, meter_number, now, phone, random};
    use vodokanal_domain::{Period, ReadingId, ReadingSource};

    fn down() -> StoreError {
        StoreError::Unavailable("down".into())
    }

    fn full_name() -> FullName {
        "Иванова Мария Петровна".parse().unwrap()
    }

    fn command(value: &str) -> SubmitAnonymousReadingCommand {
        SubmitAnonymousReadingCommand {
            full_name: full_name(),
            phone: phone(),
            meter_number: meter_number(),
            value: value.parse().unwrap(),
        }
    }

    fn meters_finding(found: bool) -> MockMeterRepository {
        let mut meters = MockMeterRepository::new();
        meters
            .expect_find()
            .withf(|number| *number == meter_number())
            .times(1)
            .returning(move |_| {
                Ok(found.then(|| LocatedMeter {
                    account_number: account_number(),
                    meter: account().meters[0].clone(),
                }))
            });
        meters
    }

    /// Readings where the meter's last reading before November is `previous`.
    fn readings_after(previous: &'static str) -> MockReadingRepository {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_last_before()
            .withf(|meter, period| {
                *meter == meter_number() && *period == "2026-11".parse::<Period>().unwrap()
            })
            .returning(move |_, _| {
                Ok(Some(reading(
                    meter_number(),
                    previous,
                    now() - chrono::TimeDelta::days(30),
                )))
            });
        readings
    }

    fn use_case(
        meters: MockMeterRepository,
        readings: MockReadingRepository,
        settings: &Settings,
    ) -> SubmitAnonymousReading {
        SubmitAnonymousReading::new(
            Arc::new(meters),
            Arc::new(readings),
            random(),
            clock(),
            settings,
        )
    }

    #[tokio::test]
    async fn a_reading_of_a_known_meter_is_stored_with_its_submitter() {
        let expected = Reading {
            id: ReadingId::from_random_bytes([9; 16]),
            account_number: account_number(),
            meter_number: meter_number(),
            value: "110".parse().unwrap(),
            previous_value: Some("100".parse().unwrap()),
            consumption: Some("10".parse().unwrap()),
            period: "2026-11".parse().unwrap(),
            submitted_at: now(),
            source: ReadingSource::Anonymous,
            warnings: vec![],
            user_id: None,
            submitter: Some(AnonymousSubmitter {
                full_name: full_name(),
                phone: phone(),
            }),
        };
        let mut readings = readings_after("100");
        let stored = expected.clone();
        readings
            .expect_save_all()
            .withf(move |saved| saved == std::slice::from_ref(&stored))
            .times(1)
            .returning(|_| Ok(()));
        let outcome = use_case(meters_finding(true), readings, &Settings::default())
            .execute(command("110"))
            .await;
        assert_eq!(outcome, Ok(expected));
    }

    #[tokio::test]
    async fn an_unknown_meter_is_not_found() {
        let outcome = use_case(
            meters_finding(false),
            MockReadingRepository::new(),
            &Settings::default(),
        )
        .execute(command("110"))
        .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::MeterNotFound));
    }

    #[tokio::test]
    async fn a_reading_below_the_previous_is_refused_and_nothing_is_stored() {
        let outcome = use_case(
            meters_finding(true),
            readings_after("100"),
            &Settings::default(),
        )
        .execute(command("99"))
        .await;
        assert_eq!(
            outcome,
            Err(SubmitAnonymousReadingError::BelowPrevious {
                previous: "100".parse().unwrap()
            })
        );
    }

    #[tokio::test]
    async fn a_reading_outside_the_window_is_refused() {
        let window: ReadingWindow = "1-10".parse().unwrap();
        let mut settings = Settings::default();
        settings.reading_policy.window = Some(window);
        let outcome = use_case(meters_finding(true), readings_after("100"), &settings)
            .execute(command("110"))
            .await;
        assert_eq!(
            outcome,
            Err(SubmitAnonymousReadingError::WindowClosed { window })
        );
    }

    #[tokio::test]
    async fn a_failing_meter_lookup_is_reported() {
        let mut meters = MockMeterRepository::new();
        meters.expect_find().returning(|_| Err(down()));
        let outcome = use_case(meters, MockReadingRepository::new(), &Settings::default())
            .execute(command("110"))
            .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::Store(down())));
    }

    #[tokio::test]
    async fn a_failing_previous_lookup_is_reported() {
        let mut readings = MockReadingRepository::new();
        readings.expect_last_before().returning(|_, _| Err(down()));
        let outcome = use_case(meters_finding(true), readings, &Settings::default())
            .execute(command("110"))
            .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::Store(down())));
    }

    #[tokio::test]
    async fn a_failing_save_is_reported() {
        let mut readings = readings_after("100");
        readings.expect_save_all().returning(|_| Err(down()));
        let outcome = use_case(meters_finding(true), readings, &Settings::default())
            .execute(command("110"))
            .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::Store(down())));
    }
}
