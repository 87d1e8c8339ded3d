//! `AccountRepository::snapshot` and `snapshots`: a linked account as the cabinet shows it,
//! read at once: the account with its meters and label, the payments that may count against
//! the debt, each meter's last live reading, and the count of its other holders.

use vodokanal_app::ports::{AccountSnapshot, LatestReading, Paid};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{AccountNumber, Label, Payment, Voided};

use super::{import, seed_account, seed_user};
use crate::Stores;
use crate::builders::{self, at, money, seconds_from_now, value};

#[expect(clippy::unnecessary_wraps, reason = "a label as the ports take it")]
fn label(text: &str) -> Option<Label> {
    Some(text.parse().unwrap())
}

/// Creates a payment of `amount` for the account and settles it with `outcome` when given.
async fn pay(stores: &Stores, account: &AccountNumber, amount: &str, outcome: Option<Outcome>) {
    let payment = Payment {
        amount: money(amount),
        ..builders::payment(account)
    };
    stores.payments.create(&payment).await.unwrap();
    if let Some(outcome) = outcome {
        stores.payments.settle(payment.id, outcome).await.unwrap();
    }
}

#[expect(clippy::unnecessary_wraps, reason = "an outcome as `pay` takes it")]
fn succeeded(rfc3339: &str) -> Option<Outcome> {
    Some(Outcome::Succeeded {
        paid_at: at(rfc3339),
    })
}

pub async fn a_snapshot_holds_the_account_its_payments_readings_and_holders(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let account = builders::fresh_account_number();
    let (cold, hot) = (
        builders::fresh_meter_number(),
        builders::fresh_meter_number(),
    );
    let rows = [
        builders::registry_row(&account, &cold),
        builders::registry_row(&account, &hot),
    ];
    import(&stores, &rows).await;
    let (elsewhere, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, label("Дом"), builders::now(), None)
        .await
        .unwrap();
    stores
        .accounts
        .link(other.id, &account, None, builders::now(), None)
        .await
        .unwrap();

    // The balance is as of 2026-10-31: from the start of that day in UTC on.
    pay(&stores, &account, "1.00", succeeded("2026-10-30T23:59:59Z")).await;
    pay(&stores, &account, "2.00", succeeded("2026-10-31T00:00:00Z")).await;
    pay(&stores, &account, "4.00", succeeded("2026-11-02T10:00:00Z")).await;
    pay(&stores, &account, "8.00", Some(Outcome::Canceled)).await;
    pay(&stores, &account, "16.00", None).await;
    pay(
        &stores,
        &elsewhere,
        "32.00",
        succeeded("2026-11-02T10:00:00Z"),
    )
    .await;

    // The cold meter: October's reading, November's, and December's voided.
    let mut october = builders::reading(&account, &cold, "2026-10", "10");
    october.submitted_at = seconds_from_now(-3_000_000);
    let november = builders::reading(&account, &cold, "2026-11", "12.5");
    let mut december = builders::reading(&account, &cold, "2026-12", "15");
    december.submitted_at = seconds_from_now(60);
    stores
        .readings
        .save_all(&[october, november.clone(), december], None)
        .await
        .unwrap();
    let voided = Voided {
        at: seconds_from_now(120),
        reason: "показание передал посторонний".parse().unwrap(),
    };
    stores
        .readings
        .void(&cold, builders::period("2026-12"), &voided)
        .await
        .unwrap();

    let snapshot = stores
        .accounts
        .snapshot(user.id, &account)
        .await
        .unwrap()
        .expect("the linked account");
    let linked = stores
        .accounts
        .linked_one(user.id, &account)
        .await
        .unwrap()
        .expect("the linked account");
    let mut meters = snapshot.linked.account.meters.clone();
    meters.sort_by(|a, b| a.number.cmp(&b.number));
    assert_eq!(snapshot.linked.account.meters, meters, "meters by number");
    assert_eq!(
        snapshot,
        AccountSnapshot {
            linked,
            paid: vec![
                Paid {
                    amount: money("2.00"),
                    paid_at: at("2026-10-31T00:00:00Z"),
                },
                Paid {
                    amount: money("4.00"),
                    paid_at: at("2026-11-02T10:00:00Z"),
                },
            ],
            last_readings: vec![LatestReading {
                meter: cold.clone(),
                value: value("12.5"),
                submitted_at: november.submitted_at,
            }],
            other_holders: 1,
        }
    );
    assert_eq!(snapshot.linked.label, label("Дом"));
}

pub async fn a_snapshot_of_an_account_not_linked_to_the_user_is_none(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(other.id, &account, None, builders::now(), None)
        .await
        .unwrap();
    assert_eq!(
        stores.accounts.snapshot(user.id, &account).await.unwrap(),
        None
    );
    assert_eq!(
        stores
            .accounts
            .snapshot(user.id, &builders::fresh_account_number())
            .await
            .unwrap(),
        None
    );
    assert_eq!(stores.accounts.snapshots(user.id).await.unwrap(), vec![]);
}

pub async fn snapshots_come_in_link_order_each_with_its_own_figures(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let (first, first_meter) = seed_account(&stores).await;
    let (second, _) = seed_account(&stores).await;
    let (not_linked, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &second, None, seconds_from_now(-10), None)
        .await
        .unwrap();
    stores
        .accounts
        .link(user.id, &first, label("Дача"), builders::now(), None)
        .await
        .unwrap();
    for account in [&second, &not_linked] {
        stores
            .accounts
            .link(other.id, account, None, builders::now(), None)
            .await
            .unwrap();
    }
    pay(&stores, &first, "5.00", succeeded("2026-11-02T10:00:00Z")).await;
    let reading = builders::reading(&first, &first_meter, "2026-11", "7");
    stores.readings.save_all(&[reading], None).await.unwrap();

    let snapshots = stores.accounts.snapshots(user.id).await.unwrap();
    let each: Vec<_> = snapshots
        .iter()
        .map(|s| {
            (
                s.linked.account.number.clone(),
                s.paid.iter().map(|p| p.amount).collect::<Vec<_>>(),
                s.last_readings.iter().map(|r| r.value).collect::<Vec<_>>(),
                s.other_holders,
            )
        })
        .collect();
    assert_eq!(
        each,
        vec![
            (second.clone(), vec![], vec![], 1),
            (first.clone(), vec![money("5.00")], vec![value("7")], 0),
        ]
    );
    for snapshot in snapshots {
        let number = snapshot.linked.account.number.clone();
        assert_eq!(
            stores.accounts.snapshot(user.id, &number).await.unwrap(),
            Some(snapshot),
            "{number}: one or all, the same"
        );
    }
}
