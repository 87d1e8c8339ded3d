//! The account as the cabinet shows it (the contract's `account` object), built by
//! [`AccountViews`] for every use case that answers with an account, and
//! [`AccountViews::view`]: GET `/accounts/{number}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use vodokanal_domain::{
    Account, AccountNumber, Balance, Label, Meter, MeterNumber, ReadingValue, UserId,
    UtilityCalendar,
};

use crate::ports::{AccountRepository, AccountSnapshot, PaymentRepository, ReadingRepository};
use crate::{Settings, StoreError};

/// A meter's last reading as the account shows it: the value and the local date it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastReading {
    pub value: ReadingValue,
    pub date: NaiveDate,
}

/// An account with what the subscriber sees of it: `{account_number, label, address, debt,
/// balance_as_of, meters: [{meter_number, service, last_reading, verification_due}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub account: Account,
    pub label: Option<Label>,
    /// The registry's balance less the payments that succeeded after the balance date.
    pub debt: Balance,
    /// The last reading of each meter that has one; a meter without a reading is absent.
    pub last_readings: BTreeMap<MeterNumber, LastReading>,
    /// How many other profiles hold the account (`other_holders`): a count only.
    pub other_holders: u32,
}

impl AccountView {
    /// The meter's last reading, `None` when it has none (`last_reading: null`).
    pub fn last_reading(&self, meter: &MeterNumber) -> Option<LastReading> {
        self.last_readings.get(meter).copied()
    }

    /// The account's meters in the registry's order, each with its last reading.
    pub fn meters(&self) -> impl Iterator<Item = (&Meter, Option<LastReading>)> + '_ {
        self.account
            .meters
            .iter()
            .map(|meter| (meter, self.last_reading(&meter.number)))
    }
}

/// Builds [`AccountView`]s: the debt from the payments since the balance date, the last
/// reading of each meter, the count of other holders. Also the use cases that only show
/// accounts: [`AccountViews::list`] and [`AccountViews::view`].
#[derive(Debug, Clone)]
pub struct AccountViews {
    pub(super) accounts: Arc<dyn AccountRepository>,
    readings: Arc<dyn ReadingRepository>,
    payments: Arc<dyn PaymentRepository>,
    calendar: UtilityCalendar,
}

