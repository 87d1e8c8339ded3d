//! `IdempotencyStore`: a key claimed once, its response replayed, another body refused, an
//! expired record replaced.

use chrono::TimeDelta;
use vodokanal_app::idempotency::IdempotencyRecordKey;
use vodokanal_app::ports::Claim;

use super::concurrently;
use crate::Stores;
use crate::builders::{self, fingerprint, now, record_key, stored_response};

fn expired_before() -> chrono::DateTime<chrono::Utc> {
    now() - TimeDelta::hours(24)
}

pub async fn a_new_key_is_started(stores: Stores) {
    assert_eq!(
        stores
            .idempotency
            .claim(&record_key("k1"), &fingerprint(1), now(), expired_before())
            .await
            .unwrap(),
        Claim::Started
    );
}

pub async fn a_repeat_while_running_is_in_progress(stores: Stores) {
    let key = record_key("k1");
    stores
        .idempotency
        .claim(&key, &fingerprint(1), now(), expired_before())
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(
                &key,
                &fingerprint(1),
                builders::seconds_from_now(1),
                expired_before()
            )
            .await
            .unwrap(),
        Claim::InProgress
    );
}

pub async fn a_completed_key_replays_its_response(stores: Stores) {
    let key = record_key("k1");
    stores
        .idempotency
        .claim(&key, &fingerprint(1), now(), expired_before())
        .await
        .unwrap();
    let response = stored_response(201, "{\"id\":\"абв\"}");
    stores.idempotency.complete(&key, &response).await.unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(
                &key,
                &fingerprint(1),
                builders::seconds_from_now(60),
                expired_before()
            )
            .await
            .unwrap(),
        Claim::Completed(response)
    );
    // An empty body and an error status are kept as they are too.
    let failed = record_key("k2");
    stores
        .idempotency
        .claim(&failed, &fingerprint(2), now(), expired_before())
        .await
        .unwrap();
    stores
        .idempotency
        .complete(&failed, &stored_response(500, ""))
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&failed, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::Completed(stored_response(500, ""))
    );
}

pub async fn another_body_under_the_key_is_a_mismatch(stores: Stores) {
    let key = record_key("k1");
    stores
        .idempotency
        .claim(&key, &fingerprint(1), now(), expired_before())
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::Mismatch
    );
    stores
        .idempotency
        .complete(&key, &stored_response(201, "{}"))
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::Mismatch
    );
}

pub async fn an_expired_record_is_replaced(stores: Stores) {
    let key = record_key("k1");
    let long_ago = now() - TimeDelta::hours(25);
    stores
        .idempotency
        .claim(
            &key,
            &fingerprint(1),
            long_ago,
            long_ago - TimeDelta::hours(24),
        )
        .await
        .unwrap();
    stores
        .idempotency
        .complete(&key, &stored_response(201, "old"))
        .await
        .unwrap();
    // Even with another body: the old record no longer counts.
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::Started
    );
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::InProgress
    );
    // A record created exactly at the boundary still counts.
    let edge = record_key("k2");
    stores
        .idempotency
        .claim(&edge, &fingerprint(1), expired_before(), expired_before())
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&edge, &fingerprint(1), now(), expired_before())
            .await
            .unwrap(),
        Claim::InProgress
    );
}

pub async fn a_released_key_can_be_claimed_again(stores: Stores) {
    let key = record_key("k1");
    stores
        .idempotency
        .claim(&key, &fingerprint(1), now(), expired_before())
        .await
        .unwrap();
    stores.idempotency.release(&key).await.unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(2), now(), expired_before())
            .await
            .unwrap(),
        Claim::Started
    );
    // Releasing an unknown key is not an error.
    stores
        .idempotency
        .release(&record_key("none"))
        .await
        .unwrap();
}

pub async fn keys_of_other_callers_and_endpoints_are_separate(stores: Stores) {
    let key = record_key("k1");
    let other_caller = IdempotencyRecordKey {
        caller: "user:6a0c1f4e-3a9b-4d2c-9a51-2f3e4d5c6b7a".into(),
        ..key.clone()
    };
    let other_endpoint = IdempotencyRecordKey {
        endpoint: "POST /public/payments".into(),
        ..key.clone()
    };
    for k in [&key, &other_caller, &other_endpoint] {
        assert_eq!(
            stores
                .idempotency
                .claim(k, &fingerprint(1), now(), expired_before())
                .await
                .unwrap(),
            Claim::Started
        );
    }
    stores
        .idempotency
        .complete(&other_caller, &stored_response(201, "mine"))
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .claim(&key, &fingerprint(1), now(), expired_before())
            .await
            .unwrap(),
        Claim::InProgress
    );
}

pub async fn concurrent_claims_of_one_key_start_once(stores: Stores) {
    for n in [2, 10] {
        let key = record_key(&format!("race-{n}"));
        let claims = concurrently(n, |_| {
            let idempotency = stores.idempotency.clone();
            let key = key.clone();
            async move {
                idempotency
                    .claim(&key, &fingerprint(7), now(), expired_before())
                    .await
                    .unwrap()
            }
        })
        .await;
        assert_eq!(
            claims.iter().filter(|c| **c == Claim::Started).count(),
            1,
            "{claims:?}"
        );
        assert!(
            claims
                .iter()
                .all(|c| matches!(c, Claim::Started | Claim::InProgress)),
            "{claims:?}"
        );
    }
}

pub async fn concurrent_claims_of_an_expired_key_start_once(stores: Stores) {
    let key = record_key("stale");
    let long_ago = now() - TimeDelta::hours(30);
    stores
        .idempotency
        .claim(
            &key,
            &fingerprint(1),
            long_ago,
            long_ago - TimeDelta::hours(24),
        )
        .await
        .unwrap();
    let claims = concurrently(6, |_| {
        let idempotency = stores.idempotency.clone();
        let key = key.clone();
        async move {
            idempotency
                .claim(&key, &fingerprint(3), now(), expired_before())
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(
        claims.iter().filter(|c| **c == Claim::Started).count(),
        1,
        "{claims:?}"
    );
}
