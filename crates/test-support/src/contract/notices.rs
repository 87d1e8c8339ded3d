//! `NoticeStore`'s notices and deliveries: a notice is stored once per user, kind, subject and
//! period whatever the race; its deliveries are claimed like the SMS outbox (due, leased,
//! limited, oldest first, never twice at once) with where they go now; their outcomes are
//! recorded; deleting a user leaves nothing of theirs; the purge deletes old ones. What is due
//! is in `notices_due`, the subscribers' settings in `notice_settings`.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_app::ports::{
    DeliveryOutcome, DeliveryRecord, DeliveryState, NewDelivery, PlannedNotice, PurgeCutoffs,
    Purged,
};
use vodokanal_domain::{
    AccountNumber, Channel, Channels, Notice, NoticeKind, NoticePreferences, NoticeTopic,
    PushSubscription, User, UserId,
};

use super::{concurrently, seed_user};
use crate::Stores;
use crate::builders::{self, now, seconds_from_now};

// The subscriber's keys of RFC 8291's example (Appendix A), and another valid pair.
pub(super) const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
pub(super) const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
pub(super) const OTHER_AUTH: &str = "AAAAAAAAAAAAAAAAAAAAAA";

pub(super) fn subscription(endpoint: &str) -> PushSubscription {
    PushSubscription::new(endpoint, P256DH, AUTH).unwrap()
}

pub(super) fn endpoint(n: u32) -> String {
    format!("https://push.example.net/push/{n}-{}", builders::user_id())
}

pub(super) fn notice(kind: NoticeKind, subject: &str, period: &str) -> Notice {
    Notice {
        kind,
        subject: subject.into(),
        period: period.into(),
        title: "Пора передать показания".into(),
        body: format!("Лицевой счет {subject}: показания ИПУ принимаются с 15 по 25 число."),
        url: format!("/#/accounts/{subject}/readings"),
    }
}

pub(super) fn reminder(subject: &str) -> Notice {
    notice(NoticeKind::ReadingWindowOpens, subject, "2026-11")
}

pub(super) fn delivery(channel: Channel, due_at: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        channel,
        push_subscription: None,
        due_at,
    }
}

pub(super) fn push_delivery(subscription: i64, due_at: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        channel: Channel::Push,
        push_subscription: Some(subscription),
        due_at,
    }
}

pub(super) fn planned(user: UserId, notice: Notice, deliveries: Vec<NewDelivery>) -> PlannedNotice {
    PlannedNotice {
        user,
        notice,
        deliveries,
        created_at: now(),
    }
}

/// A notice with one e-mail delivery due now.
pub(super) fn by_email(user: UserId, notice: Notice) -> PlannedNotice {
    planned(user, notice, vec![delivery(Channel::Email, now())])
}

pub(super) async fn plan(stores: &Stores, notices: &[PlannedNotice]) -> u64 {
    stores.notices.plan(notices).await.unwrap()
}

pub(super) async fn deliveries(stores: &Stores, user: UserId) -> Vec<DeliveryRecord> {
    stores.notices.deliveries_of(user).await.unwrap()
}

pub(super) fn pending(
    notice: &Notice,
    channel: Channel,
    next_attempt_at: DateTime<Utc>,
) -> DeliveryRecord {
    DeliveryRecord {
        kind: notice.kind,
        subject: notice.subject.clone(),
        period: notice.period.clone(),
        channel,
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at,
        sent_at: None,
        last_error: None,
    }
}

pub(super) async fn link(stores: &Stores, user: &User, account: &AccountNumber) {
    stores
        .accounts
        .link(user.id, account, None, now(), None)
        .await
        .unwrap();
}

