//! `PaymentRepository`: payments, the provider's id, settling once whatever the concurrency,
//! history newest first, the reconciliation candidates and the export of a date range.

use vodokanal_app::ports::PaymentCursor;
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{Payment, PaymentPurpose, PaymentStatus, ReceiptContact, Settlement};

use super::idempotency::a_write_commits_with_its_answer;
use super::{collect, concurrently, seed_account, seed_user};
use crate::Stores;
use crate::builders::{self, money, seconds_from_now};

fn by_id(mut payments: Vec<Payment>) -> Vec<Payment> {
    payments.sort_by_key(|p| p.id);
    payments
}

pub async fn a_created_payment_keeps_every_field(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let by_email = Payment {
        user_id: Some(user.id),
        purpose: PaymentPurpose::TemporaryWaterSupply,
        amount: money("0.01"),
        ..builders::payment(&account)
    };
    let by_phone = Payment {
        receipt_contact: Some(ReceiptContact::Phone(builders::fresh_phone())),
        provider: "yookassa".into(),
        provider_payment_id: Some("2d0b3c6e-000f-5000-8000-1b5b2c1c1c1c".into()),
        confirmation_url: Some("https://pay.example/confirm?id=1".into()),
        status: PaymentStatus::Succeeded,
        paid_at: Some(seconds_from_now(30)),
        ..builders::payment(&account)
    };
    let without_contact = Payment {
        receipt_contact: None,
        status: PaymentStatus::Canceled,
        amount: money("1000000.00"),
        ..builders::payment(&account)
    };
    for payment in [&by_email, &by_phone, &without_contact] {
        stores.payments.create(payment).await.unwrap();
        assert_eq!(
            stores.payments.find(payment.id).await.unwrap().as_ref(),
            Some(payment)
        );
    }
}

pub async fn an_unknown_payment_is_not_found(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    stores
        .payments
        .create(&builders::payment(&account))
        .await
        .unwrap();
    assert_eq!(
        stores.payments.find(builders::payment_id()).await.unwrap(),
        None
    );
}

pub async fn a_payment_of_an_unknown_account_is_refused(stores: Stores) {
    let payment = builders::payment(&builders::fresh_account_number());
    assert!(stores.payments.create(&payment).await.is_err());
    assert_eq!(stores.payments.find(payment.id).await.unwrap(), None);
}

pub async fn the_providers_id_finds_the_payment(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payment = builders::payment(&account);
    let other = builders::payment(&account);
    stores.payments.create(&payment).await.unwrap();
    stores.payments.create(&other).await.unwrap();
    stores
        .payments
        .attach_provider(payment.id, "prov-1", "https://pay.example/1", None)
        .await
        .unwrap();
    let expected = Payment {
        provider_payment_id: Some("prov-1".into()),
        confirmation_url: Some("https://pay.example/1".into()),
        ..payment.clone()
    };
    assert_eq!(
        stores.payments.find(payment.id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        stores
            .payments
            .find_by_provider_id("sandbox", "prov-1")
            .await
            .unwrap(),
        Some(expected)
    );
    assert_eq!(stores.payments.find(other.id).await.unwrap(), Some(other));
}

pub async fn an_unknown_provider_id_finds_nothing(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payment = builders::payment(&account);
    stores.payments.create(&payment).await.unwrap();
    stores
        .payments
        .attach_provider(payment.id, "prov-1", "https://pay.example/1", None)
        .await
        .unwrap();
    assert_eq!(
        stores
            .payments
            .find_by_provider_id("sandbox", "prov-2")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .payments
            .find_by_provider_id("yookassa", "prov-1")
            .await
            .unwrap(),
        None
    );
}

pub async fn settling_a_success_moves_the_payment(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payment = builders::payment(&account);
    stores.payments.create(&payment).await.unwrap();
    let paid_at = seconds_from_now(90);
    assert_eq!(
        stores
            .payments
            .settle(payment.id, Outcome::Succeeded { paid_at })
            .await
            .unwrap(),
        Some(Settlement::Moved(PaymentStatus::Succeeded))
    );
    assert_eq!(
        stores.payments.find(payment.id).await.unwrap(),
        Some(Payment {
            status: PaymentStatus::Succeeded,
            paid_at: Some(paid_at),
            ..payment
        })
    );
}

pub async fn settling_a_cancellation_moves_the_payment(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payment = builders::payment(&account);
    stores.payments.create(&payment).await.unwrap();
    assert_eq!(
        stores
            .payments
            .settle(payment.id, Outcome::Canceled)
            .await
            .unwrap(),
        Some(Settlement::Moved(PaymentStatus::Canceled))
    );
    assert_eq!(
        stores.payments.find(payment.id).await.unwrap(),
        Some(Payment {
            status: PaymentStatus::Canceled,
            ..payment
        })
    );
}

pub async fn a_final_payment_is_unchanged_by_settling(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payment = builders::payment(&account);
    stores.payments.create(&payment).await.unwrap();
    let paid_at = seconds_from_now(90);
    stores
        .payments
        .settle(payment.id, Outcome::Succeeded { paid_at })
        .await
        .unwrap();
    assert_eq!(
        stores
            .payments
            .settle(payment.id, Outcome::Canceled)
            .await
            .unwrap(),
        Some(Settlement::Unchanged(PaymentStatus::Succeeded))
    );
    assert_eq!(
        stores
            .payments
            .settle(
                payment.id,
                Outcome::Succeeded {
                    paid_at: seconds_from_now(500)
                }
            )
            .await
            .unwrap(),
        Some(Settlement::Unchanged(PaymentStatus::Succeeded))
    );
    let saved = stores.payments.find(payment.id).await.unwrap().unwrap();
    assert_eq!(saved.status, PaymentStatus::Succeeded);
    assert_eq!(saved.paid_at, Some(paid_at));
}

pub async fn settling_an_unknown_payment_is_none(stores: Stores) {
    assert_eq!(
        stores
            .payments
            .settle(builders::payment_id(), Outcome::Canceled)
            .await
            .unwrap(),
        None
    );
}

pub async fn concurrent_settlements_move_the_payment_once(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    for n in [2, 8] {
        let payment = builders::payment(&account);
        stores.payments.create(&payment).await.unwrap();
        let results = concurrently(n, |i| {
            let payments = stores.payments.clone();
            let outcome = if i % 2 == 0 {
                Outcome::Succeeded {
                    paid_at: seconds_from_now(60),
                }
            } else {
                Outcome::Canceled
            };
            async move { payments.settle(payment.id, outcome).await.unwrap() }
        })
        .await;
        let moved: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Some(Settlement::Moved(status)) => Some(*status),
                _ => None,
            })
            .collect();
        assert_eq!(moved.len(), 1, "{results:?}");
        let status = stores
            .payments
            .find(payment.id)
            .await
            .unwrap()
            .unwrap()
            .status;
        assert_eq!(status, moved[0]);
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Some(Settlement::Moved(_)))
                    || *r == Some(Settlement::Unchanged(status))),
            "{results:?}"
        );
    }
}

