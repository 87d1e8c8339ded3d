//! `CodeRepository`: one code per phone and purpose, wrong tries counted atomically, a code
//! consumed once.

use vodokanal_domain::{CodePurpose, PendingCode};

use super::concurrently;
use crate::Stores;
use crate::builders;

pub async fn a_stored_code_is_found(stores: Stores) {
    let phone = builders::fresh_phone();
    let code = builders::pending_code(&phone, CodePurpose::Registration);
    stores.codes.put(&code).await.unwrap();
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        Some(code)
    );
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::PasswordReset)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .codes
            .find(&builders::fresh_phone(), CodePurpose::Registration)
            .await
            .unwrap(),
        None
    );
}

pub async fn a_decoy_code_without_digest_is_stored(stores: Stores) {
    let phone = builders::fresh_phone();
    let decoy = PendingCode {
        digest: None,
        failed_attempts: 2,
        ..builders::pending_code(&phone, CodePurpose::Registration)
    };
    stores.codes.put(&decoy).await.unwrap();
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        Some(decoy)
    );
}

pub async fn put_replaces_the_code_of_the_same_phone_and_purpose(stores: Stores) {
    let phone = builders::fresh_phone();
    let first = builders::pending_code(&phone, CodePurpose::PasswordReset);
    let reset_other = builders::pending_code(&phone, CodePurpose::Registration);
    stores.codes.put(&first).await.unwrap();
    stores.codes.put(&reset_other).await.unwrap();
    stores
        .codes
        .record_try(&phone, CodePurpose::PasswordReset)
        .await
        .unwrap();
    let second = PendingCode {
        sent_at: builders::seconds_from_now(200),
        expires_at: builders::seconds_from_now(800),
        ..builders::pending_code(&phone, CodePurpose::PasswordReset)
    };
    stores.codes.put(&second).await.unwrap();
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::PasswordReset)
            .await
            .unwrap(),
        Some(second)
    );
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        Some(reset_other)
    );
}

pub async fn record_try_counts_every_try(stores: Stores) {
    let phone = builders::fresh_phone();
    let code = builders::pending_code(&phone, CodePurpose::Registration);
    stores.codes.put(&code).await.unwrap();
    for expected in 1..=3 {
        assert_eq!(
            stores
                .codes
                .record_try(&phone, CodePurpose::Registration)
                .await
                .unwrap(),
            expected
        );
    }
    let saved = stores
        .codes
        .find(&phone, CodePurpose::Registration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.failed_attempts, 3);
    assert_eq!(
        PendingCode {
            failed_attempts: 0,
            ..saved
        },
        code
    );
}

pub async fn record_try_of_a_missing_code_counts_nothing(stores: Stores) {
    let phone = builders::fresh_phone();
    assert_eq!(
        stores
            .codes
            .record_try(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        None
    );
}

pub async fn concurrent_tries_are_all_counted(stores: Stores) {
    let phone = builders::fresh_phone();
    stores
        .codes
        .put(&builders::pending_code(&phone, CodePurpose::Registration))
        .await
        .unwrap();
    let mut counts = concurrently(10, |_| {
        let codes = stores.codes.clone();
        let phone = phone.clone();
        async move {
            codes
                .record_try(&phone, CodePurpose::Registration)
                .await
                .unwrap()
        }
    })
    .await;
    counts.sort_unstable();
    assert_eq!(counts, (1..=10).collect::<Vec<u32>>());
}

pub async fn consume_removes_the_code_once(stores: Stores) {
    let phone = builders::fresh_phone();
    stores
        .codes
        .put(&builders::pending_code(&phone, CodePurpose::Registration))
        .await
        .unwrap();
    stores
        .codes
        .put(&builders::pending_code(&phone, CodePurpose::PasswordReset))
        .await
        .unwrap();
    assert!(
        stores
            .codes
            .consume(&phone, CodePurpose::Registration)
            .await
            .unwrap()
    );
    assert!(
        !stores
            .codes
            .consume(&phone, CodePurpose::Registration)
            .await
            .unwrap()
    );
    assert_eq!(
        stores
            .codes
            .find(&phone, CodePurpose::Registration)
            .await
            .unwrap(),
        None
    );
    assert!(
        stores
            .codes
            .find(&phone, CodePurpose::PasswordReset)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn concurrent_consumes_succeed_once(stores: Stores) {
    let phone = builders::fresh_phone();
    stores
        .codes
        .put(&builders::pending_code(&phone, CodePurpose::PasswordReset))
        .await
        .unwrap();
    let results = concurrently(2, |_| {
        let codes = stores.codes.clone();
        let phone = phone.clone();
        async move {
            codes
                .consume(&phone, CodePurpose::PasswordReset)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(results.iter().filter(|won| **won).count(), 1, "{results:?}");
    // And many at once.
    stores
        .codes
        .put(&builders::pending_code(&phone, CodePurpose::PasswordReset))
        .await
        .unwrap();
    let results = concurrently(10, |_| {
        let codes = stores.codes.clone();
        let phone = phone.clone();
        async move {
            codes
                .consume(&phone, CodePurpose::PasswordReset)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(results.iter().filter(|won| **won).count(), 1, "{results:?}");
}

pub async fn a_registration_code_keeps_its_email(stores: Stores) {
    let phone = builders::fresh_phone();
    let code = PendingCode {
        email: Some("abonent@example.ru".parse().unwrap()),
        ..builders::pending_code(&phone, CodePurpose::Registration)
    };
    stores.codes.put(&code).await.unwrap();
    let found = stores
        .codes
        .find(&phone, CodePurpose::Registration)
        .await
        .unwrap();
    assert_eq!(found.and_then(|c| c.email), code.email);
}