pub async fn planning_a_notice_twice_stores_it_once(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let first = planned(
        user.id,
        reminder("100001"),
        vec![
            delivery(Channel::Email, now()),
            delivery(Channel::Sms, seconds_from_now(60)),
        ],
    );
    assert_eq!(plan(&stores, std::slice::from_ref(&first)).await, 1);
    assert_eq!(plan(&stores, std::slice::from_ref(&first)).await, 0);
    // The same notice twice in one call, with other texts and deliveries: still the first.
    let again = PlannedNotice {
        notice: Notice {
            title: "Другой заголовок".into(),
            ..first.notice.clone()
        },
        deliveries: vec![delivery(Channel::Push, now())],
        ..first.clone()
    };
    assert_eq!(plan(&stores, &[again.clone(), again]).await, 0);
    assert_eq!(
        deliveries(&stores, user.id).await,
        [
            pending(&first.notice, Channel::Email, now()),
            pending(&first.notice, Channel::Sms, seconds_from_now(60)),
        ]
    );
    // Another period, subject, kind or user is another notice.
    let others = [
        by_email(
            user.id,
            notice(NoticeKind::ReadingWindowOpens, "100001", "2026-12"),
        ),
        by_email(
            user.id,
            notice(NoticeKind::ReadingWindowOpens, "100002", "2026-11"),
        ),
        by_email(
            user.id,
            notice(NoticeKind::ReadingWindowCloses, "100001", "2026-11"),
        ),
        by_email(other.id, reminder("100001")),
    ];
    assert_eq!(plan(&stores, &others).await, 4);
    assert_eq!(deliveries(&stores, user.id).await.len(), 5);
    assert_eq!(deliveries(&stores, other.id).await.len(), 1);
    // A notice of a user who no longer exists is left out; the others are planned.
    let gone = builders::user_id();
    let mixed = [
        by_email(gone, reminder("100001")),
        by_email(user.id, reminder("100003")),
    ];
    assert_eq!(plan(&stores, &mixed).await, 1);
    assert!(deliveries(&stores, gone).await.is_empty());
}

pub async fn concurrent_plans_store_each_notice_once(stores: Stores) {
    let user = seed_user(&stores).await;
    let notices: Vec<PlannedNotice> = (0..12)
        .map(|n| {
            planned(
                user.id,
                reminder(&format!("1000{n:02}")),
                vec![
                    delivery(Channel::Email, now()),
                    delivery(Channel::Sms, now()),
                ],
            )
        })
        .collect();
    let counts = concurrently(2, |_| {
        let stores = stores.clone();
        let notices = notices.clone();
        async move { stores.notices.plan(&notices).await.unwrap() }
    })
    .await;
    assert_eq!(counts.iter().sum::<u64>(), 12, "{counts:?}");
    let kept = deliveries(&stores, user.id).await;
    assert_eq!(kept.len(), 24);
    let distinct: HashSet<(String, Channel)> = kept
        .iter()
        .map(|d| (d.subject.clone(), d.channel))
        .collect();
    assert_eq!(distinct.len(), 24);
}

pub async fn a_claim_takes_due_deliveries_until_their_lease_ends(stores: Stores) {
    let user = seed_user(&stores).await;
    let later = seconds_from_now(3600);
    let reminder = reminder("100001");
    plan(
        &stores,
        &[planned(
            user.id,
            reminder.clone(),
            vec![
                delivery(Channel::Email, now()),
                delivery(Channel::Sms, later),
            ],
        )],
    )
    .await;
    let lease = seconds_from_now(60);
    let claimed = stores.notices.claim(now(), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    assert_eq!(claimed[0].channel, Channel::Email);
    assert_eq!(claimed[0].user, user.id);
    assert_eq!(claimed[0].notice, reminder);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].created_at, now());
    let mut leased = pending(&reminder, Channel::Email, lease);
    leased.attempts = 1;
    assert_eq!(deliveries(&stores, user.id).await[0], leased);
    // Within the lease no claim takes it.
    let within = stores
        .notices
        .claim(seconds_from_now(59), seconds_from_now(119), 10)
        .await
        .unwrap();
    assert!(within.is_empty(), "{within:?}");
    // A sender that never recorded the outcome (it died) leaves it to the next claim.
    let retaken = stores
        .notices
        .claim(lease, seconds_from_now(120), 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].id, claimed[0].id);
    assert_eq!(retaken[0].attempts, 2);
    // The SMS is claimed from its time on.
    let sms = stores
        .notices
        .claim(later, later + TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(
        sms.iter().map(|d| d.channel).collect::<Vec<_>>(),
        [Channel::Email, Channel::Sms]
    );
}

