//! `SmsOutbox`: a code and its message are stored together; a claim hands each due message
//! to one sender until its lease ends; the outcome is recorded and a finished message keeps no
//! text.

use std::collections::HashSet;

use chrono::TimeDelta;
use vodokanal_app::ports::{NewSms, OutboxEntry, SmsOutcome, SmsPurpose, SmsState};
use vodokanal_domain::{CodePurpose, Phone};

use super::concurrently;
use crate::Stores;
use crate::builders::{self, fresh_phone, now, seconds_from_now};

const TEXT: &str = "Код подтверждения регистрации: 123456. Никому не сообщайте его.";

fn message(phone: &Phone) -> NewSms {
    NewSms {
        phone: phone.clone(),
        text: TEXT.into(),
        purpose: SmsPurpose::Registration,
        client_ip: Some("203.0.113.7".parse().unwrap()),
        created_at: now(),
        expires_at: seconds_from_now(600),
    }
}

/// Queues a registration code's message to a fresh phone: the phone.
async fn queued(stores: &Stores) -> Phone {
    let phone = fresh_phone();
    let code = builders::pending_code(&phone, CodePurpose::Registration);
    stores
        .outbox
        .store_code(&code, Some(message(&phone)), code.sent_at)
        .await
        .unwrap();
    phone
}

async fn only_entry(stores: &Stores, phone: &Phone) -> OutboxEntry {
    let mut entries = stores.outbox.to_phone(phone).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.remove(0)
}

pub async fn a_code_is_stored_with_its_message(stores: Stores) {
    let phone = fresh_phone();
    let code = builders::pending_code(&phone, CodePurpose::Registration);
    stores
        .outbox
        .store_code(&code, Some(message(&phone)), code.sent_at)
        .await
        .unwrap();
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        Some(code)
    );
    let entry = only_entry(&stores, &phone).await;
    assert!(entry.id > 0);
    assert_eq!(entry.phone, phone);
    assert_eq!(entry.text, TEXT);
    assert_eq!(entry.purpose, SmsPurpose::Registration);
    assert_eq!(entry.client_ip, Some("203.0.113.7".parse().unwrap()));
    assert_eq!(entry.state, SmsState::Pending);
    assert_eq!(entry.attempts, 0);
    assert_eq!(entry.created_at, now());
    assert_eq!(entry.next_attempt_at, now());
    assert_eq!(entry.expires_at, seconds_from_now(600));
    assert_eq!(entry.last_error, None);
    assert_eq!(entry.sent_at, None);
}

pub async fn a_code_within_the_pause_of_the_earlier_one_is_not_stored(stores: Stores) {
    let phone = fresh_phone();
    let earlier = builders::pending_code(&phone, CodePurpose::Registration);
    let pause = TimeDelta::seconds(180);
    assert!(
        stores
            .outbox
            .store_code(&earlier, Some(message(&phone)), earlier.sent_at - pause)
            .await
            .unwrap()
    );
    // A minute later, another request that looked before the first was stored.
    let mut within = builders::pending_code(&phone, CodePurpose::Registration);
    within.sent_at = earlier.sent_at + TimeDelta::seconds(60);
    assert!(
        !stores
            .outbox
            .store_code(&within, Some(message(&phone)), within.sent_at - pause)
            .await
            .unwrap()
    );
    let find = || stores.codes.find(&phone, CodePurpose::Registration);
    assert_eq!(find().await.unwrap(), Some(earlier.clone()));
    only_entry(&stores, &phone).await;
    // Past the pause, the code is replaced.
    let mut after = builders::pending_code(&phone, CodePurpose::Registration);
    after.sent_at = earlier.sent_at + pause;
    assert!(
        stores
            .outbox
            .store_code(&after, None, after.sent_at - pause)
            .await
            .unwrap()
    );
    assert_eq!(find().await.unwrap(), Some(after));
}

pub async fn codes_stored_at_once_for_one_phone_are_one(stores: Stores) {
    let phone = fresh_phone();
    let answers = concurrently(4, |_| {
        let stores = stores.clone();
        let phone = phone.clone();
        async move {
            let code = builders::pending_code(&phone, CodePurpose::PasswordReset);
            stores
                .outbox
                .store_code(
                    &code,
                    Some(message(&phone)),
                    code.sent_at - TimeDelta::seconds(180),
                )
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(
        answers.iter().filter(|stored| **stored).count(),
        1,
        "{answers:?}"
    );
    only_entry(&stores, &phone).await;
}

pub async fn a_decoy_is_stored_without_a_message(stores: Stores) {
    let phone = fresh_phone();
    let mut code = builders::pending_code(&phone, CodePurpose::PasswordReset);
    code.digest = None;
    stores
        .outbox
        .store_code(&code, None, code.sent_at)
        .await
        .unwrap();
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::PasswordReset)
            .await
            .unwrap(),
        Some(code)
    );
    assert!(stores.outbox.to_phone(&phone).await.unwrap().is_empty());
    assert!(
        stores
            .outbox
            .claim(now(), seconds_from_now(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_claim_takes_a_message_until_its_lease_ends(stores: Stores) {
    let phone = queued(&stores).await;
    let lease = seconds_from_now(60);
    let claimed = stores.outbox.claim(now(), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].phone, phone);
    assert_eq!(claimed[0].text, TEXT);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].next_attempt_at, lease);
    // Claimed: no one else gets it within the lease.
    let again = stores
        .outbox
        .claim(seconds_from_now(59), seconds_from_now(119), 10);
    assert!(again.await.unwrap().is_empty());
    // A sender that never recorded its outcome (it died) leaves it to the next claim.
    let retaken = stores
        .outbox
        .claim(lease, seconds_from_now(120), 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].attempts, 2);
}

pub async fn a_claim_takes_at_most_its_limit_oldest_first(stores: Stores) {
    let first = queued(&stores).await;
    let second = queued(&stores).await;
    let third = queued(&stores).await;
    let claimed = stores
        .outbox
        .claim(now(), seconds_from_now(60), 2)
        .await
        .unwrap();
    let phones: Vec<Phone> = claimed.into_iter().map(|m| m.phone).collect();
    assert_eq!(phones, [first, second]);
    let rest = stores
        .outbox
        .claim(now(), seconds_from_now(60), 2)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].phone, third);
}

