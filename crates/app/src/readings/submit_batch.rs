//! POST `/accounts/{number}/readings`: the readings of some of an account's meters, given
//! from the cabinet. All or none: every reading is assessed first, and one refusal stores
//! nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vodokanal_domain::{
    AccountNumber, MeterNumber, Reading, ReadingRejected, ReadingValue, ReadingWindow, UserId,
};

use super::submit::{PrepareReading, PrepareReadingCommand, Submitter};
use crate::idempotency::{Answering, answer_for};
use crate::ports::{AccountRepository, Clock, Random, ReadingRepository};
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitReadingsCommand {
    pub user_id: UserId,
    pub account_number: AccountNumber,
    /// One value per meter, in the order the subscriber gave them.
    pub readings: Vec<(MeterNumber, ReadingValue)>,
}

/// Why a list of readings is malformed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReadings {
    #[error("at least one reading is required")]
    Empty,
    #[error("meter {0} is listed more than once")]
    DuplicateMeter(MeterNumber),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitReadingsError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    /// The list of readings is empty or names a meter twice.
    #[error(transparent)]
    Invalid(InvalidReadings),
    /// The account has no such meter.
    #[error("the account has no meter {meter_number}")]
    MeterNotFound { meter_number: MeterNumber },
    /// Today is outside the month's reading window.
    #[error("readings are taken from day {} to day {} of the month", window.from_day(), window.to_day())]
    WindowClosed { window: ReadingWindow },
    /// The reading of `meter_number` is below its previous one.
    #[error("the reading of meter {meter_number} is below the previous reading {previous}")]
    BelowPrevious {
        meter_number: MeterNumber,
        previous: ReadingValue,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes the readings of a linked account's meters, all or none.
#[derive(Debug)]
pub struct SubmitReadings {
    accounts: Arc<dyn AccountRepository>,
    readings: Arc<dyn ReadingRepository>,
    clock: Arc<dyn Clock>,
    prepare: PrepareReading,
}

/// The list must name at least one meter, and each at most once.
fn check_list(readings: &[(MeterNumber, ReadingValue)]) -> Result<(), InvalidReadings> {
    if readings.is_empty() {
        return Err(InvalidReadings::Empty);
    }
    let mut seen = HashSet::new();
    for (meter, _) in readings {
        if !seen.insert(meter) {
            return Err(InvalidReadings::DuplicateMeter(meter.clone()));
        }
    }
    Ok(())
}

impl SubmitReadings {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        random: Arc<dyn Random>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            prepare: PrepareReading::new(Arc::clone(&readings), random, settings),
            readings,
            clock,
        }
    }

    /// Checks the list, then the link, then that every meter is the account's, then
    /// assesses every reading; only when all pass are they stored, in one `save_all`.
    pub async fn execute(
        &self,
        command: SubmitReadingsCommand,
        answering: Option<&Answering<Vec<Reading>>>,
    ) -> Result<Vec<Reading>, SubmitReadingsError> {
        check_list(&command.readings).map_err(SubmitReadingsError::Invalid)?;
        let linked = self
            .accounts
            .linked_one(command.user_id, &command.account_number)
            .await?
            .ok_or(SubmitReadingsError::NotFound)?;
        if let Some((unknown, _)) = command.readings.iter().find(|(number, _)| {
            !linked
                .account
                .meters
                .iter()
                .any(|meter| meter.number == *number)
        }) {
            return Err(SubmitReadingsError::MeterNotFound {
                meter_number: unknown.clone(),
            });
        }
        let submitted_at = self.clock.now();
        let command_of = |meter_number: MeterNumber, value| PrepareReadingCommand {
            account_number: command.account_number.clone(),
            meter_number,
            value,
            submitter: Submitter::Subscriber(command.user_id),
            submitted_at,
        };
        let period = self.prepare.period(submitted_at);
        let meters: Vec<MeterNumber> = command.readings.iter().map(|(m, _)| m.clone()).collect();
        // The previous readings of every meter of the batch in one read.
        let previous: HashMap<MeterNumber, ReadingValue> = self
            .readings
            .last_before_each(&meters, period)
            .await?
            .into_iter()
            .map(|reading| (reading.meter_number, reading.value))
            .collect();
        let mut prepared = Vec::with_capacity(command.readings.len());
        for (meter_number, value) in command.readings.clone() {
            let before = previous.get(&meter_number).copied();
            let reading = self
                .prepare
                .assess(command_of(meter_number.clone(), value), before)
                .map_err(|rejected| match rejected {
                    ReadingRejected::WindowClosed { window } => {
                        SubmitReadingsError::WindowClosed { window }
                    }
                    ReadingRejected::BelowPrevious { previous, .. } => {
                        SubmitReadingsError::BelowPrevious {
                            meter_number,
                            previous,
                        }
                    }
                })?;
            prepared.push(reading);
        }
        let answer = answer_for(answering, &prepared);
        self.readings.save_all(&prepared, answer).await?;
        tracing::info!(user = %command.user_id, count = prepared.len(), "readings stored");
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::{hot_meter_number, linked, two_meter_account};
    use crate::ports::{MockAccountRepository, MockReadingRepository};
    use crate::readings::fixtures::{counting_random, reading};
    use crate::testing::down;
    use crate::testing::{account_number, clock, meter_number, now, user_id};
    use vodokanal_domain::{LinkedAccount, Period, ReadingId, ReadingSource};

    fn value(s: &str) -> ReadingValue {
        s.parse().unwrap()
    }

    fn november() -> Period {
        "2026-11".parse().unwrap()
    }

    fn linked_two_meters() -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked_one()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| {
                Ok(Some(LinkedAccount {
                    account: two_meter_account(),
                    ..linked(None)
                }))
            });
        accounts
    }

    /// Readings where the cold meter's previous is 100 and the hot meter has none, read for
    /// every meter of the batch at once.
    fn previous_readings() -> MockReadingRepository {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_last_before_each()
            .withf(|meters, period| {
                *period == november()
                    && meters
                        .iter()
                        .all(|m| [meter_number(), hot_meter_number()].contains(m))
            })
            .times(1)
            .returning(|meters, _| {
                Ok(meters
                    .iter()
                    .filter(|meter| **meter == meter_number())
                    .map(|meter| reading(meter.clone(), "100", now() - chrono::TimeDelta::days(30)))
                    .collect())
            });
        readings
    }

    fn use_case(
        accounts: MockAccountRepository,
        readings: MockReadingRepository,
    ) -> SubmitReadings {
        SubmitReadings::new(
            Arc::new(accounts),
            Arc::new(readings),
            counting_random(),
            clock(),
            &Settings::default(),
        )
    }

    fn command(readings: Vec<(MeterNumber, &str)>) -> SubmitReadingsCommand {
        SubmitReadingsCommand {
            user_id: user_id(),
            account_number: account_number(),
            readings: readings
                .into_iter()
                .map(|(meter, v)| (meter, value(v)))
                .collect(),
        }
    }

    fn cabinet_reading(id: u8, meter: MeterNumber, v: &str) -> Reading {
        Reading {
            id: ReadingId::from_random_bytes([id; 16]),
            account_number: account_number(),
            meter_number: meter,
            value: value(v),
            previous_value: None,
            consumption: None,
            period: november(),
            submitted_at: now(),
            source: ReadingSource::Cabinet,
            warnings: vec![],
            user_id: Some(user_id()),
            submitter: None,
            voided: None,
        }
    }

    #[tokio::test]
    async fn the_readings_of_every_meter_are_stored_together() {
        let expected = vec![
            Reading {
                previous_value: Some(value("100")),
                consumption: Some(value("7.25")),
                ..cabinet_reading(1, meter_number(), "107.25")
            },
            cabinet_reading(2, hot_meter_number(), "3"),
        ];
        let mut readings = previous_readings();
        let stored = expected.clone();
        readings
            .expect_save_all()
            .withf(move |saved, _| saved == stored.as_slice())
            .times(1)
            .returning(|_, _| Ok(()));
        let outcome = use_case(linked_two_meters(), readings)
            .execute(
                command(vec![(meter_number(), "107.25"), (hot_meter_number(), "3")]),
                None,
            )
            .await;
        assert_eq!(outcome, Ok(expected));
    }

    #[tokio::test]
    async fn one_reading_below_its_previous_stores_none() {
        // No save_all expectation: storing anything would fail the test.
        let outcome = use_case(linked_two_meters(), previous_readings())
            .execute(
                command(vec![(hot_meter_number(), "3"), (meter_number(), "99")]),
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(SubmitReadingsError::BelowPrevious {
                meter_number: meter_number(),
                previous: value("100"),
            })
        );
    }

    #[tokio::test]
    async fn readings_outside_the_window_are_refused() {
        let window: ReadingWindow = "20-25".parse().unwrap();
        let mut settings = Settings::default();
        settings.reading_policy.window = Some(window);
        let use_case = SubmitReadings::new(
            Arc::new(linked_two_meters()),
            Arc::new(previous_readings()),
            counting_random(),
            clock(),
            &settings,
        );
        let outcome = use_case
            .execute(command(vec![(meter_number(), "107")]), None)
            .await;
        assert_eq!(outcome, Err(SubmitReadingsError::WindowClosed { window }));
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked_one().returning(|_, _| Ok(None));
        let outcome = use_case(accounts, MockReadingRepository::new())
            .execute(command(vec![(meter_number(), "107")]), None)
            .await;
        assert_eq!(outcome, Err(SubmitReadingsError::NotFound));
    }

    #[tokio::test]
    async fn a_meter_of_another_account_is_not_found_by_name() {
        let stranger: MeterNumber = "ЧУЖОЙ-1".parse().unwrap();
        let outcome = use_case(linked_two_meters(), MockReadingRepository::new())
            .execute(
                command(vec![(meter_number(), "107"), (stranger.clone(), "1")]),
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(SubmitReadingsError::MeterNotFound {
                meter_number: stranger
            })
        );
    }

    #[tokio::test]
    async fn an_empty_list_is_invalid() {
        let outcome = use_case(MockAccountRepository::new(), MockReadingRepository::new())
            .execute(command(vec![]), None)
            .await;
        assert_eq!(
            outcome,
            Err(SubmitReadingsError::Invalid(InvalidReadings::Empty))
        );
    }

    #[tokio::test]
    async fn the_same_meter_twice_is_invalid() {
        let outcome = use_case(MockAccountRepository::new(), MockReadingRepository::new())
            .execute(
                command(vec![
                    (meter_number(), "107"),
                    (hot_meter_number(), "3"),
                    (meter_number(), "108"),
                ]),
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(SubmitReadingsError::Invalid(
                InvalidReadings::DuplicateMeter(meter_number())
            ))
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> SubmitReadings;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("account", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_linked_one().returning(|_, _| Err(down()));
                use_case(accounts, MockReadingRepository::new())
            }),
            ("previous lookup", || {
                let mut readings = MockReadingRepository::new();
                readings
                    .expect_last_before_each()
                    .returning(|_, _| Err(down()));
                use_case(linked_two_meters(), readings)
            }),
            ("save", || {
                let mut readings = previous_readings();
                readings
                    .expect_save_all()
                    .times(1)
                    .returning(|_, _| Err(down()));
                use_case(linked_two_meters(), readings)
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing()
                .execute(command(vec![(meter_number(), "107")]), None)
                .await;
            assert_eq!(outcome, Err(SubmitReadingsError::Store(down())), "{step}");
        }
    }
}