pub async fn history_is_the_accounts_payments_newest_first(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let (other, _) = seed_account(&stores).await;
    let payments: Vec<Payment> = [0, 300, 100, 200]
        .into_iter()
        .map(|s| Payment {
            created_at: seconds_from_now(s),
            ..builders::payment(&account)
        })
        .collect();
    for payment in &payments {
        stores.payments.create(payment).await.unwrap();
    }
    stores
        .payments
        .create(&builders::payment(&other))
        .await
        .unwrap();
    let expected = vec![
        payments[1].clone(),
        payments[3].clone(),
        payments[2].clone(),
        payments[0].clone(),
    ];
    assert_eq!(
        stores.payments.history(&account, 10,).await.unwrap(),
        expected
    );
    assert_eq!(
        stores.payments.history(&account, 2).await.unwrap(),
        expected[..2].to_vec()
    );
    assert!(
        stores
            .payments
            .history(&builders::fresh_account_number(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn succeeded_since_sums_what_was_paid_from_then(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let (other, _) = seed_account(&stores).await;
    let since = builders::now();
    let cases = [
        (
            &account,
            "100.00",
            Some(Outcome::Succeeded { paid_at: since }),
        ),
        (
            &account,
            "200.00",
            Some(Outcome::Succeeded {
                paid_at: seconds_from_now(5),
            }),
        ),
        (
            &account,
            "400.00",
            Some(Outcome::Succeeded {
                paid_at: seconds_from_now(-1),
            }),
        ),
        (&account, "800.00", Some(Outcome::Canceled)),
        (&account, "1600.00", None),
        (
            &other,
            "3200.00",
            Some(Outcome::Succeeded {
                paid_at: seconds_from_now(5),
            }),
        ),
    ];
    for (number, amount, outcome) in cases {
        let payment = Payment {
            amount: money(amount),
            ..builders::payment(number)
        };
        stores.payments.create(&payment).await.unwrap();
        if let Some(outcome) = outcome {
            stores.payments.settle(payment.id, outcome).await.unwrap();
        }
    }
    let mut paid = stores
        .payments
        .succeeded_since(&account, since)
        .await
        .unwrap();
    paid.sort_unstable();
    assert_eq!(paid, vec![money("100.00"), money("200.00")]);
    assert!(
        stores
            .payments
            .succeeded_since(&account, seconds_from_now(6))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn pending_payments_created_before_come_oldest_first(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let (other, _) = seed_account(&stores).await;
    let old: Vec<Payment> = [-300, -100, -200]
        .into_iter()
        .map(|s| Payment {
            created_at: seconds_from_now(s),
            ..builders::payment(if s == -200 { &other } else { &account })
        })
        .collect();
    for payment in &old {
        stores.payments.create(payment).await.unwrap();
    }
    let settled = Payment {
        created_at: seconds_from_now(-400),
        ..builders::payment(&account)
    };
    stores.payments.create(&settled).await.unwrap();
    stores
        .payments
        .settle(settled.id, Outcome::Canceled)
        .await
        .unwrap();
    let recent = builders::payment(&account);
    stores.payments.create(&recent).await.unwrap();

    let before = builders::now();
    assert_eq!(
        stores
            .payments
            .pending_created_before(before, None, 10)
            .await
            .unwrap(),
        vec![old[0].clone(), old[2].clone(), old[1].clone()]
    );
    assert_eq!(
        stores
            .payments
            .pending_created_before(before, None, 1)
            .await
            .unwrap(),
        vec![old[0].clone()]
    );
}

pub async fn pending_payments_are_read_in_pages_by_key(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    // Two payments share a creation time: the id orders them.
    let mut pending: Vec<Payment> = [-500, -300, -400, -300, -200]
        .into_iter()
        .map(|s| Payment {
            created_at: seconds_from_now(s),
            ..builders::payment(&account)
        })
        .collect();
    for payment in &pending {
        stores.payments.create(payment).await.unwrap();
    }
    let recent = builders::payment(&account);
    stores.payments.create(&recent).await.unwrap();
    pending.sort_by_key(|p| (p.created_at, p.id));
    let before = builders::now();

    let first = stores
        .payments
        .pending_created_before(before, None, 2)
        .await
        .unwrap();
    assert_eq!(first, pending[..2]);
    // One of the next page is settled meanwhile: the page goes on from the key, past it.
    stores
        .payments
        .settle(pending[2].id, Outcome::Canceled)
        .await
        .unwrap();
    let second = stores
        .payments
        .pending_created_before(before, first.last().map(PaymentCursor::from), 2)
        .await
        .unwrap();
    assert_eq!(second, pending[3..5]);
    let third = stores
        .payments
        .pending_created_before(before, second.last().map(PaymentCursor::from), 2)
        .await
        .unwrap();
    assert!(third.is_empty(), "{third:?}");
    // A cursor on the first of two payments of one creation time goes on with the second.
    assert_eq!(pending[2].created_at, pending[3].created_at);
    let tied = stores
        .payments
        .pending_created_before(before, Some(PaymentCursor::from(&pending[2])), 10)
        .await
        .unwrap();
    assert_eq!(tied, pending[3..5]);
}

pub async fn the_export_holds_the_payments_created_in_the_range(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let (other, _) = seed_account(&stores).await;
    let at = |s: i64, number| Payment {
        created_at: seconds_from_now(s),
        ..builders::payment(number)
    };
    let from_edge = at(0, &account);
    let inside = at(50, &other);
    let to_edge = at(100, &account);
    let before = at(-1, &account);
    for payment in [&from_edge, &inside, &to_edge, &before] {
        stores.payments.create(payment).await.unwrap();
    }
    let exported = collect(
        stores
            .payments
            .export(builders::now(), seconds_from_now(100)),
    )
    .await;
    assert_eq!(by_id(exported), by_id(vec![from_edge, inside]));
    assert!(
        collect(
            stores
                .payments
                .export(seconds_from_now(1000), seconds_from_now(2000))
        )
        .await
        .is_empty()
    );
    // The count (the export's progress) is what the export streams.
    let count = async |from, to| stores.payments.export_count(from, to).await.unwrap();
    assert_eq!(count(builders::now(), seconds_from_now(100)).await, 2);
    assert_eq!(count(seconds_from_now(-1), seconds_from_now(101)).await, 4);
    assert_eq!(
        count(seconds_from_now(1000), seconds_from_now(2000)).await,
        0
    );
}

pub async fn the_providers_id_commits_with_its_answer(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let payments: Vec<Payment> = (0..3).map(|_| builders::payment(&account)).collect();
    for payment in &payments {
        stores.payments.create(payment).await.unwrap();
    }
    let payment = |n: u8| payments[usize::from(n) - 1].id;
    a_write_commits_with_its_answer(
        &stores,
        |answer, n| {
            let stores = stores.clone();
            let id = payment(n);
            async move {
                stores
                    .payments
                    .attach_provider(id, &format!("prov-{n}"), "https://pay.example/1", answer)
                    .await
            }
        },
        |n| {
            let stores = stores.clone();
            let id = payment(n);
            async move {
                let found = stores.payments.find(id).await.unwrap().unwrap();
                found.provider_payment_id.is_some()
            }
        },
    )
    .await;
}