impl AccountViews {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        payments: Arc<dyn PaymentRepository>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            readings,
            payments,
            calendar: settings.calendar,
        }
    }

    /// The view of `account` under the `label` of its subscriber `user`. The registry's
    /// balance holds until the end of its `balance_as_of` day in the utility's time zone; the
    /// payments that succeeded from then on are taken off it.
    pub async fn build(
        &self,
        user: UserId,
        account: Account,
        label: Option<Label>,
    ) -> Result<AccountView, StoreError> {
        let balance_until = self.calendar.end_of_day(account.balance_as_of);
        let paid = self
            .payments
            .succeeded_since(&account.number, balance_until)
            .await?;
        let debt = account.debt(&paid);
        let mut last_readings = BTreeMap::new();
        for meter in &account.meters {
            if let Some(reading) = self.readings.last_for_meter(&meter.number).await? {
                last_readings.insert(
                    meter.number.clone(),
                    LastReading {
                        value: reading.value,
                        date: self.calendar.today(reading.submitted_at),
                    },
                );
            }
        }
        let other_holders = self.accounts.other_holders(user, &account.number).await?;
        Ok(AccountView {
            account,
            label,
            debt,
            last_readings,
            other_holders,
        })
    }

    /// The view of an account read at once ([`AccountRepository::snapshot`]): the payments
    /// from the end of the balance day by the utility's calendar come off the debt, and each
    /// last reading is shown on its local date.
    pub fn shown(&self, snapshot: AccountSnapshot) -> AccountView {
        let AccountSnapshot {
            linked,
            paid,
            last_readings,
            other_holders,
        } = snapshot;
        let balance_until = self.calendar.end_of_day(linked.account.balance_as_of);
        let debt = linked.account.debt(
            paid.iter()
                .filter(|payment| payment.paid_at >= balance_until)
                .map(|payment| &payment.amount),
        );
        let last_readings = last_readings
            .into_iter()
            .map(|reading| {
                let shown = LastReading {
                    value: reading.value,
                    date: self.calendar.today(reading.submitted_at),
                };
                (reading.meter, shown)
            })
            .collect();
        AccountView {
            account: linked.account,
            label: linked.label,
            debt,
            last_readings,
            other_holders,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewAccountCommand {
    pub user_id: UserId,
    pub number: AccountNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewAccountError {
    /// The account is not linked to the caller (or does not exist).
    #[error("the account is not linked to the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountViews {
    /// GET `/accounts/{number}`: one of the caller's linked accounts, in one read.
    pub async fn view(&self, command: ViewAccountCommand) -> Result<AccountView, ViewAccountError> {
        let snapshot = self
            .accounts
            .snapshot(command.user_id, &command.number)
            .await?
            .ok_or(ViewAccountError::NotFound)?;
        Ok(self.shown(snapshot))
    }
}

/// Mocks and values shared by the tests of the account use cases.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::sync::Arc;

    use chrono::{DateTime, NaiveDate, Utc};
    use vodokanal_domain::{
        Account, Label, LinkedAccount, Meter, MeterNumber, MeterService, Money, Reading,
    };

    use crate::Settings;
    use crate::ports::{
        AccountSnapshot, LatestReading, MockAccountRepository, MockPaymentRepository,
        MockReadingRepository, Paid,
    };
    use crate::readings::fixtures::reading;
    use crate::testing::{account, account_number, meter_number, now, user_id};

    use super::{AccountView, AccountViews, LastReading};

    /// End of 2026-10-31 in Moscow: from when the payments count against the debt.
    pub fn balance_until() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-10-31T21:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    pub fn label() -> Label {
        "Дача".parse().unwrap()
    }

    pub fn hot_meter_number() -> MeterNumber {
        "ВГВ-0025678".parse().unwrap()
    }

    /// The fixture account with a second, hot-water meter.
    pub fn two_meter_account() -> Account {
        let mut account = account();
        account.meters.push(Meter {
            number: hot_meter_number(),
            service: MeterService::HotWater,
            verification_due: NaiveDate::from_ymd_opt(2030, 1, 1),
        });
        account
    }

    pub fn linked(label: Option<Label>) -> LinkedAccount {
        LinkedAccount {
            account: account(),
            label,
            linked_at: now(),
        }
    }

    /// The last reading of the fixture meter: 123.456 m³, given on 2026-11-16.
    pub fn last_reading() -> Reading {
        reading(meter_number(), "123.456", now())
    }

    /// Payments where `paid` succeeded for the fixture account after its balance date.
    pub fn payments_paying(paid: &'static str) -> MockPaymentRepository {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_succeeded_since()
            .withf(|number, since| *number == account_number() && *since == balance_until())
            .returning(move |_, _| Ok(vec![paid.parse::<Money>().unwrap()]));
        payments
    }

    /// Readings in which the fixture meter's last reading is [`last_reading`].
    pub fn readings_with_last() -> MockReadingRepository {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_last_for_meter()
            .withf(|meter| *meter == meter_number())
            .returning(|_| Ok(Some(last_reading())));
        readings
    }

    /// Accounts in which the fixture account has `count` holders besides the fixture user.
    pub fn holders(count: u32) -> Arc<MockAccountRepository> {
        let mut accounts = MockAccountRepository::new();
        holding(&mut accounts, count);
        Arc::new(accounts)
    }

    /// Adds to `accounts` that the fixture account has `count` holders besides the fixture user.
    pub fn holding(accounts: &mut MockAccountRepository, count: u32) {
        accounts
            .expect_other_holders()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .return_const(Ok(count));
    }

    /// `views` over `accounts` instead of its own.
    pub fn over(accounts: MockAccountRepository, views: &AccountViews) -> AccountViews {
        AccountViews {
            accounts: Arc::new(accounts),
            ..views.clone()
        }
    }

    /// A view builder over the fixture account: 300.00 paid, last reading 123.456, no other
    /// holder.
    pub fn views() -> AccountViews {
        AccountViews::new(
            holders(0),
            Arc::new(readings_with_last()),
            Arc::new(payments_paying("300.00")),
            &Settings::default(),
        )
    }

    /// The fixture account as the store reads it at once: a payment of 300.00 after the
    /// balance day and one of 50.00 on that day (before its end in Moscow), the last reading
    /// 123.456, no other holder.
    pub fn snapshot(label: Option<Label>) -> AccountSnapshot {
        AccountSnapshot {
            linked: linked(label),
            paid: vec![
                Paid {
                    amount: "50.00".parse().unwrap(),
                    paid_at: balance_until() - chrono::TimeDelta::seconds(1),
                },
                Paid {
                    amount: "300.00".parse().unwrap(),
                    paid_at: balance_until(),
                },
            ],
            last_readings: vec![LatestReading {
                meter: meter_number(),
                value: "123.456".parse().unwrap(),
                submitted_at: now(),
            }],
            other_holders: 0,
        }
    }

    /// The view [`views`] builds of the fixture account.
    pub fn expected_view(label: Option<Label>) -> AccountView {
        AccountView {
            account: account(),
            label,
            debt: "700.00".parse().unwrap(),
            last_readings: [(
                meter_number(),
                LastReading {
                    value: "123.456".parse().unwrap(),
                    date: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
                },
            )]
            .into(),
            other_holders: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::ports::{MockAccountRepository, MockPaymentRepository, MockReadingRepository};
    use crate::readings::fixtures::reading;
    use crate::testing::down;
    use crate::testing::{account, account_number, meter_number, user_id};
    use chrono::{DateTime, Utc};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn command() -> ViewAccountCommand {
        ViewAccountCommand {
            user_id: user_id(),
            number: account_number(),
        }
    }

    #[tokio::test]
    async fn the_debt_is_the_balance_less_the_payments_since_the_end_of_the_balance_day() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_succeeded_since()
            .withf(|number, since| *number == account_number() && *since == balance_until())
            .times(1)
            .returning(|_, _| Ok(vec!["300.00".parse().unwrap(), "1200.50".parse().unwrap()]));
        let mut readings = MockReadingRepository::new();
        readings.expect_last_for_meter().returning(|_| Ok(None));
        let views = AccountViews::new(
            holders(0),
            Arc::new(readings),
            Arc::new(payments),
            &Settings::default(),
        );
        let view = views.build(user_id(), account(), None).await.unwrap();
        assert_eq!(view.debt.to_string(), "-500.50");
    }

    #[tokio::test]
    async fn each_meter_shows_its_last_reading_on_its_local_date_or_none() {
        let mut readings = MockReadingRepository::new();
        // 22:30 UTC on 16 November is already 17 November in Moscow.
        readings
            .expect_last_for_meter()
            .withf(|meter| *meter == meter_number())
            .times(1)
            .returning(|_| {
                Ok(Some(reading(
                    meter_number(),
                    "55.5",
                    utc("2026-11-16T22:30:00Z"),
                )))
            });
        readings
            .expect_last_for_meter()
            .withf(|meter| *meter == hot_meter_number())
            .times(1)
            .returning(|_| Ok(None));
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_succeeded_since()
            .returning(|_, _| Ok(vec![]));
        let views = AccountViews::new(
            holders(0),
            Arc::new(readings),
            Arc::new(payments),
            &Settings::default(),
        );
        let view = views
            .build(user_id(), two_meter_account(), Some(label()))
            .await
            .unwrap();
        assert_eq!(view.debt.to_string(), "1000.00");
        assert_eq!(view.label, Some(label()));
        let meters: Vec<_> = view
            .meters()
            .map(|(meter, last)| (meter.number.clone(), last))
            .collect();
        assert_eq!(
            meters,
            vec![
                (
                    meter_number(),
                    Some(LastReading {
                        value: "55.5".parse().unwrap(),
                        date: NaiveDate::from_ymd_opt(2026, 11, 17).unwrap(),
                    })
                ),
                (hot_meter_number(), None),
            ]
        );
    }

    #[tokio::test]
    async fn a_linked_account_is_shown_with_its_label_in_one_read() {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_snapshot()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| Ok(Some(snapshot(Some(label())))));
        let view = over(accounts, &views()).view(command()).await.unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn the_view_counts_the_other_holders_of_the_account() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_snapshot().returning(|_, _| {
            Ok(Some(AccountSnapshot {
                other_holders: 2,
                ..snapshot(None)
            }))
        });
        let view = over(accounts, &views()).view(command()).await.unwrap();
        assert_eq!(view.other_holders, 2);
    }

    #[test]
    fn a_snapshot_takes_off_only_the_payments_after_the_local_end_of_the_balance_day() {
        // 21:00 UTC on 31 October is the end of that day in Moscow: 50.00 paid a second
        // earlier is in the registry's balance already.
        let view = views().shown(snapshot(None));
        assert_eq!(view.debt.to_string(), "700.00");
    }

    #[test]
    fn a_snapshot_shows_each_last_reading_on_its_local_date() {
        let mut read = snapshot(None);
        read.linked.account = two_meter_account();
        read.last_readings[0].submitted_at = utc("2026-11-16T22:30:00Z");
        let view = views().shown(read);
        let meters: Vec<_> = view
            .meters()
            .map(|(meter, last)| (meter.number.clone(), last.map(|l| l.date)))
            .collect();
        assert_eq!(
            meters,
            vec![
                (meter_number(), NaiveDate::from_ymd_opt(2026, 11, 17)),
                (hot_meter_number(), None),
            ]
        );
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_snapshot().returning(|_, _| Ok(None));
        let outcome = over(accounts, &views()).view(command()).await;
        assert_eq!(outcome, Err(ViewAccountError::NotFound));
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_snapshot().returning(|_, _| Err(down()));
        let outcome = over(accounts, &views()).view(command()).await;
        assert_eq!(outcome, Err(ViewAccountError::Store(down())));
    }

    /// `build`, for the use cases that answer with an account they just wrote, on ports that
    /// fail at one step.
    type Step = fn() -> AccountViews;

    #[tokio::test]
    async fn a_store_down_at_any_step_of_build_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("holders", || {
                let mut accounts = MockAccountRepository::new();
                accounts
                    .expect_other_holders()
                    .returning(|_, _| Err(down()));
                over(accounts, &views())
            }),
            ("payments", || {
                let mut payments = MockPaymentRepository::new();
                payments
                    .expect_succeeded_since()
                    .returning(|_, _| Err(down()));
                let readings = Arc::new(MockReadingRepository::new());
                AccountViews::new(
                    holders(0),
                    readings,
                    Arc::new(payments),
                    &Settings::default(),
                )
            }),
            ("readings", || {
                let mut readings = MockReadingRepository::new();
                readings.expect_last_for_meter().returning(|_| Err(down()));
                let payments = Arc::new(payments_paying("1.00"));
                AccountViews::new(
                    holders(0),
                    Arc::new(readings),
                    payments,
                    &Settings::default(),
                )
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().build(user_id(), account(), None).await;
            assert_eq!(outcome, Err(down()), "{step}");
        }
    }
}
