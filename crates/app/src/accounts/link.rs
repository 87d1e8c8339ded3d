//! POST `/accounts`: link an account by its number and the last four digits of one of its
//! meters. The digits are a weak secret, so failures are limited per user and per account
//! number (`security.md`), and "no such account" and "wrong digits" get the same answer.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{AccountNumber, Label, MeterLast4, UserId};

use super::view::{AccountView, AccountViews};
use crate::ports::{
    AccountRepository, AttemptCounter, Clock, LimitState, LinkError, PaymentRepository,
    ReadingRepository,
};
use crate::settings::Limits;
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAccountCommand {
    pub user_id: UserId,
    pub number: AccountNumber,
    pub last4: MeterLast4,
    pub label: Option<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkAccountError {
    /// 429 `too_many_requests` (with `Retry-After`): too many failed links by this user or for
    /// this account number. The correct digits are refused too until the window passes.
    #[error("too many failed attempts to link an account")]
    TooManyAttempts { retry_after: TimeDelta },
    /// 422 `account_link_failed`: no such account, or none of its meters ends with the digits.
    #[error("no account with that number has a meter ending with those digits")]
    LinkFailed,
    /// 409 `account_already_linked`.
    #[error("the account is already linked to this user")]
    AlreadyLinked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key under which a user's failed links are counted.
fn user_key(user: UserId) -> String {
    format!("link:user:{user}")
}

/// The key under which an account number's failed links are counted, across all users.
fn account_key(number: &AccountNumber) -> String {
    format!("link:account:{number}")
}

/// Links an account to the caller.
pub struct LinkAccount {
    accounts: Arc<dyn AccountRepository>,
    attempts: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    views: AccountViews,
    limits: Limits,
}

impl fmt::Debug for LinkAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkAccount")
    }
}

