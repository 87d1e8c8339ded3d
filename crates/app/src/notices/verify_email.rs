//! The e-mail address is verified by a link sent to it: after registration, and again at the
//! subscriber's request («Отправить ссылку еще раз»), limited like SMS codes. Until the link is
//! opened no notice and no receipt goes to the address.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{Channel, Notice, UserId};

use super::links::LinkKey;
use crate::StoreError;
use crate::ports::{
    AttemptCounter, Clock, Limit, LimitState, NewDelivery, NoticeSettings, NoticeStore,
    PlannedNotice, UserRepository,
};

/// One link per 180 s, as one SMS code.
pub const LINK_PAUSE: Limit = Limit {
    max: 1,
    window: TimeDelta::seconds(180),
};

/// At most 5 links a day, as SMS codes per phone.
pub const LINKS_PER_DAY: Limit = Limit {
    max: 5,
    window: TimeDelta::hours(24),
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestLinkError {
    #[error("the address is verified already")]
    AlreadyVerified,
    #[error("a link was sent recently; the next one after {retry_after}")]
    TooSoon { retry_after: TimeDelta },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyEmailError {
    /// Forged, expired, or for an address that is no longer the user's.
    #[error("the link is not valid")]
    InvalidLink,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends the verification link and accepts it.
#[derive(Debug)]
pub struct EmailVerification {
    users: Arc<dyn UserRepository>,
    settings: Arc<dyn NoticeSettings>,
    notices: Arc<dyn NoticeStore>,
    attempts: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    key: LinkKey,
}

fn limited(state: LimitState) -> Result<(), RequestLinkError> {
    match state {
        LimitState::Allowed => Ok(()),
        LimitState::Exceeded { retry_after } => Err(RequestLinkError::TooSoon { retry_after }),
    }
}

impl EmailVerification {
    pub fn new(
        users: Arc<dyn UserRepository>,
        settings: Arc<dyn NoticeSettings>,
        notices: Arc<dyn NoticeStore>,
        attempts: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        key: LinkKey,
    ) -> Self {
        Self {
            users,
            settings,
            notices,
            attempts,
            clock,
            key,
        }
    }

    /// Queues a link to the user's address, unless it is verified or the limits say wait.
    pub async fn request(&self, user: UserId) -> Result<(), RequestLinkError> {
        let now = self.clock.now();
        if self.settings.email_verified_at(user).await?.is_some() {
            return Err(RequestLinkError::AlreadyVerified);
        }
        limited(
            self.attempts
                .acquire(&format!("email-link:pause:{user}"), LINK_PAUSE, now)
                .await?,
        )?;
        limited(
            self.attempts
                .acquire(&format!("email-link:day:{user}"), LINKS_PER_DAY, now)
                .await?,
        )?;
        self.queue(user, now).await
    }

    /// Queues the link without the limits (a new registration's first).
    pub async fn queue(&self, user: UserId, now: DateTime<Utc>) -> Result<(), RequestLinkError> {
        let Some(found) = self.users.by_id(user).await? else {
            return Ok(());
        };
        let link = PlannedNotice {
            user,
            notice: Notice::email_verification(&found.email, now),
            deliveries: vec![NewDelivery {
                channel: Channel::Email,
                push_subscription: None,
                due_at: now,
            }],
            created_at: now,
        };
        self.notices.plan(&[link]).await?;
        tracing::info!(user_id = %user, email = %found.email.masked(), "e-mail verification link queued");
        Ok(())
    }

    /// Accepts a link: the address it was sent to, if it is still the user's, is verified.
    pub async fn verify(&self, token: &str) -> Result<(), VerifyEmailError> {
        let now = self.clock.now();
        let (user, _) = LinkKey::read_email_token(token).ok_or(VerifyEmailError::InvalidLink)?;
        let found = self
            .users
            .by_id(user)
            .await?
            .ok_or(VerifyEmailError::InvalidLink)?;
        if !self.key.email_token_holds(token, user, &found.email, now) {
            return Err(VerifyEmailError::InvalidLink);
        }
        if !self.settings.verify_email(user, &found.email, now).await? {
            return Err(VerifyEmailError::InvalidLink);
        }
        tracing::info!(user_id = %user, email = %found.email.masked(), "e-mail verified");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::CodeKey;
    use crate::ports::{
        MockAttemptCounter, MockNoticeSettings, MockNoticeStore, MockUserRepository,
    };
    use crate::testing;
    use mockall::predicate::eq;
    use vodokanal_domain::NoticeKind;

    fn key() -> LinkKey {
        LinkKey::new(&CodeKey::insecure_default())
    }

    fn users() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users
            .expect_by_id()
            .with(eq(testing::user().id))
            .return_const(Ok(Some(testing::user())));
        users.expect_by_id().return_const(Ok(None));
        users
    }

    fn use_case(
        settings: MockNoticeSettings,
        notices: MockNoticeStore,
        attempts: MockAttemptCounter,
    ) -> EmailVerification {
        EmailVerification::new(
            Arc::new(users()),
            Arc::new(settings),
            Arc::new(notices),
            Arc::new(attempts),
            testing::clock(),
            key(),
        )
    }

    fn unverified() -> MockNoticeSettings {
        let mut settings = MockNoticeSettings::new();
        settings.expect_email_verified_at().return_const(Ok(None));
        settings
    }

    #[tokio::test]
    async fn a_link_is_queued_to_the_users_address_within_the_limits() {
        let mut attempts = MockAttemptCounter::new();
        attempts
            .expect_acquire()
            .withf(|key, limit, _| {
                key.starts_with("email-link:") && (*limit == LINK_PAUSE || *limit == LINKS_PER_DAY)
            })
            .times(2)
            .return_const(Ok(LimitState::Allowed));
        let mut notices = MockNoticeStore::new();
        notices
            .expect_plan()
            .withf(|planned| {
                let [link] = planned else { return false };
                link.notice.kind == NoticeKind::EmailVerification
                    && link.notice.subject == testing::email().as_str()
                    && link.deliveries.len() == 1
                    && link.deliveries[0].channel == Channel::Email
            })
            .times(1)
            .return_const(Ok(1));
        let verification = use_case(unverified(), notices, attempts);
        assert_eq!(verification.request(testing::user().id).await, Ok(()));
    }

    #[tokio::test]
    async fn a_second_link_within_the_pause_or_to_a_verified_address_is_refused() {
        let mut attempts = MockAttemptCounter::new();
        attempts
            .expect_acquire()
            .return_const(Ok(LimitState::Exceeded {
                retry_after: TimeDelta::seconds(120),
            }));
        let mut notices = MockNoticeStore::new();
        notices.expect_plan().never();
        let verification = use_case(unverified(), notices, attempts);
        assert_eq!(
            verification.request(testing::user().id).await,
            Err(RequestLinkError::TooSoon {
                retry_after: TimeDelta::seconds(120)
            })
        );

        let mut verified = MockNoticeSettings::new();
        verified
            .expect_email_verified_at()
            .return_const(Ok(Some(testing::now())));
        let mut notices = MockNoticeStore::new();
        notices.expect_plan().never();
        let verification = use_case(verified, notices, MockAttemptCounter::new());
        assert_eq!(
            verification.request(testing::user().id).await,
            Err(RequestLinkError::AlreadyVerified)
        );
    }

    #[tokio::test]
    async fn a_genuine_link_verifies_the_address_and_a_forged_one_nothing() {
        let user = testing::user();
        let token = key().email_token(user.id, &user.email, testing::now() + TimeDelta::hours(24));
        let mut settings = MockNoticeSettings::new();
        settings
            .expect_verify_email()
            .with(eq(user.id), eq(user.email.clone()), eq(testing::now()))
            .times(1)
            .return_const(Ok(true));
        let verification = use_case(settings, MockNoticeStore::new(), MockAttemptCounter::new());
        assert_eq!(verification.verify(&token).await, Ok(()));
        let stranger = UserId::from_random_bytes([0xEE; 16]);
        let theirs =
            key().email_token(stranger, &user.email, testing::now() + TimeDelta::hours(24));
        assert_eq!(
            verification.verify(&theirs).await,
            Err(VerifyEmailError::InvalidLink)
        );
        let expired = key().email_token(user.id, &user.email, testing::now());
        assert_eq!(
            verification.verify(&expired).await,
            Err(VerifyEmailError::InvalidLink)
        );
        assert_eq!(
            verification.verify("").await,
            Err(VerifyEmailError::InvalidLink)
        );
    }
}
