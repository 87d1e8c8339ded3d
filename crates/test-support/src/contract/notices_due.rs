//! `NoticeStore`'s reads of what is due, across the registry, the links and the payments:
//! accounts whose readings of a period are missing, meters due for verification, debts above
//! a threshold, payments that succeeded.

use vodokanal_app::ports::{DebtAbove, PaymentSucceeded, ReadingsMissing, VerificationDue};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    AccountNumber, MeterNumber, MeterService, PaymentPurpose, RegistryRecord, UserId, Voided,
};

use super::notices::link;
use super::{import, seed_account, seed_account_with_two_meters, seed_user};
use crate::Stores;
use crate::builders::{
    self, balance, date, fresh_account_number, fresh_meter_number, money, now, seconds_from_now,
};

pub async fn readings_are_missing_until_every_meter_has_a_live_one(stores: Stores) {
    let (account, first, second) = seed_account_with_two_meters(&stores).await;
    let holder = seed_user(&stores).await;
    let co_holder = seed_user(&stores).await;
    link(&stores, &holder, &account).await;
    link(&stores, &co_holder, &account).await;
    // Accounts not linked, and a linked account without meters, never appear.
    seed_account_with_two_meters(&stores).await;
    let meterless = fresh_account_number();
    import(&stores, &[builders::registry_account(&meterless)]).await;
    link(&stores, &holder, &meterless).await;

    let period = builders::period("2026-11");
    let missing = || async {
        let mut missing = stores.notices.readings_missing(period).await.unwrap();
        missing.sort_by_key(|m| m.user);
        missing
    };
    let mut both = vec![
        ReadingsMissing {
            user: holder.id,
            account: account.clone(),
        },
        ReadingsMissing {
            user: co_holder.id,
            account: account.clone(),
        },
    ];
    both.sort_by_key(|m| m.user);
    // Each holder once, though both meters miss their reading.
    assert_eq!(missing().await, both);

    let save = |meter: &MeterNumber, period: &str| {
        let reading = builders::reading(&account, meter, period, "10.000");
        let stores = stores.clone();
        async move { stores.readings.save_all(&[reading], None).await.unwrap() }
    };
    save(&first, "2026-11").await;
    save(&second, "2026-10").await;
    assert_eq!(
        missing().await,
        both,
        "one meter of the period is still missing"
    );
    save(&second, "2026-11").await;
    assert!(missing().await.is_empty());
    // A voided reading does not count.
    let voided = Voided {
        at: seconds_from_now(60),
        reason: "показание передал посторонний".parse().unwrap(),
    };
    stores
        .readings
        .void(&second, period, &voided)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(missing().await, both);
    // Another period is missing whole.
    assert_eq!(
        stores
            .notices
            .readings_missing(builders::period("2026-12"))
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A registry row of `account` whose meter is due for verification on `due`.
fn meter_due(account: &AccountNumber, due: Option<&str>) -> (MeterNumber, RegistryRecord) {
    let meter = fresh_meter_number();
    let mut row = builders::registry_row(account, &meter);
    if let Some(m) = row.meter.as_mut() {
        m.service = MeterService::HotWater;
        m.verification_due = due.map(date);
    }
    (meter, row)
}

pub async fn verifications_due_include_both_bounds(stores: Stores) {
    let account = fresh_account_number();
    let (_, before_row) = meter_due(&account, Some("2026-11-30"));
    let (first_day, first_row) = meter_due(&account, Some("2026-12-01"));
    let (last_day, last_row) = meter_due(&account, Some("2026-12-31"));
    let (_, after_row) = meter_due(&account, Some("2027-01-01"));
    let (_, unknown_row) = meter_due(&account, None);
    import(
        &stores,
        &[before_row, first_row, last_row, after_row, unknown_row],
    )
    .await;
    // An account not linked, whose meter is due within the bounds, never appears.
    let unlinked = fresh_account_number();
    import(&stores, &[meter_due(&unlinked, Some("2026-12-15")).1]).await;
    let holder = seed_user(&stores).await;
    let co_holder = seed_user(&stores).await;
    link(&stores, &holder, &account).await;
    link(&stores, &co_holder, &account).await;

    let mut due = stores
        .notices
        .verifications_due(date("2026-12-01"), date("2026-12-31"))
        .await
        .unwrap();
    due.sort_by_key(|d| (d.user, d.meter.to_string()));
    let mut expected: Vec<VerificationDue> = [&holder, &co_holder]
        .into_iter()
        .flat_map(|user| {
            [(&first_day, "2026-12-01"), (&last_day, "2026-12-31")].map(|(meter, day)| {
                VerificationDue {
                    user: user.id,
                    account: account.clone(),
                    meter: meter.clone(),
                    service: MeterService::HotWater,
                    due: date(day),
                }
            })
        })
        .collect();
    expected.sort_by_key(|d| (d.user, d.meter.to_string()));
    assert_eq!(due, expected);
}

pub async fn debts_above_are_strictly_above(stores: Stores) {
    let user = seed_user(&stores).await;
    let mut accounts = Vec::new();
    for owed in ["4999.99", "5000.00", "5000.01", "-100.00"] {
        let account = fresh_account_number();
        import(
            &stores,
            &[RegistryRecord {
                balance: balance(owed),
                balance_as_of: date("2026-10-31"),
                ..builders::registry_account(&account)
            }],
        )
        .await;
        link(&stores, &user, &account).await;
        accounts.push(account);
    }
    let unlinked = fresh_account_number();
    import(
        &stores,
        &[RegistryRecord {
            balance: balance("90000.00"),
            ..builders::registry_account(&unlinked)
        }],
    )
    .await;
    assert_eq!(
        stores
            .notices
            .debts_above(balance("5000.00"))
            .await
            .unwrap(),
        [DebtAbove {
            user: user.id,
            account: accounts[2].clone(),
            debt: balance("5000.01"),
            as_of: date("2026-10-31"),
        }]
    );
}

pub async fn payments_succeeded_are_the_cabinets_since_the_instant(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let user = seed_user(&stores).await;
    let since = now();
    let pay = |user: Option<UserId>, outcome: Option<Outcome>| {
        let stores = stores.clone();
        let payment = vodokanal_domain::Payment {
            user_id: user,
            ..builders::payment(&account)
        };
        async move {
            stores.payments.create(&payment).await.unwrap();
            if let Some(outcome) = outcome {
                stores.payments.settle(payment.id, outcome).await.unwrap();
            }
            payment.id
        }
    };
    let paid_at = |seconds| {
        Some(Outcome::Succeeded {
            paid_at: seconds_from_now(seconds),
        })
    };
    let at_since = pay(Some(user.id), paid_at(0)).await;
    let later = pay(Some(user.id), paid_at(30)).await;
    pay(Some(user.id), paid_at(-1)).await;
    pay(None, paid_at(10)).await;
    pay(Some(user.id), Some(Outcome::Canceled)).await;
    pay(Some(user.id), None).await;
    let expected = |payment| PaymentSucceeded {
        user: user.id,
        payment,
        account: account.clone(),
        amount: money("1500.00"),
        purpose: PaymentPurpose::Water,
    };
    assert_eq!(
        stores.notices.payments_succeeded(since).await.unwrap(),
        [expected(at_since), expected(later)]
    );
}
