//! `AttemptCounter`: a sliding window per key, `acquire` atomic under concurrency.

use chrono::TimeDelta;
use vodokanal_app::ports::{Limit, LimitState};

use super::concurrently;
use crate::Stores;
use crate::builders::{now, seconds_from_now};

const FIVE_PER_HOUR: Limit = Limit {
    max: 5,
    window: TimeDelta::hours(1),
};

pub async fn check_allows_under_the_limit_and_counts_nothing(stores: Stores) {
    for _ in 0..10 {
        assert_eq!(
            stores
                .attempts
                .check("login:+79109845003", FIVE_PER_HOUR, now())
                .await
                .unwrap(),
            LimitState::Allowed
        );
    }
}

pub async fn recorded_attempts_reach_the_limit(stores: Stores) {
    let key = "link:123456";
    for i in 0..5 {
        assert_eq!(
            stores
                .attempts
                .check(key, FIVE_PER_HOUR, now())
                .await
                .unwrap(),
            LimitState::Allowed
        );
        stores
            .attempts
            .record(key, seconds_from_now(i * 60 - 600))
            .await
            .unwrap();
    }
    // The oldest counted attempt, 10 minutes ago, leaves the window in 50 minutes.
    assert_eq!(
        stores
            .attempts
            .check(key, FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Exceeded {
            retry_after: TimeDelta::minutes(50)
        }
    );
}

pub async fn attempts_leave_the_window(stores: Stores) {
    let key = "sms:+79109845003";
    for _ in 0..5 {
        stores.attempts.record(key, now()).await.unwrap();
    }
    assert!(matches!(
        stores
            .attempts
            .check(key, FIVE_PER_HOUR, seconds_from_now(3599))
            .await
            .unwrap(),
        LimitState::Exceeded { retry_after } if retry_after == TimeDelta::seconds(1)
    ));
    assert_eq!(
        stores
            .attempts
            .check(key, FIVE_PER_HOUR, seconds_from_now(3600))
            .await
            .unwrap(),
        LimitState::Allowed
    );
}

pub async fn count_reads_the_keys_attempts_within_the_window(stores: Stores) {
    let key = "sms:budget";
    for seconds_ago in [10, 1800, 3599, 3600, 7200] {
        stores
            .attempts
            .record(key, seconds_from_now(-seconds_ago))
            .await
            .unwrap();
    }
    stores.attempts.record("sms:other", now()).await.unwrap();
    let count = |window| stores.attempts.count(key, window, now());
    // The window is open at its start, as `check`'s is.
    assert_eq!(count(TimeDelta::hours(1)).await.unwrap(), 3);
    assert_eq!(count(TimeDelta::hours(24)).await.unwrap(), 5);
    assert_eq!(
        stores
            .attempts
            .count("none", TimeDelta::hours(24), now())
            .await
            .unwrap(),
        0
    );
}

pub async fn clear_forgets_the_keys_attempts(stores: Stores) {
    for _ in 0..5 {
        stores.attempts.record("a", now()).await.unwrap();
        stores.attempts.record("b", now()).await.unwrap();
    }
    stores.attempts.clear("a").await.unwrap();
    assert_eq!(
        stores
            .attempts
            .check("a", FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Allowed
    );
    assert!(matches!(
        stores
            .attempts
            .check("b", FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Exceeded { .. }
    ));
    // Clearing an unknown key is not an error.
    stores.attempts.clear("none").await.unwrap();
}

pub async fn keys_are_counted_apart(stores: Stores) {
    for _ in 0..5 {
        stores.attempts.record("login:1", now()).await.unwrap();
    }
    assert_eq!(
        stores
            .attempts
            .check("login:2", FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Allowed
    );
    assert_eq!(
        stores
            .attempts
            .check("login:", FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Allowed
    );
}

pub async fn release_takes_back_one_attempt(stores: Stores) {
    let key = "link:account:123456";
    let at = seconds_from_now(-60);
    for _ in 0..5 {
        assert_eq!(
            stores
                .attempts
                .acquire(key, FIVE_PER_HOUR, at)
                .await
                .unwrap(),
            LimitState::Allowed
        );
    }
    stores.attempts.release(key, at).await.unwrap();
    // Four are left: one more is allowed, then the limit holds again.
    let state = |at| {
        let stores = stores.clone();
        async move {
            stores
                .attempts
                .acquire(key, FIVE_PER_HOUR, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(state(now()).await, LimitState::Allowed);
    assert!(matches!(state(now()).await, LimitState::Exceeded { .. }));
    // Nothing counted at that instant, or under that key: nothing taken back.
    stores
        .attempts
        .release(key, seconds_from_now(-30))
        .await
        .unwrap();
    stores
        .attempts
        .release("link:account:none", at)
        .await
        .unwrap();
    assert!(matches!(state(now()).await, LimitState::Exceeded { .. }));
}

pub async fn acquire_counts_only_what_it_allows(stores: Stores) {
    let key = "link:user:1";
    for i in 0..5 {
        assert_eq!(
            stores
                .attempts
                .acquire(key, FIVE_PER_HOUR, seconds_from_now(i))
                .await
                .unwrap(),
            LimitState::Allowed
        );
    }
    for i in 5..10 {
        assert_eq!(
            stores
                .attempts
                .acquire(key, FIVE_PER_HOUR, seconds_from_now(i))
                .await
                .unwrap(),
            LimitState::Exceeded {
                retry_after: TimeDelta::hours(1) - TimeDelta::seconds(i)
            }
        );
    }
    // The refused calls were not counted: the window frees up an hour after the first five.
    assert_eq!(
        stores
            .attempts
            .acquire(key, FIVE_PER_HOUR, seconds_from_now(3605))
            .await
            .unwrap(),
        LimitState::Allowed
    );
}

pub async fn concurrent_acquires_allow_exactly_the_limit(stores: Stores) {
    let key = "link:account:123456";
    let states = concurrently(20, |_| {
        let attempts = stores.attempts.clone();
        async move { attempts.acquire(key, FIVE_PER_HOUR, now()).await.unwrap() }
    })
    .await;
    assert_eq!(
        states.iter().filter(|s| **s == LimitState::Allowed).count(),
        5,
        "{states:?}"
    );
    assert!(matches!(
        stores
            .attempts
            .check(key, FIVE_PER_HOUR, now())
            .await
            .unwrap(),
        LimitState::Exceeded { .. }
    ));
}
