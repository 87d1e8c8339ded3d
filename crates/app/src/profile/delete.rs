//! `DELETE /profile`: the user, their account links and sessions are deleted, given the
//! password; readings and payments stay, without the user.

use std::sync::Arc;

use chrono::TimeDelta;
use vodokanal_domain::{LoginPassword, UserId};

use super::password_check::{PasswordCheck, PasswordCheckError};
use crate::StoreError;
use crate::ports::{HashError, UserRepository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteProfileCommand {
    pub user_id: UserId,
    pub password: LoginPassword,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteProfileError {
    /// The password is wrong.
    #[error("the password is wrong")]
    InvalidCredentials,
    /// Too many wrong passwords for this user's login.
    #[error("too many wrong passwords; retry after {retry_after}")]
    TooManyAttempts { retry_after: TimeDelta },
    /// The session's user is gone.
    #[error("the user no longer exists")]
    NotFound,
    /// The password hasher failed or is busy.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Deletes the profile once the password is confirmed.
#[derive(Debug)]
pub struct DeleteProfile {
    users: Arc<dyn UserRepository>,
    password_check: PasswordCheck,
}

impl DeleteProfile {
    pub fn new(users: Arc<dyn UserRepository>, password_check: PasswordCheck) -> Self {
        Self {
            users,
            password_check,
        }
    }

    pub async fn execute(&self, command: DeleteProfileCommand) -> Result<(), DeleteProfileError> {
        let user = self
            .users
            .by_id(command.user_id)
            .await?
            .ok_or(DeleteProfileError::NotFound)?;
        self.password_check
            .verify(&user, &command.password)
            .await
            .map_err(|error| match error {
                PasswordCheckError::Wrong => DeleteProfileError::InvalidCredentials,
                PasswordCheckError::TooManyAttempts { retry_after } => {
                    DeleteProfileError::TooManyAttempts { retry_after }
                }
                PasswordCheckError::Hash(error) => error.into(),
                PasswordCheckError::Store(error) => error.into(),
            })?;
        self.users.delete(user.id).await?;
        tracing::info!(user_id = %user.id, "profile deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use mockall::predicate::eq;

    use super::*;

    use crate::ports::{LimitState, MockUserRepository, Verification};
    use crate::profile::password_check::tests::{PASSWORD, password_check, unused_password_check};
    use crate::testing;
    use crate::testing::down;

    fn command() -> DeleteProfileCommand {
        DeleteProfileCommand {
            user_id: testing::user_id(),
            password: LoginPassword::try_from(PASSWORD.to_owned()).unwrap(),
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

    /// A check under the limit whose hasher answers `outcome`; a valid password clears the
    /// counted attempts.
    fn verifying(outcome: Result<Verification, HashError>) -> PasswordCheck {
        let clears = matches!(outcome, Ok(Verification::Valid { .. })).then_some(Ok(()));
        password_check(Ok(LimitState::Allowed), Some(outcome), clears)
    }

    async fn run(
        users: MockUserRepository,
        check: PasswordCheck,
    ) -> Result<(), DeleteProfileError> {
        DeleteProfile::new(Arc::new(users), check)
            .execute(command())
            .await
    }

    #[tokio::test]
    async fn the_right_password_deletes_the_user() {
        let mut users = found();
        users
            .expect_delete()
            .with(eq(testing::user_id()))
            .times(1)
            .return_const(Ok(()));
        let check = verifying(Ok(Verification::Valid { needs_rehash: true }));
        assert_eq!(run(users, check).await, Ok(()));
    }

    #[tokio::test]
    async fn a_wrong_password_deletes_nothing() {
        let check = verifying(Ok(Verification::Invalid));
        assert_eq!(
            run(found(), check).await,
            Err(DeleteProfileError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn over_the_login_limit_the_password_is_not_even_verified() {
        let wait = TimeDelta::minutes(7);
        let check = password_check(Ok(LimitState::Exceeded { retry_after: wait }), None, None);
        assert_eq!(
            run(found(), check).await,
            Err(DeleteProfileError::TooManyAttempts { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn a_vanished_user_is_not_found() {
        let mut users = MockUserRepository::new();
        users.expect_by_id().return_const(Ok(None));
        assert_eq!(
            run(users, unused_password_check()).await,
            Err(DeleteProfileError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_hasher_failure_deletes_nothing() {
        let failed = HashError::Failed("pool gone".into());
        let check = verifying(Err(failed.clone()));
        assert_eq!(
            run(found(), check).await,
            Err(DeleteProfileError::Hash(failed))
        );
    }

    /// The ports that fail at one step.
    type Step = fn() -> (MockUserRepository, PasswordCheck);

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("lookup", || {
                let mut users = MockUserRepository::new();
                users.expect_by_id().return_const(Err(down()));
                (users, unused_password_check())
            }),
            ("delete", || {
                let mut users = found();
                users.expect_delete().times(1).return_const(Err(down()));
                let check = verifying(Ok(Verification::Valid {
                    needs_rehash: false,
                }));
                (users, check)
            }),
        ];
        for (step, failing) in steps {
            let (users, check) = failing();
            let outcome = run(users, check).await;
            assert_eq!(outcome, Err(DeleteProfileError::Store(down())), "{step}");
        }
    }
}