impl LinkAccount {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        payments: Arc<dyn PaymentRepository>,
        attempts: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            attempts,
            clock,
            views: AccountViews::new(readings, payments, settings),
            limits: settings.limits,
        }
    }

    /// Counts an attempt under both limits before anything else, so that concurrent guesses
    /// can't all pass a check made before any of them is counted. Only a wrong guess stays
    /// counted: the attempts of a refused request, of a success and of a store failure are
    /// taken back. A success forgives nothing else: failures age out of their window only.
    pub async fn execute(
        &self,
        command: LinkAccountCommand,
    ) -> Result<AccountView, LinkAccountError> {
        let now = self.clock.now();
        let user_key = user_key(command.user_id);
        let account_key = account_key(&command.number);
        let limits = [
            (user_key.as_str(), self.limits.link_failures_per_user),
            (account_key.as_str(), self.limits.link_failures_per_account),
        ];
        let mut counted = Vec::with_capacity(limits.len());
        let mut retry_after = None;
        for (key, limit) in limits {
            match self.attempts.acquire(key, limit, now).await {
                Ok(LimitState::Allowed) => counted.push(key),
                Ok(LimitState::Exceeded { retry_after: wait }) => {
                    retry_after = retry_after.max(Some(wait));
                }
                Err(error) => {
                    self.take_back(&counted, now).await;
                    return Err(error.into());
                }
            }
        }
        if let Some(retry_after) = retry_after {
            self.take_back(&counted, now).await;
            tracing::warn!(user = %command.user_id, "account linking refused: too many failures");
            return Err(LinkAccountError::TooManyAttempts { retry_after });
        }

        let found = match self.accounts.find(&command.number).await {
            Ok(found) => found,
            Err(error) => {
                self.take_back(&counted, now).await;
                return Err(error.into());
            }
        };
        let Some(account) = found.filter(|account| account.has_meter_ending_with(&command.last4))
        else {
            tracing::info!(user = %command.user_id, "account linking failed");
            return Err(LinkAccountError::LinkFailed);
        };
        self.take_back(&counted, now).await;

        match self
            .accounts
            .link(command.user_id, &command.number, command.label.clone(), now)
            .await
        {
            Ok(()) => {}
            Err(LinkError::AlreadyLinked) => return Err(LinkAccountError::AlreadyLinked),
            Err(LinkError::Store(error)) => return Err(error.into()),
        }
        tracing::info!(user = %command.user_id, "account linked");
        Ok(self.views.build(account, command.label).await?)
    }

    /// Takes back the attempts counted under `keys` at `now`. Best effort: an attempt left
    /// counted only makes the limit stricter, so a failure here is logged, not reported.
    async fn take_back(&self, keys: &[&str], now: DateTime<Utc>) {
        for key in keys {
            if let Err(error) = self.attempts.release(key, now).await {
                tracing::warn!(%error, "an attempt to link an account could not be taken back");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::{down, expected_view, label, views};
    use crate::ports::{Limit, MockAccountRepository, MockAttemptCounter};
    use crate::testing::{account, account_number, clock, now, user_id};
    use mockall::predicate::eq;

    fn keys() -> (String, String) {
        (
            format!("link:user:{}", user_id()),
            "link:account:123456".to_owned(),
        )
    }

    fn command(last4: &str) -> LinkAccountCommand {
        LinkAccountCommand {
            user_id: user_id(),
            number: account_number(),
            last4: last4.parse().unwrap(),
            label: Some(label()),
        }
    }

    fn link_account(accounts: MockAccountRepository, attempts: MockAttemptCounter) -> LinkAccount {
        LinkAccount {
            accounts: Arc::new(accounts),
            attempts: Arc::new(attempts),
            clock: clock(),
            views: views(),
            limits: Limits::default(),
        }
    }

    /// Counters under which both limits give `user` and `account`.
    fn counters(user: LimitState, account: LimitState) -> MockAttemptCounter {
        let (user_key, account_key) = keys();
        let limits = Limits::default();
        let mut attempts = MockAttemptCounter::new();
        attempts
            .expect_acquire()
            .with(eq(user_key), eq(limits.link_failures_per_user), eq(now()))
            .times(1)
            .return_const(Ok(user));
        attempts
            .expect_acquire()
            .with(
                eq(account_key),
                eq(limits.link_failures_per_account),
                eq(now()),
            )
            .times(1)
            .return_const(Ok(account));
        attempts
    }

    fn allowed() -> MockAttemptCounter {
        counters(LimitState::Allowed, LimitState::Allowed)
    }

    /// Expects the attempt counted under `key` to be taken back once.
    fn takes_back(attempts: &mut MockAttemptCounter, key: String) {
        attempts
            .expect_release()
            .with(eq(key), eq(now()))
            .times(1)
            .returning(|_, _| Ok(()));
    }

    /// Allowed counters that expect both attempts taken back: the request was no wrong guess.
    fn allowed_and_taken_back() -> MockAttemptCounter {
        let (user_key, account_key) = keys();
        let mut attempts = allowed();
        takes_back(&mut attempts, user_key);
        takes_back(&mut attempts, account_key);
        attempts
    }

    fn finding_the_account() -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_find()
            .withf(|number| *number == account_number())
            .times(1)
            .returning(|_| Ok(Some(account())));
        accounts
    }

    #[tokio::test]
    async fn the_right_digits_link_the_account_with_its_label() {
        let mut accounts = finding_the_account();
        accounts
            .expect_link()
            .withf(|user, number, label_given, at| {
                *user == user_id()
                    && *number == account_number()
                    && *label_given == Some(label())
                    && *at == now()
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let view = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await
            .unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn wrong_digits_fail_and_stay_counted_against_the_user_and_the_account() {
        // Nothing is taken back: the mock has no `release` to call.
        let outcome = link_account(finding_the_account(), allowed())
            .execute(command("9999"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::LinkFailed));
    }

    #[tokio::test]
    async fn an_unknown_account_gets_the_same_answer_as_wrong_digits() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_find().times(1).returning(|_| Ok(None));
        let outcome = link_account(accounts, allowed())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::LinkFailed));
    }

    #[tokio::test]
    async fn a_user_over_the_limit_is_refused_before_the_account_is_looked_up() {
        let wait = TimeDelta::hours(3);
        let mut attempts = counters(
            LimitState::Exceeded { retry_after: wait },
            LimitState::Allowed,
        );
        takes_back(&mut attempts, keys().1);
        let outcome = link_account(MockAccountRepository::new(), attempts)
            .execute(command("1234"))
            .await;
        assert_eq!(
            outcome,
            Err(LinkAccountError::TooManyAttempts { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn the_correct_digits_are_refused_while_the_account_is_frozen() {
        let wait = TimeDelta::hours(20);
        let mut attempts = counters(
            LimitState::Allowed,
            LimitState::Exceeded { retry_after: wait },
        );
        takes_back(&mut attempts, keys().0);
        let outcome = link_account(MockAccountRepository::new(), attempts)
            .execute(command("1234"))
            .await;
        assert_eq!(
            outcome,
            Err(LinkAccountError::TooManyAttempts { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn when_both_limits_are_exceeded_the_longer_wait_is_given() {
        let attempts = counters(
            LimitState::Exceeded {
                retry_after: TimeDelta::hours(2),
            },
            LimitState::Exceeded {
                retry_after: TimeDelta::hours(5),
            },
        );
        let outcome = link_account(MockAccountRepository::new(), attempts)
            .execute(command("1234"))
            .await;
        assert_eq!(
            outcome,
            Err(LinkAccountError::TooManyAttempts {
                retry_after: TimeDelta::hours(5)
            })
        );
    }

    #[tokio::test]
    async fn the_limits_come_from_the_settings() {
        let strict = Limits {
            link_failures_per_user: Limit {
                max: 1,
                window: TimeDelta::hours(1),
            },
            link_failures_per_account: Limit {
                max: 2,
                window: TimeDelta::hours(2),
            },
            ..Limits::default()
        };
        let mut attempts = MockAttemptCounter::new();
        attempts
            .expect_acquire()
            .with(eq(keys().0), eq(strict.link_failures_per_user), eq(now()))
            .times(1)
            .return_const(Ok(LimitState::Allowed));
        takes_back(&mut attempts, keys().0);
        attempts
            .expect_acquire()
            .with(
                eq(keys().1),
                eq(strict.link_failures_per_account),
                eq(now()),
            )
            .times(1)
            .return_const(Ok(LimitState::Exceeded {
                retry_after: TimeDelta::minutes(1),
            }));
        let mut use_case = link_account(MockAccountRepository::new(), attempts);
        use_case.limits = strict;
        assert!(matches!(
            use_case.execute(command("1234")).await,
            Err(LinkAccountError::TooManyAttempts { .. })
        ));
    }

    #[tokio::test]
    async fn an_account_linked_already_is_a_conflict() {
        let mut accounts = finding_the_account();
        accounts
            .expect_link()
            .times(1)
            .returning(|_, _, _, _| Err(LinkError::AlreadyLinked));
        let outcome = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::AlreadyLinked));
    }

    #[tokio::test]
    async fn a_failing_attempt_counter_is_reported() {
        let mut attempts = MockAttemptCounter::new();
        attempts.expect_acquire().return_const(Err(down()));
        let outcome = link_account(MockAccountRepository::new(), attempts)
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }

    #[tokio::test]
    async fn a_failing_second_counter_takes_the_first_attempt_back() {
        let mut attempts = MockAttemptCounter::new();
        attempts
            .expect_acquire()
            .with(eq(keys().0), mockall::predicate::always(), eq(now()))
            .return_const(Ok(LimitState::Allowed));
        attempts
            .expect_acquire()
            .with(eq(keys().1), mockall::predicate::always(), eq(now()))
            .return_const(Err(down()));
        takes_back(&mut attempts, keys().0);
        let outcome = link_account(MockAccountRepository::new(), attempts)
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }

    #[tokio::test]
    async fn an_attempt_that_cannot_be_taken_back_still_links() {
        let mut accounts = finding_the_account();
        accounts.expect_link().returning(|_, _, _, _| Ok(()));
        let mut attempts = allowed();
        attempts.expect_release().returning(|_, _| Err(down()));
        let view = link_account(accounts, attempts)
            .execute(command("1234"))
            .await
            .unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn a_failing_account_lookup_is_reported() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_find().returning(|_| Err(down()));
        let outcome = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }

    #[tokio::test]
    async fn a_failing_link_is_reported() {
        let mut accounts = finding_the_account();
        accounts
            .expect_link()
            .returning(|_, _, _, _| Err(LinkError::Store(down())));
        let outcome = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }

    #[tokio::test]
    async fn a_failing_view_after_linking_is_reported() {
        let mut accounts = finding_the_account();
        accounts.expect_link().returning(|_, _, _, _| Ok(()));
        let mut payments = crate::ports::MockPaymentRepository::new();
        payments
            .expect_succeeded_since()
            .returning(|_, _| Err(down()));
        let mut use_case = link_account(accounts, allowed_and_taken_back());
        use_case.views = AccountViews::new(
            Arc::new(crate::ports::MockReadingRepository::new()),
            Arc::new(payments),
            &Settings::default(),
        );
        let outcome = use_case.execute(command("1234")).await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }
}
