//! The core every way of giving a reading shares: compare it with the meter's last reading of
//! an earlier period under the utility's rules, and build the [`Reading`] to store. It stores
//! nothing: the callers store what they prepared, all or none.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vodokanal_domain::{
    AccountNumber, AnonymousSubmitter, MeterNumber, Period, Reading, ReadingId, ReadingPolicy,
    ReadingRejected, ReadingSource, ReadingValue, UserId, UtilityCalendar,
};

use crate::ports::{Random, ReadingRepository};
use crate::{Settings, StoreError};

/// Who gives the reading; decides its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitter {
    /// A subscriber in the cabinet (`source: cabinet`).
    Subscriber(UserId),
    /// Anyone, with a name and phone (`source: anonymous`).
    Anonymous(AnonymousSubmitter),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareReadingCommand {
    pub account_number: AccountNumber,
    pub meter_number: MeterNumber,
    pub value: ReadingValue,
    pub submitter: Submitter,
    /// The instant of the submission: decides the local day (the reading window) and the
    /// period. One instant for every reading of a batch.
    pub submitted_at: DateTime<Utc>,
}

/// Not mapped to the contract by itself: each caller turns it into its own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareReadingError {
    /// Below the previous reading, or outside the reading window.
    #[error(transparent)]
    Rejected(#[from] ReadingRejected),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Assesses a new reading and builds it, with its id, consumption and warnings.
#[derive(Debug, Clone)]
pub struct PrepareReading {
    readings: Arc<dyn ReadingRepository>,
    random: Arc<dyn Random>,
    calendar: UtilityCalendar,
    policy: ReadingPolicy,
}

impl PrepareReading {
    pub fn new(
        readings: Arc<dyn ReadingRepository>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            readings,
            random,
            calendar: settings.calendar,
            policy: settings.reading_policy,
        }
    }

    /// The previous reading is the meter's last of an earlier period: a reading of the
    /// current period is replaced by this one, not compared with it.
    pub async fn execute(
        &self,
        command: PrepareReadingCommand,
    ) -> Result<Reading, PrepareReadingError> {
        let period = self.period(command.submitted_at);
        let previous = self
            .readings
            .last_before(&command.meter_number, period)
            .await?;
        Ok(self.assess(command, previous.map(|reading| reading.value))?)
    }

    /// The period (the utility's local month) of a reading given at `at`.
    pub fn period(&self, at: DateTime<Utc>) -> Period {
        self.calendar.period(at)
    }

    /// The reading assessed against `previous`, the meter's latest live reading of an earlier
    /// period, read by the caller.
    pub fn assess(
        &self,
        command: PrepareReadingCommand,
        previous: Option<ReadingValue>,
    ) -> Result<Reading, ReadingRejected> {
        let today = self.calendar.today(command.submitted_at);
        let period = self.period(command.submitted_at);
        let assessment = self.policy.assess(today, command.value, previous)?;
        let (source, user_id, submitter) = match command.submitter {
            Submitter::Subscriber(user) => (ReadingSource::Cabinet, Some(user), None),
            Submitter::Anonymous(who) => (ReadingSource::Anonymous, None, Some(who)),
        };
        Ok(Reading {
            id: ReadingId::from_random_bytes(self.random.id_bytes()),
            account_number: command.account_number,
            meter_number: command.meter_number,
            value: command.value,
            previous_value: assessment.previous,
            consumption: assessment.consumption,
            period,
            submitted_at: command.submitted_at,
            source,
            warnings: assessment.warnings,
            user_id,
            submitter,
            voided: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockReadingRepository;
    use crate::readings::fixtures::reading;
    use crate::testing::down;
    use crate::testing::{account_number, meter_number, now, phone, random, user_id};
    use vodokanal_domain::{Period, ReadingWarning, ReadingWindow};

    fn november() -> Period {
        "2026-11".parse().unwrap()
    }

    fn value(s: &str) -> ReadingValue {
        s.parse().unwrap()
    }

    fn with_previous(previous: Result<Option<&'static str>, StoreError>) -> MockReadingRepository {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_last_before()
            .withf(|meter, period| *meter == meter_number() && *period == november())
            .times(1)
            .return_once(move |_, _| {
                previous.map(|found| {
                    found.map(|v| {
                        reading(
                            meter_number(),
                            v,
                            DateTime::parse_from_rfc3339("2026-10-20T09:00:00Z")
                                .unwrap()
                                .with_timezone(&Utc),
                        )
                    })
                })
            });
        readings
    }

    fn prepare(readings: MockReadingRepository, settings: &Settings) -> PrepareReading {
        PrepareReading::new(Arc::new(readings), random(), settings)
    }

    fn command(v: &str, submitter: Submitter) -> PrepareReadingCommand {
        PrepareReadingCommand {
            account_number: account_number(),
            meter_number: meter_number(),
            value: value(v),
            submitter,
            submitted_at: now(),
        }
    }

    #[tokio::test]
    async fn a_cabinet_reading_gets_its_consumption_since_the_previous_period() {
        let prepared = prepare(with_previous(Ok(Some("100"))), &Settings::default())
            .execute(command("112.5", Submitter::Subscriber(user_id())))
            .await
            .unwrap();
        assert_eq!(
            prepared,
            Reading {
                id: ReadingId::from_random_bytes([9; 16]),
                account_number: account_number(),
                meter_number: meter_number(),
                value: value("112.5"),
                previous_value: Some(value("100")),
                consumption: Some(value("12.5")),
                period: november(),
                submitted_at: now(),
                source: ReadingSource::Cabinet,
                warnings: vec![],
                user_id: Some(user_id()),
                submitter: None,
                voided: None,
            }
        );
    }

    #[tokio::test]
    async fn an_anonymous_first_reading_keeps_its_submitter_and_has_no_consumption() {
        let who = AnonymousSubmitter {
            full_name: "Иванов Иван".parse().unwrap(),
            phone: phone(),
        };
        let prepared = prepare(with_previous(Ok(None)), &Settings::default())
            .execute(command("5", Submitter::Anonymous(who.clone())))
            .await
            .unwrap();
        assert_eq!(prepared.source, ReadingSource::Anonymous);
        assert_eq!(prepared.user_id, None);
        assert_eq!(prepared.submitter, Some(who));
        assert_eq!(
            (prepared.previous_value, prepared.consumption),
            (None, None)
        );
    }

    #[tokio::test]
    async fn a_large_consumption_is_accepted_with_a_warning() {
        let prepared = prepare(with_previous(Ok(Some("100"))), &Settings::default())
            .execute(command("130.001", Submitter::Subscriber(user_id())))
            .await
            .unwrap();
        assert_eq!(
            prepared.warnings,
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        );
    }

    #[tokio::test]
    async fn a_reading_below_the_previous_is_refused() {
        let outcome = prepare(with_previous(Ok(Some("100"))), &Settings::default())
            .execute(command("99.999", Submitter::Subscriber(user_id())))
            .await;
        assert_eq!(
            outcome,
            Err(PrepareReadingError::Rejected(
                ReadingRejected::BelowPrevious {
                    value: value("99.999"),
                    previous: value("100"),
                }
            ))
        );
    }

    #[tokio::test]
    async fn a_reading_outside_the_window_is_refused() {
        // Today is the 16th in Moscow.
        let window: ReadingWindow = "20-25".parse().unwrap();
        let mut settings = Settings::default();
        settings.reading_policy.window = Some(window);
        let outcome = prepare(with_previous(Ok(None)), &settings)
            .execute(command("1", Submitter::Subscriber(user_id())))
            .await;
        assert_eq!(
            outcome,
            Err(PrepareReadingError::Rejected(
                ReadingRejected::WindowClosed { window }
            ))
        );
    }

    #[tokio::test]
    async fn the_period_is_the_local_month() {
        // 22:30 UTC on 31 October is already 1 November in Moscow.
        let late = DateTime::parse_from_rfc3339("2026-10-31T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let prepared = prepare(with_previous(Ok(None)), &Settings::default())
            .execute(PrepareReadingCommand {
                submitted_at: late,
                ..command("1", Submitter::Subscriber(user_id()))
            })
            .await
            .unwrap();
        assert_eq!(prepared.period, november());
        assert_eq!(prepared.submitted_at, late);
    }

    #[tokio::test]
    async fn a_failing_store_is_reported() {
        let down = down();
        let outcome = prepare(with_previous(Err(down.clone())), &Settings::default())
            .execute(command("1", Submitter::Subscriber(user_id())))
            .await;
        assert_eq!(outcome, Err(PrepareReadingError::Store(down)));
    }
}
