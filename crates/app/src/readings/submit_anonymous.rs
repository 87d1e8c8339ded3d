//! POST `/public/readings`: a reading given without registration, by meter number, with the
//! submitter's name and phone. A stranger learns nothing of the account or the meter's history,
//! never replaces the subscriber's own reading, can't poison the base of the next readings with
//! an implausible value, and is limited per meter and per client network (`security.md`).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{
    AnonymousSubmitter, ClientNetwork, FullName, MeterNumber, Period, Phone, Reading, ReadingId,
    ReadingPolicy, ReadingRejected, ReadingValue, ReadingWarning, ReadingWindow,
};

use super::submit::{PrepareReading, PrepareReadingCommand, PrepareReadingError, Submitter};
use crate::idempotency::{Answering, answer_for};
use crate::ports::{
    AttemptCounter, Clock, Limit, LimitState, MeterRepository, Random, ReadingRepository, Saved,
};
use crate::settings::Limits;
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitAnonymousReadingCommand {
    pub full_name: FullName,
    pub phone: Phone,
    pub meter_number: MeterNumber,
    pub value: ReadingValue,
    /// The caller's address, for the limit per client network (`None`: not known, not limited).
    pub client_ip: Option<IpAddr>,
}

/// What a stranger is told of the reading they gave: nothing of the account it belongs to, nor
/// of the meter's previous reading or the consumption since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymousReceipt {
    pub id: ReadingId,
    pub meter_number: MeterNumber,
    pub value: ReadingValue,
    pub period: Period,
    pub submitted_at: DateTime<Utc>,
    pub warnings: Vec<ReadingWarning>,
}