pub async fn a_claim_skips_expired_and_finished_messages(stores: Stores) {
    let phone = queued(&stores).await;
    // At the expiry the message is no longer claimed.
    assert!(
        stores
            .outbox
            .claim(seconds_from_now(600), seconds_from_now(660), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = stores
        .outbox
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    stores
        .outbox
        .record(claimed[0].id, &SmsOutcome::Sent { at: now() })
        .await
        .unwrap();
    assert!(
        stores
            .outbox
            .claim(seconds_from_now(120), seconds_from_now(180), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(only_entry(&stores, &phone).await.state, SmsState::Sent);
}

pub async fn a_sent_message_keeps_its_time_but_not_its_text(stores: Stores) {
    let phone = queued(&stores).await;
    let claimed = stores
        .outbox
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    let sent_at = seconds_from_now(1);
    stores
        .outbox
        .record(claimed[0].id, &SmsOutcome::Sent { at: sent_at })
        .await
        .unwrap();
    let entry = only_entry(&stores, &phone).await;
    assert_eq!(entry.state, SmsState::Sent);
    assert_eq!(entry.sent_at, Some(sent_at));
    assert_eq!(entry.text, "");
    assert_eq!(entry.attempts, 1);
}

pub async fn a_retry_keeps_the_message_pending_until_its_time(stores: Stores) {
    let phone = queued(&stores).await;
    let claimed = stores
        .outbox
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    let retry_at = seconds_from_now(5);
    stores
        .outbox
        .record(
            claimed[0].id,
            &SmsOutcome::Retry {
                at: retry_at,
                error: "SMS.ru did not answer within 4s".into(),
            },
        )
        .await
        .unwrap();
    let entry = only_entry(&stores, &phone).await;
    assert_eq!(entry.state, SmsState::Pending);
    assert_eq!(entry.next_attempt_at, retry_at);
    assert_eq!(entry.text, TEXT);
    assert_eq!(
        entry.last_error.as_deref(),
        Some("SMS.ru did not answer within 4s")
    );
    assert!(
        stores
            .outbox
            .claim(seconds_from_now(4), seconds_from_now(64), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = stores
        .outbox
        .claim(retry_at, seconds_from_now(65), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
}

pub async fn a_failed_message_keeps_the_error_but_not_its_text(stores: Stores) {
    let phone = queued(&stores).await;
    let claimed = stores
        .outbox
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    stores
        .outbox
        .record(
            claimed[0].id,
            &SmsOutcome::Failed {
                error: "the gateway refuses the number".into(),
            },
        )
        .await
        .unwrap();
    let entry = only_entry(&stores, &phone).await;
    assert_eq!(entry.state, SmsState::Failed);
    assert_eq!(
        entry.last_error.as_deref(),
        Some("the gateway refuses the number")
    );
    assert_eq!(entry.text, "");
    assert_eq!(entry.sent_at, None);
}

pub async fn expire_gives_up_only_what_expired(stores: Stores) {
    let expiring = queued(&stores).await;
    let later = fresh_phone();
    let code = builders::pending_code(&later, CodePurpose::Registration);
    let long_lived = NewSms {
        expires_at: seconds_from_now(3600),
        ..message(&later)
    };
    stores
        .outbox
        .store_code(&code, Some(long_lived), code.sent_at)
        .await
        .unwrap();
    assert_eq!(
        stores.outbox.expire(seconds_from_now(599)).await.unwrap(),
        0
    );
    assert_eq!(
        stores.outbox.expire(seconds_from_now(600)).await.unwrap(),
        1
    );
    let expired = only_entry(&stores, &expiring).await;
    assert_eq!(expired.state, SmsState::Failed);
    assert_eq!(expired.text, "");
    assert!(expired.last_error.is_some());
    assert_eq!(only_entry(&stores, &later).await.state, SmsState::Pending);
    assert_eq!(
        stores.outbox.expire(seconds_from_now(600)).await.unwrap(),
        0
    );
}

pub async fn concurrent_claims_take_each_message_once(stores: Stores) {
    let mut phones = HashSet::new();
    for _ in 0..12 {
        phones.insert(queued(&stores).await);
    }
    let claims = concurrently(4, |_| {
        let stores = stores.clone();
        async move {
            stores
                .outbox
                .claim(now(), now() + TimeDelta::seconds(60), 5)
                .await
                .unwrap()
        }
    })
    .await;
    let ids: Vec<i64> = claims.iter().flatten().map(|m| m.id).collect();
    let distinct: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        distinct.len(),
        "a message was claimed twice: {ids:?}"
    );
    assert_eq!(distinct.len(), 12);
    let claimed: HashSet<Phone> = claims.into_iter().flatten().map(|m| m.phone).collect();
    assert_eq!(claimed, phones);
}
