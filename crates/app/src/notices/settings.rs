//! «Уведомления» in the profile: the channels per topic, the browser's push subscription, and
//! the one-click unsubscribe link of a notice's e-mail.

use std::sync::Arc;

use vodokanal_domain::{
    Channel, Channels, NoticePreferences, NoticeTopic, PushSubscription, UserId,
};

use super::links::LinkKey;
use crate::StoreError;
use crate::ports::{Clock, NoticeSettings, PushSender};

/// The most push subscriptions (browsers) a subscriber keeps.
pub const MAX_PUSH_SUBSCRIPTIONS: u32 = 10;

/// The push services' hosts the server posts to: a subscription elsewhere is refused, so that
/// a stranger cannot make the server call an address of their choosing. A host matches itself
/// and its subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushHosts(Vec<String>);

impl Default for PushHosts {
    /// The browsers' push services: Chrome's (FCM), Firefox's, Edge's (WNS) and Safari's.
    fn default() -> Self {
        Self::new(
            [
                "fcm.googleapis.com",
                "push.services.mozilla.com",
                "notify.windows.com",
                "push.apple.com",
            ]
            .map(str::to_owned),
        )
    }
}

impl PushHosts {
    pub fn new(hosts: impl IntoIterator<Item = String>) -> Self {
        Self(
            hosts
                .into_iter()
                .map(|h| h.trim().trim_start_matches('.').to_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        )
    }

    pub fn allows(&self, host: &str) -> bool {
        self.0.iter().any(|allowed| {
            host == allowed
                || host
                    .strip_suffix(allowed.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

/// What «Уведомления» shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationsView {
    pub preferences: NoticePreferences,
    pub email_verified: bool,
    /// The VAPID public key for the browser's subscription; `None` when push is off.
    pub push_public_key: Option<String>,
    pub push_subscriptions: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The server has no VAPID key: web push is off.
    #[error("web push is not configured")]
    PushOff,
    #[error("the push service's host is not one the server posts to")]
    HostNotAllowed,
    #[error("at most {MAX_PUSH_SUBSCRIPTIONS} push subscriptions")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The subscriber's notification settings.
#[derive(Debug)]
pub struct Notifications {
    settings: Arc<dyn NoticeSettings>,
    push: Option<Arc<dyn PushSender>>,
    push_hosts: PushHosts,
    clock: Arc<dyn Clock>,
}

impl Notifications {
    pub fn new(
        settings: Arc<dyn NoticeSettings>,
        push: Option<Arc<dyn PushSender>>,
        push_hosts: PushHosts,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            settings,
            push,
            push_hosts,
            clock,
        }
    }

    pub async fn view(&self, user: UserId) -> Result<NotificationsView, StoreError> {
        Ok(NotificationsView {
            preferences: self.settings.preferences(user).await?,
            email_verified: self.settings.email_verified_at(user).await?.is_some(),
            push_public_key: self.push.as_ref().map(|push| push.public_key()),
            push_subscriptions: self.settings.push_subscription_count(user).await?,
        })
    }

    /// Sets the channels of every topic at once.
    pub async fn set(
        &self,
        user: UserId,
        preferences: NoticePreferences,
    ) -> Result<NotificationsView, StoreError> {
        self.settings.set_preferences(user, &preferences).await?;
        self.view(user).await
    }

    /// Keeps the browser's subscription (again, if it was kept: its keys may be new).
    pub async fn subscribe(
        &self,
        user: UserId,
        subscription: &PushSubscription,
    ) -> Result<(), SubscribeError> {
        if self.push.is_none() {
            return Err(SubscribeError::PushOff);
        }
        if !self.push_hosts.allows(&subscription.host()) {
            tracing::info!(host = %subscription.host(), "a push subscription to a host not allowed is refused");
            return Err(SubscribeError::HostNotAllowed);
        }
        if self.settings.push_subscription_count(user).await? >= MAX_PUSH_SUBSCRIPTIONS {
            // The browser's own endpoint, kept already, is only replaced.
            if !self
                .settings
                .remove_push_subscription(user, subscription.endpoint())
                .await?
            {
                return Err(SubscribeError::TooMany);
            }
        }
        self.settings
            .add_push_subscription(user, subscription, self.clock.now())
            .await?;
        Ok(())
    }

    /// Forgets the browser's subscription; whether there was one.
    pub async fn unsubscribe(&self, user: UserId, endpoint: &str) -> Result<bool, StoreError> {
        self.settings.remove_push_subscription(user, endpoint).await
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsubscribeError {
    #[error("the link is not valid")]
    InvalidLink,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The one-click unsubscribe (RFC 8058): turns every channel of the link's topic off, without
/// a session. Repeating it changes nothing.
#[derive(Debug)]
pub struct UnsubscribeByLink {
    settings: Arc<dyn NoticeSettings>,
    key: LinkKey,
}

impl UnsubscribeByLink {
    pub fn new(settings: Arc<dyn NoticeSettings>, key: LinkKey) -> Self {
        Self { settings, key }
    }

    pub async fn execute(&self, token: &str) -> Result<NoticeTopic, UnsubscribeError> {
        let (user, topic) = self
            .key
            .read_unsubscribe_token(token)
            .ok_or(UnsubscribeError::InvalidLink)?;
        let preferences = self.settings.preferences(user).await?;
        let off = Channel::ALL
            .into_iter()
            .fold(preferences.channels(topic), Channels::without);
        self.settings
            .set_preferences(user, &preferences.with(topic, off))
            .await?;
        tracing::info!(user_id = %user, topic = topic.code(), "unsubscribed by the mail's link");
        Ok(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::CodeKey;
    use crate::ports::{MockNoticeSettings, MockPushSender};
    use crate::testing;
    use mockall::predicate::eq;

    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";

    fn subscription(endpoint: &str) -> PushSubscription {
        PushSubscription::new(endpoint, P256DH, "BTBZMqHH6r4Tts7J_aSIgg").unwrap()
    }

    fn push() -> Arc<dyn PushSender> {
        let mut push = MockPushSender::new();
        push.expect_public_key().return_const("BKEY".to_owned());
        Arc::new(push)
    }

    #[test]
    fn the_push_hosts_match_themselves_and_their_subdomains_only() {
        let hosts = PushHosts::default();
        assert!(hosts.allows("fcm.googleapis.com"));
        assert!(hosts.allows("updates.push.services.mozilla.com"));
        assert!(hosts.allows("wns2-par02p.notify.windows.com"));
        assert!(!hosts.allows("evilfcm.googleapis.com"));
        assert!(!hosts.allows("fcm.googleapis.com.evil.example"));
        assert!(!hosts.allows("169.254.169.254"));
        assert!(PushHosts::new(["127.0.0.1".to_owned()]).allows("127.0.0.1"));
    }

    #[tokio::test]
    async fn a_subscription_to_a_host_not_allowed_or_with_push_off_is_refused() {
        let mut settings = MockNoticeSettings::new();
        settings.expect_add_push_subscription().never();
        let settings: Arc<dyn NoticeSettings> = Arc::new(settings);
        let notifications = Notifications::new(
            settings.clone(),
            Some(push()),
            PushHosts::default(),
            testing::clock(),
        );
        let inside = subscription("http://169.254.169.254/latest/meta-data");
        assert_eq!(
            notifications.subscribe(testing::user().id, &inside).await,
            Err(SubscribeError::HostNotAllowed)
        );
        let off = Notifications::new(settings, None, PushHosts::default(), testing::clock());
        let fcm = subscription("https://fcm.googleapis.com/fcm/send/abc");
        assert_eq!(
            off.subscribe(testing::user().id, &fcm).await,
            Err(SubscribeError::PushOff)
        );
    }

    #[tokio::test]
    async fn past_the_most_subscriptions_only_a_kept_endpoint_is_renewed() {
        let user = testing::user().id;
        let mut settings = MockNoticeSettings::new();
        settings
            .expect_push_subscription_count()
            .return_const(Ok(MAX_PUSH_SUBSCRIPTIONS));
        settings
            .expect_remove_push_subscription()
            .withf(|_, endpoint| endpoint.ends_with("/kept"))
            .return_const(Ok(true));
        settings
            .expect_remove_push_subscription()
            .return_const(Ok(false));
        settings
            .expect_add_push_subscription()
            .withf(|_, sub, _| sub.endpoint().ends_with("/kept"))
            .times(1)
            .return_const(Ok(1));
        let notifications = Notifications::new(
            Arc::new(settings),
            Some(push()),
            PushHosts::default(),
            testing::clock(),
        );
        let kept = subscription("https://fcm.googleapis.com/fcm/send/kept");
        assert_eq!(notifications.subscribe(user, &kept).await, Ok(()));
        let new = subscription("https://fcm.googleapis.com/fcm/send/new");
        assert_eq!(
            notifications.subscribe(user, &new).await,
            Err(SubscribeError::TooMany)
        );
    }

    #[tokio::test]
    async fn the_link_turns_its_topic_off_and_leaves_the_others() {
        let user = testing::user().id;
        let key = LinkKey::new(&CodeKey::insecure_default());
        let token = key.unsubscribe_token(user, NoticeTopic::Debt);
        let mut settings = MockNoticeSettings::new();
        let chosen = NoticePreferences::default()
            .with(NoticeTopic::Debt, Channels::DEFAULT.with(Channel::Sms));
        settings
            .expect_preferences()
            .with(eq(user))
            .return_const(Ok(chosen));
        settings
            .expect_set_preferences()
            .with(
                eq(user),
                eq(NoticePreferences::default().with(NoticeTopic::Debt, Channels::NONE)),
            )
            .times(1)
            .return_const(Ok(()));
        let unsubscribe = UnsubscribeByLink::new(Arc::new(settings), key);
        assert_eq!(unsubscribe.execute(&token).await, Ok(NoticeTopic::Debt));
        assert_eq!(
            unsubscribe.execute("forged").await,
            Err(UnsubscribeError::InvalidLink)
        );
    }
}
