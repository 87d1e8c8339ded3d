//! `SessionRepository`: sessions by token digest, and the revocation of one (ending all of a
//! user's sessions is `UserRepository::replace_password`, in `users.rs`).

use vodokanal_domain::PasswordHash;

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

/// A login that checked the old password while a reset replaced it: its session is refused,
/// so that the reset's end of every session stands.
pub async fn a_session_is_created_only_under_the_password_the_login_checked(stores: Stores) {
    let user = seed_user(&stores).await;
    let checked = user.password_hash.clone();
    let before = builders::session(user.id);
    assert!(
        stores
            .sessions
            .create_if_password(&before, &checked)
            .await
            .unwrap()
    );
    assert_eq!(
        stores.sessions.find(&before.digest).await.unwrap(),
        Some(before.clone())
    );

    let reset = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$cmVzZXQ$cmVzZXQ".into());
    stores
        .users
        .replace_password(user.id, &reset, None)
        .await
        .unwrap();
    assert_eq!(stores.sessions.find(&before.digest).await.unwrap(), None);

    // The login that verified the old password reaches the store only now.
    let late = builders::session(user.id);
    assert!(
        !stores
            .sessions
            .create_if_password(&late, &checked)
            .await
            .unwrap()
    );
    assert_eq!(stores.sessions.find(&late.digest).await.unwrap(), None);

    // Under the new password a session is created; an unknown user gets none.
    let after = builders::session(user.id);
    assert!(
        stores
            .sessions
            .create_if_password(&after, &reset)
            .await
            .unwrap()
    );
    assert_eq!(
        stores.sessions.find(&after.digest).await.unwrap(),
        Some(after)
    );
    let stranger = builders::session(vodokanal_domain::UserId::from_random_bytes([0xee; 16]));
    assert!(
        !stores
            .sessions
            .create_if_password(&stranger, &reset)
            .await
            .unwrap()
    );
}
