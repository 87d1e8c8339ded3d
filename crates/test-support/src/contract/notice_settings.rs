//! `NoticeSettings`, and `NoticeStore::reach` that reads them: preferences (the defaults until
//! set), push subscriptions (one per browser, for the user who added it last), the e-mail's
//! verification.

use vodokanal_app::ports::Reach;
use vodokanal_domain::{
    Channel, Channels, NoticePreferences, NoticeTopic, PushSubscription, UserId,
};

use super::notices::{
    OTHER_AUTH, P256DH, endpoint, plan, planned, push_delivery, reminder, subscription,
};
use super::seed_user;
use crate::Stores;
use crate::builders::{self, now, seconds_from_now};

pub async fn reach_says_how_each_user_can_be_reached(stores: Stores) {
    let plain = seed_user(&stores).await;
    let keen = seed_user(&stores).await;
    let chosen = NoticePreferences::default()
        .with(NoticeTopic::Debt, Channels::NONE.with(Channel::Sms))
        .with(NoticeTopic::Readings, Channels::NONE);
    let settings = &stores.notice_settings;
    settings.set_preferences(keen.id, &chosen).await.unwrap();
    assert!(
        settings
            .verify_email(keen.id, &keen.email, now())
            .await
            .unwrap()
    );
    let first = settings
        .add_push_subscription(keen.id, &subscription(&endpoint(1)), now())
        .await
        .unwrap();
    let second = settings
        .add_push_subscription(keen.id, &subscription(&endpoint(2)), now())
        .await
        .unwrap();
    let unknown = builders::user_id();

    let mut reach = stores
        .notices
        .reach(&[plain.id, unknown, keen.id])
        .await
        .unwrap();
    reach.sort_by_key(|r| r.user);
    let mut expected = vec![
        Reach {
            user: plain.id,
            preferences: NoticePreferences::default(),
            verified_email: None,
            phone: plain.phone.clone(),
            push_subscriptions: Vec::new(),
        },
        Reach {
            user: keen.id,
            preferences: chosen,
            verified_email: Some(keen.email.clone()),
            phone: keen.phone.clone(),
            push_subscriptions: vec![first, second],
        },
    ];
    expected.sort_by_key(|r| r.user);
    assert_eq!(reach, expected);
    assert!(stores.notices.reach(&[]).await.unwrap().is_empty());
}

pub async fn preferences_are_the_defaults_until_set(stores: Stores) {
    let user = seed_user(&stores).await;
    let settings = &stores.notice_settings;
    assert_eq!(
        settings.preferences(user.id).await.unwrap(),
        NoticePreferences::default()
    );
    let everything = Channels::DEFAULT.with(Channel::Sms);
    let first = NoticePreferences::default()
        .with(NoticeTopic::Payments, Channels::NONE)
        .with(NoticeTopic::Verification, everything);
    settings.set_preferences(user.id, &first).await.unwrap();
    assert_eq!(settings.preferences(user.id).await.unwrap(), first);
    let second = NoticePreferences::default().with(NoticeTopic::Debt, everything);
    settings.set_preferences(user.id, &second).await.unwrap();
    assert_eq!(settings.preferences(user.id).await.unwrap(), second);
    // Another user keeps the defaults.
    let other = seed_user(&stores).await;
    assert_eq!(
        settings.preferences(other.id).await.unwrap(),
        NoticePreferences::default()
    );
}

pub async fn a_push_subscription_belongs_to_the_user_who_added_it_last(stores: Stores) {
    let first = seed_user(&stores).await;
    let second = seed_user(&stores).await;
    let settings = &stores.notice_settings;
    let browser = endpoint(1);
    let id = settings
        .add_push_subscription(first.id, &subscription(&browser), now())
        .await
        .unwrap();
    let count = |user: UserId| settings.push_subscription_count(user);
    assert_eq!(count(first.id).await.unwrap(), 1);
    // The same browser again, with other keys: the same subscription.
    let renewed = PushSubscription::new(&browser, P256DH, OTHER_AUTH).unwrap();
    assert_eq!(
        settings
            .add_push_subscription(first.id, &renewed, now())
            .await
            .unwrap(),
        id
    );
    assert_eq!(count(first.id).await.unwrap(), 1);
    // A pending push of the first user, then the browser moves to the second.
    plan(
        &stores,
        &[planned(
            first.id,
            reminder("100001"),
            vec![push_delivery(id, now())],
        )],
    )
    .await;
    settings
        .add_push_subscription(second.id, &subscription(&browser), now())
        .await
        .unwrap();
    assert_eq!(count(first.id).await.unwrap(), 0);
    assert_eq!(count(second.id).await.unwrap(), 1);
    // The first user's notice never reaches the browser now the second's.
    let claimed = stores
        .notices
        .claim(now(), seconds_from_now(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].user, first.id);
    assert_eq!(claimed[0].push, None);
    // Only its user removes it, once.
    assert!(
        !settings
            .remove_push_subscription(first.id, &browser)
            .await
            .unwrap()
    );
    assert!(
        settings
            .remove_push_subscription(second.id, &browser)
            .await
            .unwrap()
    );
    assert!(
        !settings
            .remove_push_subscription(second.id, &browser)
            .await
            .unwrap()
    );
    assert_eq!(count(second.id).await.unwrap(), 0);
}

pub async fn verify_email_marks_only_the_current_address(stores: Stores) {
    let user = seed_user(&stores).await;
    let settings = &stores.notice_settings;
    assert_eq!(settings.email_verified_at(user.id).await.unwrap(), None);
    let stale = builders::fresh_email();
    assert!(!settings.verify_email(user.id, &stale, now()).await.unwrap());
    assert_eq!(settings.email_verified_at(user.id).await.unwrap(), None);
    let at = seconds_from_now(5);
    assert!(
        settings
            .verify_email(user.id, &user.email, at)
            .await
            .unwrap()
    );
    assert_eq!(settings.email_verified_at(user.id).await.unwrap(), Some(at));
    // A second click of the link: still verified, since the first time.
    assert!(
        settings
            .verify_email(user.id, &user.email, seconds_from_now(60))
            .await
            .unwrap()
    );
    assert_eq!(settings.email_verified_at(user.id).await.unwrap(), Some(at));
    let unknown = builders::user_id();
    assert!(
        !settings
            .verify_email(unknown, &user.email, now())
            .await
            .unwrap()
    );
    assert_eq!(settings.email_verified_at(unknown).await.unwrap(), None);
}
