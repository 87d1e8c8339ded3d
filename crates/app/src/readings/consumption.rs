//! GET `/accounts/{number}/consumption`: a linked account's consumption at a glance, per
//! meter the periods of the last year ending with the current one.

use std::sync::Arc;

use vodokanal_domain::{AccountNumber, ConsumptionSeries, MeterNumber, UserId, UtilityCalendar};

use crate::ports::{AccountRepository, Clock, ReadingRepository};
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewConsumptionCommand {
    pub user_id: UserId,
    pub account_number: AccountNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewConsumptionError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The consumption series of a linked account's meters, from two reads of the readings: the
/// live ones of the series' periods and each meter's last live one before them (the base of
/// the first period's consumption).
#[derive(Debug)]
pub struct ViewConsumption {
    accounts: Arc<dyn AccountRepository>,
    readings: Arc<dyn ReadingRepository>,
    clock: Arc<dyn Clock>,
    calendar: UtilityCalendar,
}

impl ViewConsumption {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            readings,
            clock,
            calendar: settings.calendar,
        }
    }

    pub async fn execute(
        &self,
        command: ViewConsumptionCommand,
    ) -> Result<ConsumptionSeries, ViewConsumptionError> {
        let linked = self
            .accounts
            .linked_one(command.user_id, &command.account_number)
            .await?
            .ok_or(ViewConsumptionError::NotFound)?;
        let current = self.calendar.period(self.clock.now());
        let first = ConsumptionSeries::first_period(current);
        let meters = &linked.account.meters;
        let numbers: Vec<MeterNumber> = meters.iter().map(|m| m.number.clone()).collect();
        let (mut readings, since) = futures::future::try_join(
            self.readings.last_before_each(&numbers, first),
            self.readings.live_since_each(&numbers, first),
        )
        .await?;
        readings.extend(since);
        Ok(ConsumptionSeries::build(current, meters, &readings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::linked;
    use crate::ports::{MockAccountRepository, MockReadingRepository};
    use crate::readings::fixtures::reading;
    use crate::testing::{account_number, clock, down, meter_number, now, user_id};
    use chrono::TimeDelta;
    use vodokanal_domain::Period;

    fn period(text: &str) -> Period {
        text.parse().unwrap()
    }

    fn linked_account() -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked_one()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| Ok(Some(linked(None))));
        accounts
    }

    fn command() -> ViewConsumptionCommand {
        ViewConsumptionCommand {
            user_id: user_id(),
            account_number: account_number(),
        }
    }

    fn view(accounts: MockAccountRepository, readings: MockReadingRepository) -> ViewConsumption {
        ViewConsumption::new(
            Arc::new(accounts),
            Arc::new(readings),
            clock(),
            &Settings::default(),
        )
    }

    #[tokio::test]
    async fn the_series_ends_with_the_current_period_and_counts_the_base_before_it() {
        // The clock's now is 2026-11-16 in Moscow: the series is 2025-12 ..= 2026-11.
        let mut readings = MockReadingRepository::new();
        readings
            .expect_last_before_each()
            .withf(|meters, from| meters == [meter_number()] && *from == period("2025-12"))
            .times(1)
            .returning(|_, _| {
                Ok(vec![reading(
                    meter_number(),
                    "90",
                    now() - TimeDelta::days(400),
                )])
            });
        readings
            .expect_live_since_each()
            .withf(|meters, from| meters == [meter_number()] && *from == period("2025-12"))
            .times(1)
            .returning(|_, _| {
                Ok(vec![
                    reading(meter_number(), "100", now() - TimeDelta::days(31)),
                    reading(meter_number(), "104.5", now()),
                ])
            });
        let series = view(linked_account(), readings)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(series.current, period("2026-11"));
        assert_eq!(series.periods.first(), Some(&period("2025-12")));
        let points = &series.meters[0].points;
        assert_eq!(points.len(), 12);
        let october = points[10];
        assert_eq!(october.period, period("2026-10"));
        // The base is the reading of a year before, outside the series.
        assert_eq!(october.consumption, Some("10".parse().unwrap()));
        assert_eq!(october.spans_periods, Some(12));
        let november = points[11];
        assert_eq!(november.consumption, Some("4.5".parse().unwrap()));
        assert_eq!(november.spans_periods, Some(1));
        assert!(points[..10].iter().all(|p| p.value.is_none()));
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked_one().returning(|_, _| Ok(None));
        assert_eq!(
            view(accounts, MockReadingRepository::new())
                .execute(command())
                .await,
            Err(ViewConsumptionError::NotFound)
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> ViewConsumption;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("account", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_linked_one().returning(|_, _| Err(down()));
                view(accounts, MockReadingRepository::new())
            }),
            ("base", || {
                let mut readings = MockReadingRepository::new();
                readings
                    .expect_last_before_each()
                    .returning(|_, _| Err(down()));
                readings
                    .expect_live_since_each()
                    .returning(|_, _| Ok(vec![]));
                view(linked_account(), readings)
            }),
            ("series", || {
                let mut readings = MockReadingRepository::new();
                readings
                    .expect_last_before_each()
                    .returning(|_, _| Ok(vec![]));
                readings
                    .expect_live_since_each()
                    .returning(|_, _| Err(down()));
                view(linked_account(), readings)
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command()).await;
            assert_eq!(outcome, Err(ViewConsumptionError::Store(down())), "{step}");
        }
    }
}
