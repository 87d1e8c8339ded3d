//! `DELETE /profile`: the user, their account links and sessions are deleted, given the
//! password; readings and payments stay, without the user.

use std::fmt;
use std::sync::Arc;

use vodokanal_domain::{LoginPassword, UserId};

use crate::StoreError;
use crate::ports::{HashError, PasswordHasher, UserRepository, Verification};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteProfileCommand {
    pub user_id: UserId,
    pub password: LoginPassword,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteProfileError {
    /// 401 `invalid_credentials`: the password is wrong.
    #[error("the password is wrong")]
    InvalidCredentials,
    /// 401 `unauthorized`: the session's user is gone.
    #[error("the user no longer exists")]
    NotFound,
    /// 500 `internal`.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// 503 `service_unavailable` / 500 `internal`.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Deletes the profile (204) once the password is confirmed.
pub struct DeleteProfile {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
}

impl fmt::Debug for DeleteProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeleteProfile")
    }
}

impl DeleteProfile {
    pub fn new(users: Arc<dyn UserRepository>, hasher: Arc<dyn PasswordHasher>) -> Self {
        Self { users, hasher }
    }

    pub async fn execute(&self, command: DeleteProfileCommand) -> Result<(), DeleteProfileError> {
        let user = self
            .users
            .by_id(command.user_id)
            .await?
            .ok_or(DeleteProfileError::NotFound)?;
        match self
            .hasher
            .verify(&command.password, &user.password_hash)
            .await?
        {
            Verification::Valid { .. } => {}
            Verification::Invalid => return Err(DeleteProfileError::InvalidCredentials),
        }
        self.users.delete(user.id).await?;
        tracing::info!(user_id = %user.id, "profile deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockPasswordHasher, MockUserRepository};
    use crate::testing;
    use mockall::predicate::eq;

    fn command() -> DeleteProfileCommand {
        DeleteProfileCommand {
            user_id: testing::user_id(),
            password: LoginPassword::try_from("мой пароль".to_owned()).unwrap(),
        }
    }

    fn found() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users
            .expect_by_id()
            .with(eq(testing::user_id()))
            .times(1)
            .return_const(Ok(Some(testing::user())));
        users
    }

    fn verifying(outcome: Result<Verification, HashError>) -> MockPasswordHasher {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .withf(|password, hash| {
                password.expose() == "мой пароль" && *hash == testing::user().password_hash
            })
            .times(1)
            .return_const(outcome);
        hasher
    }

    async fn run(
        users: MockUserRepository,
        hasher: MockPasswordHasher,
    ) -> Result<(), DeleteProfileError> {
        DeleteProfile::new(Arc::new(users), Arc::new(hasher))
            .execute(command())
            .await
    }

    fn down() -> StoreError {
        StoreError::Unavailable("down".into())
    }

    #[tokio::test]
    async fn the_right_password_deletes_the_user() {
        let mut users = found();
        users
            .expect_delete()
            .with(eq(testing::user_id()))
            .times(1)
            .return_const(Ok(()));
        let hasher = verifying(Ok(Verification::Valid { needs_rehash: true }));
        assert_eq!(run(users, hasher).await, Ok(()));
    }

    #[tokio::test]
    async fn a_wrong_password_deletes_nothing() {
        let hasher = verifying(Ok(Verification::Invalid));
        assert_eq!(
            run(found(), hasher).await,
            Err(DeleteProfileError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn a_vanished_user_is_not_found() {
        let mut users = MockUserRepository::new();
        users.expect_by_id().return_const(Ok(None));
        assert_eq!(
            run(users, MockPasswordHasher::new()).await,
            Err(DeleteProfileError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_hasher_failure_deletes_nothing() {
        let failed = HashError::Failed("pool gone".into());
        let hasher = verifying(Err(failed.clone()));
        assert_eq!(
            run(found(), hasher).await,
            Err(DeleteProfileError::Hash(failed))
        );
    }

    #[tokio::test]
    async fn a_store_down_at_the_lookup_is_reported() {
        let mut users = MockUserRepository::new();
        users.expect_by_id().return_const(Err(down()));
        assert_eq!(
            run(users, MockPasswordHasher::new()).await,
            Err(DeleteProfileError::Store(down()))
        );
    }

    #[tokio::test]
    async fn a_store_down_at_the_delete_is_reported() {
        let mut users = found();
        users.expect_delete().times(1).return_const(Err(down()));
        let hasher = verifying(Ok(Verification::Valid {
            needs_rehash: false,
        }));
        assert_eq!(
            run(users, hasher).await,
            Err(DeleteProfileError::Store(down()))
        );
    }
}