pub async fn a_claim_takes_at_most_its_limit_oldest_first(stores: Stores) {
    let user = seed_user(&stores).await;
    // Planned newest first: the order of the claim is the due time's, not the plan's.
    for (subject, due) in [("100003", -10), ("100002", -20), ("100001", -30)] {
        plan(
            &stores,
            &[planned(
                user.id,
                reminder(subject),
                vec![delivery(Channel::Email, seconds_from_now(due))],
            )],
        )
        .await;
    }
    let subjects = |claimed: Vec<vodokanal_app::ports::DeliveryEntry>| {
        let mut subjects: Vec<String> = claimed.into_iter().map(|d| d.notice.subject).collect();
        subjects.sort();
        subjects
    };
    let first = stores
        .notices
        .claim(now(), seconds_from_now(60), 2)
        .await
        .unwrap();
    assert_eq!(subjects(first), ["100001", "100002"]);
    let rest = stores
        .notices
        .claim(now(), seconds_from_now(60), 2)
        .await
        .unwrap();
    assert_eq!(subjects(rest), ["100003"]);
}

pub async fn concurrent_claims_take_each_delivery_once(stores: Stores) {
    let user = seed_user(&stores).await;
    let notices: Vec<PlannedNotice> = (0..40)
        .map(|n| by_email(user.id, reminder(&format!("10{n:04}"))))
        .collect();
    plan(&stores, &notices).await;
    let claims = concurrently(2, |_| {
        let stores = stores.clone();
        async move {
            // Until nothing is left; bounded, so that a store without a lease fails rather
            // than claims for ever.
            let mut ids = Vec::new();
            for _ in 0..40 {
                let claimed = stores
                    .notices
                    .claim(now(), seconds_from_now(60), 3)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                ids.extend(claimed.into_iter().map(|d| d.id));
            }
            ids
        }
    })
    .await;
    let ids: Vec<i64> = claims.into_iter().flatten().collect();
    let distinct: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        distinct.len(),
        "a delivery was claimed twice: {ids:?}"
    );
    assert_eq!(distinct.len(), 40);
}

pub async fn a_claim_says_where_the_delivery_goes_now(stores: Stores) {
    let user = seed_user(&stores).await;
    let browser = endpoint(1);
    let sub = stores
        .notice_settings
        .add_push_subscription(user.id, &subscription(&browser), now())
        .await
        .unwrap();
    let reminder = reminder("100001");
    plan(
        &stores,
        &[planned(
            user.id,
            reminder.clone(),
            vec![
                delivery(Channel::Email, now()),
                push_delivery(sub, now()),
                delivery(Channel::Sms, now()),
            ],
        )],
    )
    .await;
    // After planning, the address is verified and the browser gives new keys.
    assert!(
        stores
            .notice_settings
            .verify_email(user.id, &user.email, now())
            .await
            .unwrap()
    );
    let renewed = PushSubscription::new(&browser, P256DH, OTHER_AUTH).unwrap();
    assert_eq!(
        stores
            .notice_settings
            .add_push_subscription(user.id, &renewed, now())
            .await
            .unwrap(),
        sub
    );
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    for entry in &claimed {
        assert_eq!(entry.user, user.id);
        assert_eq!(entry.notice, reminder);
        assert_eq!(entry.email, user.email);
        assert!(entry.email_verified);
        assert_eq!(entry.phone, user.phone);
    }
    let push: Vec<_> = claimed
        .iter()
        .map(|d| (d.channel, d.push.clone()))
        .collect();
    assert_eq!(
        push,
        [
            (Channel::Email, None),
            (Channel::Push, Some((sub, renewed))),
            (Channel::Sms, None),
        ]
    );
}

