//! `GET /profile`: the signed-in subscriber's phone, e-mail and registration time.

use std::sync::Arc;

use vodokanal_domain::{User, UserId};

use crate::StoreError;
use crate::ports::UserRepository;

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

/// Shows the profile: the subscriber's phone, e-mail and registration time.
#[derive(Debug)]
pub struct ViewProfile {
    users: Arc<dyn UserRepository>,
}

impl ViewProfile {
    pub fn new(users: Arc<dyn UserRepository>) -> Self {
        Self { users }
    }

    pub async fn execute(&self, command: ViewProfileCommand) -> Result<User, ViewProfileError> {
        self.users
            .by_id(command.user_id)
            .await?
            .ok_or(ViewProfileError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockUserRepository;
    use crate::testing;
    use crate::testing::down;
    use mockall::predicate::eq;

    async fn view(found: Result<Option<User>, StoreError>) -> Result<User, ViewProfileError> {
        let mut users = MockUserRepository::new();
        users
            .expect_by_id()
            .with(eq(testing::user_id()))
            .times(1)
            .return_const(found);
        ViewProfile::new(Arc::new(users))
            .execute(ViewProfileCommand {
                user_id: testing::user_id(),
            })
            .await
    }

    #[tokio::test]
    async fn the_profile_is_the_users_own() {
        assert_eq!(view(Ok(Some(testing::user()))).await, Ok(testing::user()));
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
