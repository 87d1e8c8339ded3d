//! `SessionRepository`: sessions by token digest, revocation of one and of all but one.

use super::seed_user;
use crate::Stores;
use crate::builders;

pub async fn a_created_session_is_found(stores: Stores) {
    let user = seed_user(&stores).await;
    let session = builders::session(user.id);
    stores.sessions.create(&session).await.unwrap();
    assert_eq!(
        stores.sessions.find(&session.digest).await.unwrap(),
        Some(session)
    );
}

pub async fn an_unknown_session_is_not_found(stores: Stores) {
    let user = seed_user(&stores).await;
    stores
        .sessions
        .create(&builders::session(user.id))
        .await
        .unwrap();
    assert_eq!(
        stores
            .sessions
            .find(&builders::token_digest())
            .await
            .unwrap(),
        None
    );
}

pub async fn revoke_ends_one_session(stores: Stores) {
    let user = seed_user(&stores).await;
    let ended = builders::session(user.id);
    let kept = builders::session(user.id);
    stores.sessions.create(&ended).await.unwrap();
    stores.sessions.create(&kept).await.unwrap();
    stores.sessions.revoke(&ended.digest).await.unwrap();
    assert_eq!(stores.sessions.find(&ended.digest).await.unwrap(), None);
    assert_eq!(
        stores.sessions.find(&kept.digest).await.unwrap(),
        Some(kept)
    );
    // Revoking again, or an unknown digest, is not an error.
    stores.sessions.revoke(&ended.digest).await.unwrap();
}

pub async fn revoke_all_keeps_only_the_exception(stores: Stores) {
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
        .sessions
        .revoke_all(user.id, Some(current.digest))
        .await
        .unwrap();

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
}

pub async fn revoke_all_without_exception_ends_every_session_of_the_user(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let sessions: Vec<_> = (0..3).map(|_| builders::session(user.id)).collect();
    let others = builders::session(other.id);
    for session in &sessions {
        stores.sessions.create(session).await.unwrap();
    }
    stores.sessions.create(&others).await.unwrap();
    stores.sessions.revoke_all(user.id, None).await.unwrap();
    for session in &sessions {
        assert_eq!(stores.sessions.find(&session.digest).await.unwrap(), None);
    }
    assert_eq!(
        stores.sessions.find(&others.digest).await.unwrap(),
        Some(others)
    );
}
