//! `GET /profile`: the signed-in subscriber's phone, e-mail (and whether it is verified) and
//! registration time.

use std::sync::Arc;

use vodokanal_domain::{User, UserId};

use crate::StoreError;
use crate::ports::{NoticeSettings, UserRepository};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewProfileCommand {
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewProfileError {
    /// The session is valid but its user is gone (deleted between the authentication and
    /// this call).
    #[error("the user no longer exists")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The profile as the subscriber sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user: User,
    /// Whether the address was verified by the link sent to it.
    pub email_verified: bool,
}

/// Shows the profile: the subscriber's phone, e-mail and registration time.
#[derive(Debug)]
pub struct ViewProfile {
    users: Arc<dyn UserRepository>,
    settings: Arc<dyn NoticeSettings>,
}

impl ViewProfile {
    pub fn new(users: Arc<dyn UserRepository>, settings: Arc<dyn NoticeSettings>) -> Self {
        Self { users, settings }
    }

    pub async fn execute(&self, command: ViewProfileCommand) -> Result<Profile, ViewProfileError> {
        let user = self
            .users
            .by_id(command.user_id)
            .await?
            .ok_or(ViewProfileError::NotFound)?;
        let email_verified = self.settings.email_verified_at(user.id).await?.is_some();
        Ok(Profile {
            user,
            email_verified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockNoticeSettings, MockUserRepository};
    use crate::testing;
    use crate::testing::down;
    use mockall::predicate::eq;

    async fn view(found: Result<Option<User>, StoreError>) -> Result<Profile, ViewProfileError> {
        let mut users = MockUserRepository::new();
        users
            .expect_by_id()
            .with(eq(testing::user_id()))
            .times(1)
            .return_const(found);
        let mut settings = MockNoticeSettings::new();
        settings.expect_email_verified_at().return_const(Ok(None));
        ViewProfile::new(Arc::new(users), Arc::new(settings))
            .execute(ViewProfileCommand {
                user_id: testing::user_id(),
            })
            .await
    }

    #[tokio::test]
    async fn the_profile_is_the_users_own() {
        assert_eq!(
            view(Ok(Some(testing::user()))).await,
            Ok(Profile {
                user: testing::user(),
                email_verified: false
            })
        );
    }

    #[tokio::test]
    async fn a_vanished_user_is_not_found() {
        assert_eq!(view(Ok(None)).await, Err(ViewProfileError::NotFound));
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let down = down();
        assert_eq!(
            view(Err(down.clone())).await,
            Err(ViewProfileError::Store(down))
        );
    }
}
