//! `Housekeeping`: the purge deletes what expired before its cutoffs and nothing else.

use chrono::TimeDelta;
use vodokanal_app::ports::{Claim, Limit, LimitState, NewSms, PurgeCutoffs, Purged, SmsPurpose};
use vodokanal_domain::{CodePurpose, PendingCode, Phone, Session};

use super::idempotency::{claim_at, retried, started};
use super::seed_user;
use crate::Stores;
use crate::builders::{self, answer, claim_of, now, phone, stored_response};

const ONE_PER_DAY: Limit = Limit {
    max: 1,
    window: TimeDelta::hours(24),
};

fn cutoffs() -> PurgeCutoffs {
    PurgeCutoffs {
        expired_before: now(),
        idempotency_before: now() - TimeDelta::hours(24),
        attempts_before: now() - TimeDelta::hours(24),
        outbox_before: now() - TimeDelta::hours(24),
        notices_before: now() - TimeDelta::days(400),
    }
}

/// One expired and one live record of each kind.
struct Seeded {
    expired_session: Session,
    live_session: Session,
    expired_code: PendingCode,
    live_code: PendingCode,
    live_key: &'static str,
    old_sms: Phone,
    recent_sms: Phone,
}

async fn seed_expired_and_live(stores: &Stores) -> Seeded {
    let user = seed_user(stores).await;
    let mut expired_session = builders::session(user.id);
    expired_session.expires_at = now() - TimeDelta::seconds(1);
    let live_session = builders::session(user.id);
    stores.sessions.create(&expired_session).await.unwrap();
    stores.sessions.create(&live_session).await.unwrap();

    let mut expired_code =
        builders::pending_code(&phone("+79109845003"), CodePurpose::Registration);
    expired_code.expires_at = now() - TimeDelta::seconds(1);
    let live_code = builders::pending_code(&phone("+79109845004"), CodePurpose::Registration);
    stores.codes.put(&expired_code).await.unwrap();
    stores.codes.put(&live_code).await.unwrap();

    let long_ago = now() - TimeDelta::hours(25);
    claim_at(stores, &claim_of("old"), 1, long_ago).await;
    let new_key = started(stores, "new").await;
    stores
        .idempotency
        .complete(&answer(&new_key, 201, "{}"))
        .await
        .unwrap();

    stores
        .attempts
        .record("login:old", now() - TimeDelta::hours(25))
        .await
        .unwrap();
    stores
        .attempts
        .record("login:new", now() - TimeDelta::hours(23))
        .await
        .unwrap();
    // An SMS whose validity ended 25 hours ago, and one that ended 23 hours ago.
    let old_sms = phone("+79109845005");
    let recent_sms = phone("+79109845006");
    for (to, ended) in [(&old_sms, 25), (&recent_sms, 23)] {
        let mut code = builders::pending_code(to, CodePurpose::PasswordReset);
        code.expires_at = now() - TimeDelta::hours(ended);
        let message = NewSms {
            phone: to.clone(),
            text: "Код для восстановления пароля: 123456.".into(),
            purpose: SmsPurpose::PasswordReset,
            client_ip: None,
            created_at: code.expires_at - TimeDelta::minutes(10),
            expires_at: code.expires_at,
        };
        stores
            .outbox
            .store_code(&code, Some(message), code.sent_at)
            .await
            .unwrap();
    }
    Seeded {
        expired_session,
        live_session,
        expired_code,
        live_code,
        live_key: "new",
        old_sms,
        recent_sms,
    }
}

pub async fn purge_deletes_only_what_expired(stores: Stores) {
    let Seeded {
        expired_session,
        live_session,
        expired_code,
        live_code,
        live_key,
        old_sms,
        recent_sms,
    } = seed_expired_and_live(&stores).await;

    assert_eq!(
        stores.housekeeping.purge_expired(cutoffs()).await.unwrap(),
        Purged {
            // The two codes stored with the messages had expired too.
            sessions: 1,
            codes: 3,
            idempotency_records: 1,
            attempts: 1,
            outbox: 1,
            notice_deliveries: 0,
            notices: 0,
        }
    );
    assert!(stores.outbox.to_phone(&old_sms).await.unwrap().is_empty());
    assert_eq!(stores.outbox.to_phone(&recent_sms).await.unwrap().len(), 1);

    assert_eq!(
        stores.sessions.find(&expired_session.digest).await.unwrap(),
        None
    );
    assert_eq!(
        stores.sessions.find(&live_session.digest).await.unwrap(),
        Some(live_session)
    );
    assert_eq!(
        stores
            .codes
            .find(&expired_code.phone, CodePurpose::Registration)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .codes
            .find(&live_code.phone, CodePurpose::Registration)
            .await
            .unwrap(),
        Some(live_code)
    );
    // The live record still replays; the attempt inside the window still counts.
    assert_eq!(
        retried(&stores, live_key).await,
        Claim::Completed(stored_response(201, "{}"))
    );
    assert!(matches!(
        stores
            .attempts
            .check("login:new", ONE_PER_DAY, now())
            .await
            .unwrap(),
        LimitState::Exceeded { .. }
    ));

    // Nothing is left to purge.
    assert_eq!(
        stores.housekeeping.purge_expired(cutoffs()).await.unwrap(),
        Purged::default()
    );
}

pub async fn purging_an_empty_store_deletes_nothing(stores: Stores) {
    assert_eq!(
        stores.housekeeping.purge_expired(cutoffs()).await.unwrap(),
        Purged::default()
    );
}