pub async fn a_gone_subscription_is_deleted_and_its_other_deliveries_go_without_it(stores: Stores) {
    let user = seed_user(&stores).await;
    let sub = stores
        .notice_settings
        .add_push_subscription(user.id, &subscription(&endpoint(1)), now())
        .await
        .unwrap();
    let first = reminder("100001");
    let second = reminder("100002");
    plan(
        &stores,
        &[
            planned(user.id, first.clone(), vec![push_delivery(sub, now())]),
            planned(
                user.id,
                second.clone(),
                vec![push_delivery(sub, seconds_from_now(1))],
            ),
        ],
    )
    .await;
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].notice, first);
    assert_eq!(claimed[0].push.as_ref().map(|(id, _)| *id), Some(sub));
    stores
        .notices
        .record(claimed[0].id, &DeliveryOutcome::SubscriptionGone)
        .await
        .unwrap();
    let notice_settings = &stores.notice_settings;
    assert_eq!(
        notice_settings
            .push_subscription_count(user.id)
            .await
            .unwrap(),
        0
    );
    let kept = deliveries(&stores, user.id).await;
    assert_eq!(kept[0].state, DeliveryState::Failed);
    assert_eq!(kept[0].last_error.as_deref(), Some("subscription gone"));
    assert_eq!(kept[1].state, DeliveryState::Pending);
    let next = stores
        .notices
        .claim(seconds_from_now(1), seconds_from_now(61), 10)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].notice, second);
    assert_eq!(next[0].channel, Channel::Push);
    assert_eq!(next[0].push, None);
}

