//! `UserRepository`: unique phone and e-mail, look-ups, the password hash, deletion and what it
//! cascades to.

use vodokanal_app::idempotency::{Caller, Claimed, IdempotencyRecordKey};
use vodokanal_app::ports::{Claim, CreateUserError};
use vodokanal_domain::{PasswordHash, User};

use super::idempotency::claim_at;
use super::{concurrently, seed_account, seed_user};
use crate::Stores;
use crate::builders::{self, email, phone};

pub async fn a_created_user_is_found_by_id_phone_and_email(stores: Stores) {
    let user = builders::user();
    stores.users.create(&user).await.unwrap();
    assert_eq!(
        stores.users.by_id(user.id).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        stores.users.by_phone(&user.phone).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        stores.users.by_email(&user.email).await.unwrap(),
        Some(user)
    );
}

pub async fn an_unknown_user_is_not_found(stores: Stores) {
    seed_user(&stores).await;
    assert_eq!(stores.users.by_id(builders::user_id()).await.unwrap(), None);
    assert_eq!(
        stores
            .users
            .by_phone(&builders::fresh_phone())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .users
            .by_email(&builders::fresh_email())
            .await
            .unwrap(),
        None
    );
}

pub async fn a_taken_phone_is_refused(stores: Stores) {
    let first = builders::user_with("+79109845003", "first@example.ru");
    stores.users.create(&first).await.unwrap();
    let second = builders::user_with("8 (910) 984-50-03", "second@example.ru");
    assert_eq!(
        stores.users.create(&second).await,
        Err(CreateUserError::PhoneTaken)
    );
    assert_eq!(stores.users.by_id(second.id).await.unwrap(), None);
    assert_eq!(stores.users.by_email(&second.email).await.unwrap(), None);
}

pub async fn a_taken_email_is_refused(stores: Stores) {
    let first = builders::user_with("+79109845003", "same@example.ru");
    stores.users.create(&first).await.unwrap();
    let second = builders::user_with("+79109845004", "SAME@example.ru");
    assert_eq!(
        stores.users.create(&second).await,
        Err(CreateUserError::EmailTaken)
    );
    assert_eq!(stores.users.by_id(second.id).await.unwrap(), None);
    assert_eq!(stores.users.by_phone(&second.phone).await.unwrap(), None);
}

pub async fn concurrent_registrations_of_one_phone_create_one_user(stores: Stores) {
    let results = concurrently(8, |i| {
        let users = stores.users.clone();
        async move {
            let user = User {
                phone: phone("+79109845003"),
                email: email(&format!("racer{i}@example.ru")),
                ..builders::user()
            };
            users.create(&user).await
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(CreateUserError::PhoneTaken))),
        "{results:?}"
    );
}

pub async fn set_password_hash_replaces_the_hash(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA".into());
    stores
        .users
        .set_password_hash(user.id, &hash)
        .await
        .unwrap();
    let saved = stores.users.by_id(user.id).await.unwrap().unwrap();
    assert_eq!(saved.password_hash, hash);
    assert_eq!(
        User {
            password_hash: user.password_hash.clone(),
            ..saved
        },
        user
    );
    assert_eq!(stores.users.by_id(other.id).await.unwrap(), Some(other));
    // An unknown user: nothing to change, nothing created.
    stores
        .users
        .set_password_hash(builders::user_id(), &hash)
        .await
        .unwrap();
}

fn new_hash() -> PasswordHash {
    PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA".into())
}

pub async fn replace_password_keeps_only_the_callers_session(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let current = builders::session(user.id);
    let elsewhere: Vec<_> = (0..3).map(|_| builders::session(user.id)).collect();
    let others = builders::session(other.id);
    stores.sessions.create(&current).await.unwrap();
    for session in &elsewhere {
        stores.sessions.create(session).await.unwrap();
    }
    stores.sessions.create(&others).await.unwrap();

    stores
        .users
        .replace_password(user.id, &new_hash(), Some(current.digest))
        .await
        .unwrap();

    let saved = stores.users.by_id(user.id).await.unwrap().unwrap();
    assert_eq!(saved.password_hash, new_hash());
    assert_eq!(
        stores.sessions.find(&current.digest).await.unwrap(),
        Some(current)
    );
    for session in &elsewhere {
        assert_eq!(stores.sessions.find(&session.digest).await.unwrap(), None);
    }
    assert_eq!(
        stores.sessions.find(&others.digest).await.unwrap(),
        Some(others)
    );
    assert_eq!(stores.users.by_id(other.id).await.unwrap(), Some(other));
}

pub async fn replace_password_without_a_session_to_keep_ends_every_session(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let sessions: Vec<_> = (0..3).map(|_| builders::session(user.id)).collect();
    let others = builders::session(other.id);
    for session in &sessions {
        stores.sessions.create(session).await.unwrap();
    }
    stores.sessions.create(&others).await.unwrap();

    stores
        .users
        .replace_password(user.id, &new_hash(), None)
        .await
        .unwrap();

    let saved = stores.users.by_id(user.id).await.unwrap().unwrap();
    assert_eq!(saved.password_hash, new_hash());
    for session in &sessions {
        assert_eq!(stores.sessions.find(&session.digest).await.unwrap(), None);
    }
    assert_eq!(
        stores.sessions.find(&others.digest).await.unwrap(),
        Some(others)
    );
}

