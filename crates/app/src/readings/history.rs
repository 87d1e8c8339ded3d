//! GET `/accounts/{number}/readings?limit&before`: a linked account's readings, newest first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vodokanal_domain::{AccountNumber, Reading, UserId};

use crate::StoreError;
use crate::ports::{AccountRepository, ReadingRepository};

/// How many readings a page holds when the caller does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most readings a page holds; a larger `limit` is cut down to it.
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingHistoryCommand {
    pub user_id: UserId,
    pub account_number: AccountNumber,
    /// `None`: [`DEFAULT_LIMIT`]; otherwise clamped to `1..=MAX_LIMIT`.
    pub limit: Option<u32>,
    /// Only readings submitted before this instant (the next page).
    pub before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingHistoryError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of a linked account's readings.
#[derive(Debug)]
pub struct ReadingHistory {
    accounts: Arc<dyn AccountRepository>,
    readings: Arc<dyn ReadingRepository>,
}

impl ReadingHistory {
    pub fn new(accounts: Arc<dyn AccountRepository>, readings: Arc<dyn ReadingRepository>) -> Self {
        Self { accounts, readings }
    }

    pub async fn execute(
        &self,
        command: ReadingHistoryCommand,
    ) -> Result<Vec<Reading>, ReadingHistoryError> {
        self.accounts
            .linked_one(command.user_id, &command.account_number)
            .await?
            .ok_or(ReadingHistoryError::NotFound)?;
        let limit = command
            .limit
            .map_or(DEFAULT_LIMIT, |limit| limit.clamp(1, MAX_LIMIT));
        Ok(self
            .readings
            .history(&command.account_number, limit, command.before)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::linked;
    use crate::ports::{MockAccountRepository, MockReadingRepository};
    use crate::readings::fixtures::reading;
    use crate::testing::down;
    use crate::testing::{account_number, meter_number, now, user_id};
    use mockall::predicate::eq;

    fn linked_account() -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked_one()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| Ok(Some(linked(None))));
        accounts
    }

    fn command(limit: Option<u32>, before: Option<DateTime<Utc>>) -> ReadingHistoryCommand {
        ReadingHistoryCommand {
            user_id: user_id(),
            account_number: account_number(),
            limit,
            before,
        }
    }

    /// Runs the history with `limit` and checks the store was asked for `expected`.
    async fn asks_for(limit: Option<u32>, expected: u32) {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_history()
            .with(eq(account_number()), eq(expected), eq(None))
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let history = ReadingHistory::new(Arc::new(linked_account()), Arc::new(readings));
        assert_eq!(history.execute(command(limit, None)).await, Ok(vec![]));
    }

    #[tokio::test]
    async fn the_page_before_an_instant_is_returned_as_the_store_orders_it() {
        let before = now();
        let page = vec![
            reading(meter_number(), "120", now() - chrono::TimeDelta::days(1)),
            reading(meter_number(), "110", now() - chrono::TimeDelta::days(31)),
        ];
        let returned = page.clone();
        let mut readings = MockReadingRepository::new();
        readings
            .expect_history()
            .with(eq(account_number()), eq(20), eq(Some(before)))
            .times(1)
            .return_once(move |_, _, _| Ok(returned));
        let history = ReadingHistory::new(Arc::new(linked_account()), Arc::new(readings));
        assert_eq!(
            history.execute(command(Some(20), Some(before))).await,
            Ok(page)
        );
    }

    #[tokio::test]
    async fn the_limit_defaults_to_50() {
        asks_for(None, 50).await;
    }

    #[tokio::test]
    async fn the_limit_is_clamped_to_1_through_100() {
        asks_for(Some(0), 1).await;
        asks_for(Some(1), 1).await;
        asks_for(Some(100), 100).await;
        asks_for(Some(101), 100).await;
        asks_for(Some(u32::MAX), 100).await;
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked_one().returning(|_, _| Ok(None));
        let history =
            ReadingHistory::new(Arc::new(accounts), Arc::new(MockReadingRepository::new()));
        assert_eq!(
            history.execute(command(None, None)).await,
            Err(ReadingHistoryError::NotFound)
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> ReadingHistory;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("account", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_linked_one().returning(|_, _| Err(down()));
                ReadingHistory::new(Arc::new(accounts), Arc::new(MockReadingRepository::new()))
            }),
            ("readings", || {
                let mut readings = MockReadingRepository::new();
                readings.expect_history().returning(|_, _, _| Err(down()));
                ReadingHistory::new(Arc::new(linked_account()), Arc::new(readings))
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command(None, None)).await;
            assert_eq!(outcome, Err(ReadingHistoryError::Store(down())), "{step}");
        }
    }
}