impl From<Reading> for AnonymousReceipt {
    fn from(reading: Reading) -> Self {
        Self {
            id: reading.id,
            meter_number: reading.meter_number,
            value: reading.value,
            period: reading.period,
            submitted_at: reading.submitted_at,
            warnings: reading.warnings,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitAnonymousReadingError {
    /// Too many anonymous readings of the meter, or from the client network; another may
    /// come after `retry_after`.
    #[error("too many anonymous readings")]
    TooManyRequests { retry_after: TimeDelta },
    /// No meter with that number in the registry.
    #[error("no meter with that number")]
    MeterNotFound,
    /// Today is outside the month's reading window.
    #[error("readings are taken from day {} to day {} of the month", window.from_day(), window.to_day())]
    WindowClosed { window: ReadingWindow },
    /// The reading is below the previous one, whose value is not told: it is the
    /// subscriber's.
    #[error("the reading is below the previous reading")]
    BelowPrevious,
    /// The consumption is above the hard cap for strangers.
    #[error("the consumption is above the cap for anonymous readings")]
    Implausible,
    /// The subscriber gave this period's reading from the cabinet, and a stranger's never
    /// replaces it.
    #[error("the period's reading was given from the cabinet")]
    AlreadySubmitted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PrepareReadingError> for SubmitAnonymousReadingError {
    fn from(error: PrepareReadingError) -> Self {
        match error {
            PrepareReadingError::Rejected(ReadingRejected::WindowClosed { window }) => {
                Self::WindowClosed { window }
            }
            PrepareReadingError::Rejected(ReadingRejected::BelowPrevious { .. }) => {
                Self::BelowPrevious
            }
            PrepareReadingError::Store(error) => Self::Store(error),
        }
    }
}

/// The key under which a meter's anonymous readings are counted.
fn meter_key(meter: &MeterNumber) -> String {
    format!("reading:meter:{meter}")
}

/// The key under which a client network's anonymous readings are counted.
fn network_limit_key(ip: IpAddr) -> String {
    ClientNetwork::from(ip).limit_key("readings")
}

/// Takes a reading from anyone who knows the meter's number.
#[derive(Debug)]
pub struct SubmitAnonymousReading {
    meters: Arc<dyn MeterRepository>,
    readings: Arc<dyn ReadingRepository>,
    attempts: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    prepare: PrepareReading,
    policy: ReadingPolicy,
    limits: Limits,
}

impl SubmitAnonymousReading {
    pub fn new(
        meters: Arc<dyn MeterRepository>,
        readings: Arc<dyn ReadingRepository>,
        attempts: Arc<dyn AttemptCounter>,
        random: Arc<dyn Random>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            meters,
            prepare: PrepareReading::new(Arc::clone(&readings), random, settings),
            readings,
            attempts,
            clock,
            policy: settings.reading_policy,
            limits: settings.limits,
        }
    }

    /// Counts the attempt against the client network (an unknown meter too), then against the
    /// meter, before any check: a refused reading counts as much as a stored one, so that
    /// neither an unknown meter nor the refusals are a free oracle. Then assesses the reading
    /// as the cabinet would, refuses an implausible consumption, and stores it unless the
    /// period's reading came from the cabinet.
    pub async fn execute(
        &self,
        command: SubmitAnonymousReadingCommand,
        answering: Option<&Answering<AnonymousReceipt>>,
    ) -> Result<AnonymousReceipt, SubmitAnonymousReadingError> {
        let now = self.clock.now();
        if let Some(ip) = command.client_ip {
            self.count(
                &network_limit_key(ip),
                self.limits.anonymous_readings_per_network,
                now,
            )
            .await?;
        }
        let located = self
            .meters
            .find(&command.meter_number)
            .await?
            .ok_or(SubmitAnonymousReadingError::MeterNotFound)?;
        self.count(
            &meter_key(&located.meter.number),
            self.limits.anonymous_readings_per_meter,
            now,
        )
        .await?;
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
                submitted_at: now,
            })
            .await?;
        if let Err(implausible) = self.policy.check_anonymous(reading.consumption) {
            tracing::warn!(
                meter = %reading.meter_number,
                consumption = %implausible.consumption,
                cap = %implausible.cap,
                "anonymous reading refused: implausible consumption"
            );
            return Err(SubmitAnonymousReadingError::Implausible);
        }
        let receipt = AnonymousReceipt::from(reading.clone());
        let answer = answer_for(answering, &receipt);
        match self.readings.save(&reading, answer).await? {
            Saved::Stored => Ok(receipt),
            Saved::NotReplaced => {
                tracing::info!(
                    meter = %reading.meter_number,
                    period = %reading.period,
                    "anonymous reading refused: the period's reading came from the cabinet"
                );
                Err(SubmitAnonymousReadingError::AlreadySubmitted)
            }
        }
    }

    /// Counts one attempt under `key`, refused when the limit is reached.
    async fn count(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<(), SubmitAnonymousReadingError> {
        match self.attempts.acquire(key, limit, now).await? {
            LimitState::Allowed => Ok(()),
            LimitState::Exceeded { retry_after } => {
                tracing::warn!(key, "anonymous reading refused: too many attempts");
                Err(SubmitAnonymousReadingError::TooManyRequests { retry_after })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{
        LocatedMeter, MockAttemptCounter, MockMeterRepository, MockReadingRepository,
    };
    use crate::readings::fixtures::reading;
    use crate::testing::down;
    use crate::testing::{account, account_number, clock, meter_number, now, phone, random};
    use vodokanal_domain::{ReadingSource, ReadingWarning};

    const NETWORK_KEY: &str = "readings:ip:198.51.100.7";

    fn full_name() -> FullName {
        "Иванова Мария Петровна".parse().unwrap()
    }

    fn ip() -> IpAddr {
        IpAddr::from([198, 51, 100, 7])
    }

    fn command(value: &str) -> SubmitAnonymousReadingCommand {
        SubmitAnonymousReadingCommand {
            full_name: full_name(),
            phone: phone(),
            meter_number: meter_number(),
            value: value.parse().unwrap(),
            client_ip: Some(ip()),
        }
    }

    fn meter_limit_key() -> String {
        format!("reading:meter:{}", meter_number())
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

    /// An attempt counter answering `network` for the client network and `meter` for the
    /// meter, each counted once (`None`: not asked).
    fn attempts(network: Option<LimitState>, meter: Option<LimitState>) -> MockAttemptCounter {
        let limits = Limits::default();
        let mut attempts = MockAttemptCounter::new();
        if let Some(state) = network {
            attempts
                .expect_acquire()
                .withf(move |key, limit, at| {
                    key == NETWORK_KEY
                        && *limit == limits.anonymous_readings_per_network
                        && *at == now()
                })
                .times(1)
                .returning(move |_, _, _| Ok(state));
        }
        if let Some(state) = meter {
            attempts
                .expect_acquire()
                .withf(move |key, limit, at| {
                    key == meter_limit_key()
                        && *limit == limits.anonymous_readings_per_meter
                        && *at == now()
                })
                .times(1)
                .returning(move |_, _, _| Ok(state));
        }
        attempts
    }

    fn allowed() -> MockAttemptCounter {
        attempts(Some(LimitState::Allowed), Some(LimitState::Allowed))
    }

    fn use_case_with(
        meters: MockMeterRepository,
        readings: MockReadingRepository,
        attempts: MockAttemptCounter,
        settings: &Settings,
    ) -> SubmitAnonymousReading {
        SubmitAnonymousReading::new(
            Arc::new(meters),
            Arc::new(readings),
            Arc::new(attempts),
            random(),
            clock(),
            settings,
        )
    }

    fn use_case(
        meters: MockMeterRepository,
        readings: MockReadingRepository,
        settings: &Settings,
    ) -> SubmitAnonymousReading {
        use_case_with(meters, readings, allowed(), settings)
    }

    fn saving(mut readings: MockReadingRepository, outcome: Saved) -> MockReadingRepository {
        readings
            .expect_save()
            .times(1)
            .returning(move |_, _| Ok(outcome));
        readings
    }

    #[tokio::test]
    async fn a_reading_is_stored_whole_and_the_stranger_told_nothing_of_the_account() {
        let stored = Reading {
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
            voided: None,
        };
        let mut readings = readings_after("100");
        let expected = stored.clone();
        readings
            .expect_save()
            .withf(move |saved, _| *saved == expected)
            .times(1)
            .returning(|_, _| Ok(Saved::Stored));
        let outcome = use_case(meters_finding(true), readings, &Settings::default())
            .execute(command("110"), None)
            .await;
        assert_eq!(
            outcome,
            Ok(AnonymousReceipt {
                id: stored.id,
                meter_number: meter_number(),
                value: "110".parse().unwrap(),
                period: "2026-11".parse().unwrap(),
                submitted_at: now(),
                warnings: vec![],
            })
        );
    }

    #[tokio::test]
    async fn a_cabinet_reading_of_the_period_is_never_replaced() {
        let readings = saving(readings_after("100"), Saved::NotReplaced);
        let outcome = use_case(meters_finding(true), readings, &Settings::default())
            .execute(command("110"), None)
            .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::AlreadySubmitted));
    }

    #[tokio::test]
    async fn a_consumption_above_the_cap_is_implausible_and_nothing_is_stored() {
        // No save expectation: storing anything would fail the test.
        let outcome = use_case(
            meters_finding(true),
            readings_after("100"),
            &Settings::default(),
        )
        .execute(command("999999.999"), None)
        .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::Implausible));
    }

    #[tokio::test]
    async fn a_consumption_up_to_the_cap_is_stored_with_its_warning() {
        let mut settings = Settings::default();
        settings.reading_policy.anonymous_cap = Some("40".parse().unwrap());
        let readings = saving(readings_after("100"), Saved::Stored);
        let receipt = use_case(meters_finding(true), readings, &settings)
            .execute(command("140"), None)
            .await
            .unwrap();
        assert_eq!(
            receipt.warnings,
            vec![ReadingWarning::ConsumptionUnusuallyHigh]
        );
        let outcome = use_case(meters_finding(true), readings_after("100"), &settings)
            .execute(command("140.001"), None)
            .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::Implausible));
    }