pub async fn deleting_a_user_deletes_their_links_and_sessions(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, None, builders::now(), None)
        .await
        .unwrap();
    stores
        .accounts
        .link(other.id, &account, None, builders::now(), None)
        .await
        .unwrap();
    let session = builders::session(user.id);
    let others_session = builders::session(other.id);
    stores.sessions.create(&session).await.unwrap();
    stores.sessions.create(&others_session).await.unwrap();

    stores.users.delete(user.id).await.unwrap();

    assert_eq!(stores.users.by_id(user.id).await.unwrap(), None);
    assert_eq!(stores.users.by_phone(&user.phone).await.unwrap(), None);
    assert_eq!(stores.sessions.find(&session.digest).await.unwrap(), None);
    assert!(stores.accounts.linked(user.id).await.unwrap().is_empty());
    assert_eq!(
        stores.accounts.linked_one(user.id, &account).await.unwrap(),
        None
    );
    // The account itself and other users stay.
    assert!(stores.accounts.find(&account).await.unwrap().is_some());
    assert_eq!(stores.accounts.linked(other.id).await.unwrap().len(), 1);
    assert_eq!(
        stores.sessions.find(&others_session.digest).await.unwrap(),
        Some(others_session)
    );
}

pub async fn deleting_a_user_keeps_their_readings_payments_and_visits(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, meter) = seed_account(&stores).await;
    let reading = vodokanal_domain::Reading {
        user_id: Some(user.id),
        ..builders::reading(&account, &meter, "2026-11", "10")
    };
    stores
        .readings
        .save_all(std::slice::from_ref(&reading), None)
        .await
        .unwrap();
    let payment = vodokanal_domain::Payment {
        user_id: Some(user.id),
        ..builders::payment(&account)
    };
    stores.payments.create(&payment).await.unwrap();
    let visit = builders::visit(&account, Some(user.id));
    stores.visits.create(&visit, None).await.unwrap();
    // Another payer's payment keeps its receipt contact.
    let others = builders::payment(&account);
    stores.payments.create(&others).await.unwrap();

    stores.users.delete(user.id).await.unwrap();

    let readings = stores.readings.history(&account, 10, None).await.unwrap();
    assert_eq!(
        readings,
        vec![vodokanal_domain::Reading {
            user_id: None,
            ..reading
        }]
    );
    assert_eq!(
        stores.payments.find(payment.id).await.unwrap(),
        Some(vodokanal_domain::Payment {
            user_id: None,
            receipt_contact: None,
            ..payment
        })
    );
    assert_eq!(stores.payments.find(others.id).await.unwrap(), Some(others));
    assert!(stores.visits.for_user(user.id).await.unwrap().is_empty());
    let exported = super::collect(stores.visits.export(None)).await;
    assert_eq!(
        exported,
        vec![vodokanal_domain::VisitRequest {
            user_id: None,
            ..visit
        }]
    );
}

pub async fn deleting_a_user_forgets_their_idempotency_records(stores: Stores) {
    let user = seed_user(&stores).await;
    let users = Claimed {
        record: IdempotencyRecordKey::new(
            &Caller::User(user.id),
            "POST /api/v1/visit-requests",
            &"k-1".parse().unwrap(),
        ),
        ..builders::claim_of("k-1")
    };
    let anonymous = builders::claim_of("k-1");
    for claim in [&users, &anonymous] {
        claim_at(&stores, claim, 1, builders::now()).await;
        stores
            .idempotency
            .complete(&builders::answer(claim, 201, "{}"))
            .await
            .unwrap();
    }

    stores.users.delete(user.id).await.unwrap();

    // The user's record is gone (the key starts afresh); another caller's replays.
    let again = |claim: Claimed| Claimed {
        token: builders::claim_of("k-1").token,
        ..claim
    };
    assert_eq!(
        claim_at(&stores, &again(users), 2, builders::now()).await,
        Claim::Started
    );
    assert_eq!(
        claim_at(&stores, &again(anonymous), 2, builders::now()).await,
        Claim::Mismatch
    );
}

pub async fn a_deleted_users_phone_and_email_can_register_again(stores: Stores) {
    let user = seed_user(&stores).await;
    stores.users.delete(user.id).await.unwrap();
    let again = User {
        phone: user.phone.clone(),
        email: user.email.clone(),
        ..builders::user()
    };
    stores.users.create(&again).await.unwrap();
    assert_eq!(
        stores.users.by_phone(&user.phone).await.unwrap(),
        Some(again)
    );
}

pub async fn deleting_an_unknown_user_is_not_an_error(stores: Stores) {
    let user = seed_user(&stores).await;
    stores.users.delete(builders::user_id()).await.unwrap();
    assert_eq!(stores.users.by_id(user.id).await.unwrap(), Some(user));
}