pub async fn recorded_outcomes_show_in_the_deliveries(stores: Stores) {
    let user = seed_user(&stores).await;
    let notices = [reminder("100001"), reminder("100002"), reminder("100003")];
    let planned_notices: Vec<PlannedNotice> = notices
        .iter()
        .map(|n| by_email(user.id, n.clone()))
        .collect();
    plan(&stores, &planned_notices).await;
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    let id_of = |subject: &str| {
        claimed
            .iter()
            .find(|d| d.notice.subject == subject)
            .unwrap()
            .id
    };
    let sent_at = seconds_from_now(2);
    let retry_at = seconds_from_now(300);
    let outcomes = [
        (id_of("100001"), DeliveryOutcome::Sent { at: sent_at }),
        (
            id_of("100002"),
            DeliveryOutcome::Retry {
                at: retry_at,
                error: "SMTP 451: try again later".into(),
            },
        ),
        (
            id_of("100003"),
            DeliveryOutcome::Failed {
                error: "SMTP 550: no such mailbox".into(),
            },
        ),
    ];
    for (id, outcome) in &outcomes {
        stores.notices.record(*id, outcome).await.unwrap();
    }
    let lease = seconds_from_now(60);
    let claimed_once = |notice: &Notice| DeliveryRecord {
        attempts: 1,
        ..pending(notice, Channel::Email, lease)
    };
    assert_eq!(
        deliveries(&stores, user.id).await,
        [
            DeliveryRecord {
                state: DeliveryState::Sent,
                sent_at: Some(sent_at),
                ..claimed_once(&notices[0])
            },
            DeliveryRecord {
                next_attempt_at: retry_at,
                last_error: Some("SMTP 451: try again later".into()),
                ..claimed_once(&notices[1])
            },
            DeliveryRecord {
                state: DeliveryState::Failed,
                last_error: Some("SMTP 550: no such mailbox".into()),
                ..claimed_once(&notices[2])
            },
        ]
    );
    // Long after every lease, only the retry is claimed, at its time: sent and failed
    // deliveries never are.
    assert!(
        stores
            .notices
            .claim(seconds_from_now(299), seconds_from_now(359), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = stores
        .notices
        .claim(seconds_from_now(86_400), seconds_from_now(86_460), 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].notice, notices[1]);
    assert_eq!(later[0].attempts, 2);
}

/// A user with everything notices keep: preferences, a verified address, a subscription, and
/// a notice with an e-mail and a push delivery.
async fn seed_noticed_user(stores: &Stores, subject: &str) -> User {
    let user = seed_user(stores).await;
    let settings = &stores.notice_settings;
    settings
        .set_preferences(
            user.id,
            &NoticePreferences::default().with(NoticeTopic::Debt, Channels::NONE),
        )
        .await
        .unwrap();
    settings
        .verify_email(user.id, &user.email, now())
        .await
        .unwrap();
    let sub = settings
        .add_push_subscription(user.id, &subscription(&endpoint(1)), now())
        .await
        .unwrap();
    plan(
        stores,
        &[planned(
            user.id,
            reminder(subject),
            vec![delivery(Channel::Email, now()), push_delivery(sub, now())],
        )],
    )
    .await;
    user
}

pub async fn deleting_a_user_leaves_nothing_of_their_notices(stores: Stores) {
    let gone = seed_noticed_user(&stores, "100001").await;
    let kept = seed_noticed_user(&stores, "100002").await;
    stores.users.delete(gone.id).await.unwrap();

    assert!(deliveries(&stores, gone.id).await.is_empty());
    assert!(stores.notices.reach(&[gone.id]).await.unwrap().is_empty());
    let settings = &stores.notice_settings;
    assert_eq!(
        settings.preferences(gone.id).await.unwrap(),
        NoticePreferences::default()
    );
    assert_eq!(settings.push_subscription_count(gone.id).await.unwrap(), 0);
    assert_eq!(settings.email_verified_at(gone.id).await.unwrap(), None);
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    assert!(claimed.iter().all(|d| d.user == kept.id));
    assert_eq!(deliveries(&stores, kept.id).await.len(), 2);
    assert_eq!(settings.push_subscription_count(kept.id).await.unwrap(), 1);
    // A user registered again from nothing: no notice of the old one is in the way.
    let again = User {
        phone: gone.phone.clone(),
        email: gone.email.clone(),
        ..builders::user()
    };
    stores.users.create(&again).await.unwrap();
    assert_eq!(
        plan(&stores, &[by_email(again.id, reminder("100001"))]).await,
        1
    );
}

pub async fn the_purge_deletes_old_notices_and_finished_deliveries(stores: Stores) {
    let user = seed_user(&stores).await;
    let cutoff = now() - TimeDelta::days(400);
    let made = |subject: &str, days: i64| PlannedNotice {
        created_at: now() - TimeDelta::days(days),
        ..planned(
            user.id,
            reminder(subject),
            vec![
                delivery(Channel::Email, now() - TimeDelta::days(days)),
                delivery(Channel::Sms, now() - TimeDelta::days(days)),
            ],
        )
    };
    // 401 days old: its e-mail sent, its SMS still pending. 399 days: one sent, one failed.
    plan(&stores, &[made("100001", 401), made("100002", 399)]).await;
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    for entry in &claimed {
        let outcome = match (entry.notice.subject.as_str(), entry.channel) {
            ("100001", Channel::Sms) => continue,
            (_, Channel::Email) => DeliveryOutcome::Sent { at: now() },
            _ => DeliveryOutcome::Failed {
                error: "the gateway refuses the number".into(),
            },
        };
        stores.notices.record(entry.id, &outcome).await.unwrap();
    }
    let cutoffs = PurgeCutoffs {
        expired_before: now() - TimeDelta::days(500),
        idempotency_before: now() - TimeDelta::days(500),
        attempts_before: now() - TimeDelta::days(500),
        outbox_before: now() - TimeDelta::days(500),
        notices_before: cutoff,
    };
    assert_eq!(
        stores.housekeeping.purge_expired(cutoffs).await.unwrap(),
        Purged {
            notice_deliveries: 1,
            notices: 1,
            ..Purged::default()
        }
    );
    let left = deliveries(&stores, user.id).await;
    assert_eq!(
        left.iter()
            .map(|d| (d.subject.as_str(), d.state))
            .collect::<Vec<_>>(),
        [
            ("100002", DeliveryState::Sent),
            ("100002", DeliveryState::Failed),
        ]
    );
    assert_eq!(
        stores.housekeeping.purge_expired(cutoffs).await.unwrap(),
        Purged::default()
    );
    // The old notice's key is free again.
    assert_eq!(plan(&stores, &[made("100001", 0)]).await, 1);
}
