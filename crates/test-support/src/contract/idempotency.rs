//! `IdempotencyStore`: a key claimed once, its answer replayed, another body refused, an
//! expired record replaced, an abandoned claim taken over once, and a claim's token fencing
//! the request that lost it.

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, Claimed, IdempotencyRecordKey};
use vodokanal_app::ports::Claim;

use super::concurrently;
use crate::Stores;
use crate::builders::{
    answer, claim_cutoffs, claim_of, fingerprint, now, seconds_from_now, stored_response,
};

/// Claims `claim` with the body `n` at `at`.
pub async fn claim_at(stores: &Stores, claim: &Claimed, n: u8, at: DateTime<Utc>) -> Claim {
    stores
        .idempotency
        .claim(claim, &fingerprint(n), at, claim_cutoffs(at))
        .await
        .unwrap()
}

/// A new claim on `key` (body 1), started now.
pub async fn started(stores: &Stores, key: &str) -> Claimed {
    let claim = claim_of(key);
    assert_eq!(claim_at(stores, &claim, 1, now()).await, Claim::Started);
    claim
}

/// What a retry of `key` (body 1) finds a second later, without disturbing a running claim.
pub async fn retried(stores: &Stores, key: &str) -> Claim {
    claim_at(stores, &claim_of(key), 1, seconds_from_now(1)).await
}

/// A claim on `key` abandoned and taken over by a retry after the lease: (lost, held).
pub async fn taken_over(stores: &Stores, key: &str) -> (Claimed, Claimed) {
    let lost = claim_of(key);
    let long_ago = now() - TimeDelta::seconds(61);
    assert_eq!(claim_at(stores, &lost, 1, long_ago).await, Claim::Started);
    let held = claim_of(key);
    assert_eq!(claim_at(stores, &held, 1, now()).await, Claim::TakenOver);
    (lost, held)
}

pub async fn a_new_key_is_started(stores: Stores) {
    started(&stores, "k1").await;
}

pub async fn a_repeat_while_running_is_in_progress(stores: Stores) {
    started(&stores, "k1").await;
    assert_eq!(retried(&stores, "k1").await, Claim::InProgress);
    // Until the lease ends: a minute later, exactly, still in progress.
    let at_the_edge = claim_of("k1");
    assert_eq!(
        claim_at(&stores, &at_the_edge, 1, seconds_from_now(60)).await,
        Claim::InProgress
    );
}

pub async fn a_completed_key_replays_its_response(stores: Stores) {
    let claim = started(&stores, "k1").await;
    let response = stored_response(201, "{\"id\":\"абв\"}");
    stores
        .idempotency
        .complete(&answer(&claim, 201, "{\"id\":\"абв\"}"))
        .await
        .unwrap();
    assert_eq!(retried(&stores, "k1").await, Claim::Completed(response));
    // An empty body and an error status are kept as they are too.
    let failed = started(&stores, "k2").await;
    stores
        .idempotency
        .complete(&answer(&failed, 500, ""))
        .await
        .unwrap();
    assert_eq!(
        retried(&stores, "k2").await,
        Claim::Completed(stored_response(500, ""))
    );
}

pub async fn an_answer_is_stored_once(stores: Stores) {
    let claim = started(&stores, "k1").await;
    stores
        .idempotency
        .complete(&answer(&claim, 201, "first"))
        .await
        .unwrap();
    assert_eq!(
        stores
            .idempotency
            .complete(&answer(&claim, 201, "second"))
            .await,
        Err(StoreError::ClaimLost)
    );
    assert_eq!(
        retried(&stores, "k1").await,
        Claim::Completed(stored_response(201, "first"))
    );
}

pub async fn another_body_under_the_key_is_a_mismatch(stores: Stores) {
    let claim = started(&stores, "k1").await;
    assert_eq!(
        claim_at(&stores, &claim_of("k1"), 2, now()).await,
        Claim::Mismatch
    );
    stores
        .idempotency
        .complete(&answer(&claim, 201, "{}"))
        .await
        .unwrap();
    assert_eq!(
        claim_at(&stores, &claim_of("k1"), 2, now()).await,
        Claim::Mismatch
    );
}

pub async fn an_expired_record_is_replaced(stores: Stores) {
    let old = claim_of("k1");
    let long_ago = now() - TimeDelta::hours(25);
    assert_eq!(claim_at(&stores, &old, 1, long_ago).await, Claim::Started);
    stores
        .idempotency
        .complete(&answer(&old, 201, "old"))
        .await
        .unwrap();
    // Even with another body: the old record no longer counts.
    assert_eq!(
        claim_at(&stores, &claim_of("k1"), 2, now()).await,
        Claim::Started
    );
    assert_eq!(
        claim_at(&stores, &claim_of("k1"), 2, now()).await,
        Claim::InProgress
    );
    // A record created exactly at the boundary still counts.
    let edge = claim_of("k2");
    let boundary = now() - TimeDelta::hours(24);
    claim_at(&stores, &edge, 1, boundary).await;
    stores
        .idempotency
        .complete(&answer(&edge, 201, "edge"))
        .await
        .unwrap();
    assert_eq!(
        claim_at(&stores, &claim_of("k2"), 1, now()).await,
        Claim::Completed(stored_response(201, "edge"))
    );
}

pub async fn a_released_key_can_be_claimed_again(stores: Stores) {
    let claim = started(&stores, "k1").await;
    stores.idempotency.release(&claim).await.unwrap();
    assert_eq!(
        claim_at(&stores, &claim_of("k1"), 2, now()).await,
        Claim::Started
    );
    // Releasing an unknown key is not an error.
    stores.idempotency.release(&claim_of("none")).await.unwrap();
}