    #[tokio::test]
    async fn an_unknown_meter_is_not_found_once_counted_against_the_network() {
        let outcome = use_case_with(
            meters_finding(false),
            MockReadingRepository::new(),
            attempts(Some(LimitState::Allowed), None),
            &Settings::default(),
        )
        .execute(command("110"), None)
        .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::MeterNotFound));
    }

    #[tokio::test]
    async fn past_the_networks_limit_not_even_the_meter_is_looked_up() {
        let wait = TimeDelta::minutes(12);
        let outcome = use_case_with(
            MockMeterRepository::new(),
            MockReadingRepository::new(),
            attempts(Some(LimitState::Exceeded { retry_after: wait }), None),
            &Settings::default(),
        )
        .execute(command("110"), None)
        .await;
        assert_eq!(
            outcome,
            Err(SubmitAnonymousReadingError::TooManyRequests { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn past_the_meters_limit_nothing_is_assessed() {
        let wait = TimeDelta::hours(5);
        let outcome = use_case_with(
            meters_finding(true),
            MockReadingRepository::new(),
            attempts(
                Some(LimitState::Allowed),
                Some(LimitState::Exceeded { retry_after: wait }),
            ),
            &Settings::default(),
        )
        .execute(command("110"), None)
        .await;
        assert_eq!(
            outcome,
            Err(SubmitAnonymousReadingError::TooManyRequests { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn without_a_client_address_only_the_meter_is_counted() {
        let readings = saving(readings_after("100"), Saved::Stored);
        let outcome = use_case_with(
            meters_finding(true),
            readings,
            attempts(None, Some(LimitState::Allowed)),
            &Settings::default(),
        )
        .execute(
            SubmitAnonymousReadingCommand {
                client_ip: None,
                ..command("110")
            },
            None,
        )
        .await;
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_reading_below_the_previous_is_refused_without_its_value() {
        let outcome = use_case(
            meters_finding(true),
            readings_after("100"),
            &Settings::default(),
        )
        .execute(command("99"), None)
        .await;
        assert_eq!(outcome, Err(SubmitAnonymousReadingError::BelowPrevious));
    }

    #[tokio::test]
    async fn a_reading_outside_the_window_is_refused() {
        let window: ReadingWindow = "1-10".parse().unwrap();
        let mut settings = Settings::default();
        settings.reading_policy.window = Some(window);
        let outcome = use_case(meters_finding(true), readings_after("100"), &settings)
            .execute(command("110"), None)
            .await;
        assert_eq!(
            outcome,
            Err(SubmitAnonymousReadingError::WindowClosed { window })
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> SubmitAnonymousReading;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 4] = [
            ("network count", || {
                let mut attempts = MockAttemptCounter::new();
                attempts.expect_acquire().returning(|_, _, _| Err(down()));
                let (meters, readings) = (MockMeterRepository::new(), MockReadingRepository::new());
                use_case_with(meters, readings, attempts, &Settings::default())
            }),
            ("meter lookup", || {
                let mut meters = MockMeterRepository::new();
                meters.expect_find().returning(|_| Err(down()));
                let attempts = attempts(Some(LimitState::Allowed), None);
                use_case_with(
                    meters,
                    MockReadingRepository::new(),
                    attempts,
                    &Settings::default(),
                )
            }),
            ("previous lookup", || {
                let mut readings = MockReadingRepository::new();
                readings.expect_last_before().returning(|_, _| Err(down()));
                use_case(meters_finding(true), readings, &Settings::default())
            }),
            ("save", || {
                let mut readings = readings_after("100");
                readings.expect_save().returning(|_, _| Err(down()));
                use_case(meters_finding(true), readings, &Settings::default())
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command("110"), None).await;
            assert_eq!(
                outcome,
                Err(SubmitAnonymousReadingError::Store(down())),
                "{step}"
            );
        }
    }
}
