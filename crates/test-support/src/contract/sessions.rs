//! `SessionRepository`: sessions by token digest, and the revocation of one (ending all of a
//! user's sessions is `UserRepository::replace_password`, in `users.rs`).

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