pub async fn an_abandoned_claim_is_taken_over_and_fences_its_request(stores: Stores) {
    let (lost, held) = taken_over(&stores, "k1").await;
    // The request that lost the claim can neither answer nor release it.
    assert_eq!(
        stores
            .idempotency
            .complete(&answer(&lost, 201, "late"))
            .await,
        Err(StoreError::ClaimLost)
    );
    stores.idempotency.release(&lost).await.unwrap();
    assert_eq!(retried(&stores, "k1").await, Claim::InProgress);
    stores
        .idempotency
        .complete(&answer(&held, 201, "mine"))
        .await
        .unwrap();
    assert_eq!(
        retried(&stores, "k1").await,
        Claim::Completed(stored_response(201, "mine"))
    );
}

pub async fn an_answered_claim_is_never_taken_over(stores: Stores) {
    let claim = claim_of("k1");
    let hours_ago = now() - TimeDelta::hours(23);
    claim_at(&stores, &claim, 1, hours_ago).await;
    stores
        .idempotency
        .complete(&answer(&claim, 201, "done"))
        .await
        .unwrap();
    assert_eq!(
        retried(&stores, "k1").await,
        Claim::Completed(stored_response(201, "done"))
    );
}

pub async fn keys_of_other_callers_and_endpoints_are_separate(stores: Stores) {
    let key = claim_of("k1");
    let other_caller = Claimed {
        record: IdempotencyRecordKey {
            caller: "user:6a0c1f4e-3a9b-4d2c-9a51-2f3e4d5c6b7a".into(),
            ..key.record.clone()
        },
        ..claim_of("k1")
    };
    let other_endpoint = Claimed {
        record: IdempotencyRecordKey {
            endpoint: "POST /public/payments".into(),
            ..key.record.clone()
        },
        ..claim_of("k1")
    };
    for claim in [&key, &other_caller, &other_endpoint] {
        assert_eq!(claim_at(&stores, claim, 1, now()).await, Claim::Started);
    }
    stores
        .idempotency
        .complete(&answer(&other_caller, 201, "mine"))
        .await
        .unwrap();
    assert_eq!(retried(&stores, "k1").await, Claim::InProgress);
}

/// `n` concurrent claims of `key` at `at`, each with its own token.
async fn claim_concurrently(stores: &Stores, key: &str, n: usize, body: u8) -> Vec<Claim> {
    concurrently(n, |_| {
        let stores = stores.clone();
        let claim = claim_of(key);
        async move { claim_at(&stores, &claim, body, now()).await }
    })
    .await
}

fn count(claims: &[Claim], wanted: &Claim) -> usize {
    claims.iter().filter(|claim| *claim == wanted).count()
}

pub async fn concurrent_claims_of_one_key_start_once(stores: Stores) {
    for n in [2, 10] {
        let key = format!("race-{n}");
        let claims = claim_concurrently(&stores, &key, n, 7).await;
        assert_eq!(count(&claims, &Claim::Started), 1, "{claims:?}");
        assert_eq!(count(&claims, &Claim::InProgress), n - 1, "{claims:?}");
    }
}

pub async fn concurrent_claims_of_an_expired_key_start_once(stores: Stores) {
    let long_ago = now() - TimeDelta::hours(30);
    claim_at(&stores, &claim_of("stale"), 1, long_ago).await;
    let claims = claim_concurrently(&stores, "stale", 6, 3).await;
    assert_eq!(count(&claims, &Claim::Started), 1, "{claims:?}");
}

pub async fn concurrent_takeovers_of_an_abandoned_claim_take_it_once(stores: Stores) {
    let minutes_ago = now() - TimeDelta::minutes(5);
    claim_at(&stores, &claim_of("abandoned"), 1, minutes_ago).await;
    let claims = claim_concurrently(&stores, "abandoned", 6, 1).await;
    assert_eq!(count(&claims, &Claim::TakenOver), 1, "{claims:?}");
    assert_eq!(count(&claims, &Claim::InProgress), 5, "{claims:?}");
}

/// What a store port's write with an answer must do, whichever port it is: `write(answer)`
/// writes a resource and `written()` says whether it is there.
pub async fn a_write_commits_with_its_answer<W, WFut, R, RFut>(
    stores: &Stores,
    write: W,
    written: R,
) where
    W: Fn(Option<Answer>, u8) -> WFut,
    WFut: std::future::Future<Output = Result<(), StoreError>>,
    R: Fn(u8) -> RFut,
    RFut: std::future::Future<Output = bool>,
{
    // Held: the write and its answer commit together.
    let claim = started(stores, "held").await;
    write(Some(answer(&claim, 201, "written")), 1)
        .await
        .unwrap();
    assert!(written(1).await);
    assert_eq!(
        retried(stores, "held").await,
        Claim::Completed(stored_response(201, "written"))
    );
    // Lost to a takeover: neither commits.
    let (lost, _held) = taken_over(stores, "lost").await;
    assert_eq!(
        write(Some(answer(&lost, 201, "late")), 2).await,
        Err(StoreError::ClaimLost)
    );
    assert!(
        !written(2).await,
        "a write whose claim was lost is rolled back"
    );
    assert_eq!(retried(stores, "lost").await, Claim::InProgress);
    // Without a key, the write alone.
    write(None, 3).await.unwrap();
    assert!(written(3).await);
}
