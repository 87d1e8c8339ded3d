//! POST `/accounts`: link an account by its number and the last four digits of one of its
//! meters. The digits are a weak secret, so failures are limited per user and per account
//! number (`security.md`), and "no such account" and "wrong digits" get the same answer.
//!
//! Every other profile that holds the account is told by SMS that a new profile linked it
//! (with the contact center's phone), through the SMS outbox in the link's own transaction:
//! a link is never left untold, and a refused link tells no one.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{AccountNumber, Label, MeterLast4, UserId};

use super::view::{AccountView, AccountViews};
use crate::ports::{
    AccountRepository, AttemptCounter, Clock, LimitState, LinkError, LinkNotice, PaymentRepository,
    ReadingRepository,
};
use crate::settings::Limits;
use crate::sms::SmsBudget;
use crate::{Settings, StoreError};

/// How long the gateway is tried with a link notice before it is given up.
pub const NOTICE_VALIDITY: TimeDelta = TimeDelta::hours(24);

/// The SMS to the other holders of account `number`; `phone` is the contact center's.
pub fn notice_text(number: &AccountNumber, phone: Option<&str>) -> String {
    let call = phone.map_or_else(
        || "обратитесь в контактный центр".to_owned(),
        |phone| format!("позвоните {phone}"),
    );
    format!("К лицевому счёту {number} привязан новый профиль. Если это не вы, {call}.")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAccountCommand {
    pub user_id: UserId,
    pub number: AccountNumber,
    pub last4: MeterLast4,
    pub label: Option<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkAccountError {
    /// Too many failed links by this user or for this account number; another try may come
    /// after `retry_after`. The correct digits are refused too until the window passes.
    #[error("too many failed attempts to link an account")]
    TooManyAttempts { retry_after: TimeDelta },
    /// No such account, or none of its meters ends with the digits.
    #[error("no account with that number has a meter ending with those digits")]
    LinkFailed,
    /// The account is already linked to this user.
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
#[derive(Debug)]
pub struct LinkAccount {
    accounts: Arc<dyn AccountRepository>,
    attempts: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    views: AccountViews,
    limits: Limits,
    budget: SmsBudget,
    /// The contact center's first phone, for the notice.
    contact_phone: Option<String>,
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
            views: AccountViews::new(accounts.clone(), readings, payments, settings),
            accounts,
            budget: SmsBudget::new(attempts.clone(), &settings.limits),
            attempts,
            clock,
            limits: settings.limits,
            contact_phone: settings.contact_center.phones.first().cloned(),
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

        let notice = LinkNotice {
            text: notice_text(&command.number, self.contact_phone.as_deref()),
            created_at: now,
            expires_at: now + NOTICE_VALIDITY,
        };
        match self
            .accounts
            .link(
                command.user_id,
                &command.number,
                command.label.clone(),
                now,
                Some(notice),
            )
            .await
        {
            Ok(()) => {}
            Err(LinkError::AlreadyLinked) => return Err(LinkAccountError::AlreadyLinked),
            Err(LinkError::Store(error)) => return Err(error.into()),
        }
        let view = self
            .views
            .build(command.user_id, account, command.label)
            .await?;
        tracing::info!(user = %command.user_id, other_holders = view.other_holders, "account linked; its other holders are told by SMS");
        // The notices are queued with the link: they spend the budgets but are never refused.
        if let Err(error) = self.budget.record(view.other_holders, now).await {
            tracing::warn!(%error, "the link notices could not be counted in the SMS budget");
        }
        Ok(view)
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
    use crate::accounts::view::fixtures::{expected_view, holders, label, views};
    use crate::ports::{Limit, MockAccountRepository, MockAttemptCounter};
    use crate::testing::down;
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
        let attempts: Arc<MockAttemptCounter> = Arc::new(attempts);
        LinkAccount {
            accounts: Arc::new(accounts),
            budget: SmsBudget::new(attempts.clone(), &Limits::default()),
            attempts,
            clock: clock(),
            views: views(),
            limits: Limits::default(),
            contact_phone: Settings::default().contact_center.phones.first().cloned(),
        }
    }

    /// The notice of the fixture account, with the default contact center's phone.
    fn notice() -> LinkNotice {
        LinkNotice {
            text: notice_text(
                &account_number(),
                Settings::default()
                    .contact_center
                    .phones
                    .first()
                    .map(String::as_str),
            ),
            created_at: now(),
            expires_at: now() + TimeDelta::hours(24),
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

    #[test]
    fn the_notice_names_the_account_and_the_contact_centers_phone() {
        let number: AccountNumber = "100001".parse().unwrap();
        assert_eq!(
            notice_text(&number, Some("+7 (4932) 93-01-08")),
            "К лицевому счёту 100001 привязан новый профиль. Если это не вы, позвоните \
             +7 (4932) 93-01-08."
        );
        assert_eq!(
            notice_text(&number, None),
            "К лицевому счёту 100001 привязан новый профиль. Если это не вы, обратитесь в \
             контактный центр."
        );
    }

    #[tokio::test]
    async fn the_right_digits_link_the_account_with_its_label_and_tell_the_other_holders() {
        let mut accounts = finding_the_account();
        accounts
            .expect_link()
            .withf(|user, number, label_given, at, notice_given| {
                *user == user_id()
                    && *number == account_number()
                    && *label_given == Some(label())
                    && *at == now()
                    && *notice_given == Some(notice())
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let view = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await
            .unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn the_notices_to_the_other_holders_spend_the_sms_budget() {
        let mut accounts = finding_the_account();
        accounts.expect_link().returning(|_, _, _, _, _| Ok(()));
        let mut attempts = allowed_and_taken_back();
        attempts
            .expect_record()
            .with(eq(crate::sms::budget::BUDGET_KEY), eq(now()))
            .times(2)
            .return_const(Ok(()));
        attempts
            .expect_check()
            .return_const(Ok(LimitState::Allowed));
        let mut use_case = link_account(accounts, attempts);
        use_case.views = AccountViews::new(
            holders(2),
            Arc::new(crate::accounts::view::fixtures::readings_with_last()),
            Arc::new(crate::accounts::view::fixtures::payments_paying("300.00")),
            &Settings::default(),
        );
        let view = use_case.execute(command("1234")).await.unwrap();
        assert_eq!(view.other_holders, 2);
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
            .returning(|_, _, _, _, _| Err(LinkError::AlreadyLinked));
        let outcome = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::AlreadyLinked));
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
        accounts.expect_link().returning(|_, _, _, _, _| Ok(()));
        let mut attempts = allowed();
        attempts.expect_release().returning(|_, _| Err(down()));
        let view = link_account(accounts, attempts)
            .execute(command("1234"))
            .await
            .unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn a_failing_account_lookup_takes_both_attempts_back() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_find().returning(|_| Err(down()));
        let outcome = link_account(accounts, allowed_and_taken_back())
            .execute(command("1234"))
            .await;
        assert_eq!(outcome, Err(LinkAccountError::Store(down())));
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> LinkAccount;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("attempt counter", || {
                let mut attempts = MockAttemptCounter::new();
                attempts.expect_acquire().return_const(Err(down()));
                link_account(MockAccountRepository::new(), attempts)
            }),
            ("link", || {
                let mut accounts = finding_the_account();
                accounts
                    .expect_link()
                    .returning(|_, _, _, _, _| Err(LinkError::Store(down())));
                link_account(accounts, allowed_and_taken_back())
            }),
            ("view", || {
                let mut accounts = finding_the_account();
                accounts.expect_link().returning(|_, _, _, _, _| Ok(()));
                let mut payments = crate::ports::MockPaymentRepository::new();
                payments
                    .expect_succeeded_since()
                    .returning(|_, _| Err(down()));
                let mut use_case = link_account(accounts, allowed_and_taken_back());
                use_case.views = AccountViews::new(
                    holders(0),
                    Arc::new(crate::ports::MockReadingRepository::new()),
                    Arc::new(payments),
                    &Settings::default(),
                );
                use_case
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command("1234")).await;
            assert_eq!(outcome, Err(LinkAccountError::Store(down())), "{step}");
        }
    }
}
