//! `POST /profile/password`: a new password, given the current one; the user's other sessions
//! end.

use std::sync::Arc;

use chrono::TimeDelta;
use vodokanal_domain::{LoginPassword, Password, TokenDigest, UserId};

use super::password_check::{PasswordCheck, PasswordCheckError};
use crate::StoreError;
use crate::ports::{HashError, PasswordHasher, UserRepository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePasswordCommand {
    pub user_id: UserId,
    /// The caller's own session, which stays.
    pub session: TokenDigest,
    pub current_password: LoginPassword,
    pub new_password: Password,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password is wrong.
    #[error("the current password is wrong")]
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

/// Changes the password and revokes every session of the user but the caller's.
#[derive(Debug)]
pub struct ChangePassword {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    password_check: PasswordCheck,
}

impl ChangePassword {
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        password_check: PasswordCheck,
    ) -> Self {
        Self {
            users,
            hasher,
            password_check,
        }
    }

    pub async fn execute(&self, command: ChangePasswordCommand) -> Result<(), ChangePasswordError> {
        let user = self
            .users
            .by_id(command.user_id)
            .await?
            .ok_or(ChangePasswordError::NotFound)?;
        self.password_check
            .verify(&user, &command.current_password)
            .await
            .map_err(|error| match error {
                PasswordCheckError::Wrong => ChangePasswordError::InvalidCredentials,
                PasswordCheckError::TooManyAttempts { retry_after } => {
                    ChangePasswordError::TooManyAttempts { retry_after }
                }
                PasswordCheckError::Hash(error) => error.into(),
                PasswordCheckError::Store(error) => error.into(),
            })?;
        let hash = self.hasher.hash(&command.new_password).await?;
        self.users
            .replace_password(user.id, &hash, Some(command.session))
            .await?;
        tracing::info!(user_id = %user.id, "password changed; other sessions ended");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{LimitState, MockPasswordHasher, MockUserRepository, Verification};
    use crate::profile::password_check::tests::{PASSWORD, password_check, unused_password_check};
    use crate::testing;
    use crate::testing::down;
    use mockall::predicate::eq;
    use vodokanal_domain::PasswordHash;

    const SESSION: TokenDigest = TokenDigest([5; 32]);

    fn new_hash() -> PasswordHash {
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into())
    }

    fn command() -> ChangePasswordCommand {
        ChangePasswordCommand {
            user_id: testing::user_id(),
            session: SESSION,
            current_password: LoginPassword::try_from(PASSWORD.to_owned()).unwrap(),
            new_password: Password::try_from("тихая вода в Уводи".to_owned()).unwrap(),
        }
    }

    #[derive(Default)]
    struct Ports {
        users: MockUserRepository,
        hasher: MockPasswordHasher,
        check: Option<PasswordCheck>,
    }

    impl Ports {
        fn user_found(mut self) -> Self {
            self.users
                .expect_by_id()
                .with(eq(testing::user_id()))
                .times(1)
                .return_const(Ok(Some(testing::user())));
            self
        }

        /// The current password's check, allowed by the limit, giving `outcome`.
        fn verifies(mut self, outcome: Result<Verification, HashError>) -> Self {
            let clears = matches!(outcome, Ok(Verification::Valid { .. })).then_some(Ok(()));
            self.check = Some(password_check(
                Ok(LimitState::Allowed),
                Some(outcome),
                clears,
            ));
            self
        }

        fn hashes(mut self, outcome: Result<PasswordHash, HashError>) -> Self {
            self.hasher
                .expect_hash()
                .withf(|password| password.expose() == "тихая вода в Уводи")
                .times(1)
                .return_const(outcome);
            self
        }

        /// The new hash stored, the caller's session kept, the others ended: one call.
        fn replaces(mut self, outcome: Result<(), StoreError>) -> Self {
            self.users
                .expect_replace_password()
                .with(eq(testing::user_id()), eq(new_hash()), eq(Some(SESSION)))
                .times(1)
                .return_const(outcome);
            self
        }

        async fn run(self) -> Result<(), ChangePasswordError> {
            let check = self.check.unwrap_or_else(unused_password_check);
            ChangePassword::new(Arc::new(self.users), Arc::new(self.hasher), check)
                .execute(command())
                .await
        }
    }

    #[tokio::test]
    async fn the_new_hash_is_stored_and_the_other_sessions_end() {
        let ports = Ports::default()
            .user_found()
            .verifies(Ok(Verification::Valid {
                needs_rehash: false,
            }))
            .hashes(Ok(new_hash()))
            .replaces(Ok(()));
        assert_eq!(ports.run().await, Ok(()));
    }

    #[tokio::test]
    async fn a_wrong_current_password_changes_nothing() {
        let ports = Ports::default()
            .user_found()
            .verifies(Ok(Verification::Invalid));
        assert_eq!(
            ports.run().await,
            Err(ChangePasswordError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn too_many_wrong_passwords_refuse_the_change() {
        let wait = TimeDelta::minutes(12);
        let mut ports = Ports::default().user_found();
        ports.check = Some(password_check(
            Ok(LimitState::Exceeded { retry_after: wait }),
            None,
            None,
        ));
        assert_eq!(
            ports.run().await,
            Err(ChangePasswordError::TooManyAttempts { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn a_vanished_user_is_not_found() {
        let mut ports = Ports::default();
        ports.users.expect_by_id().return_const(Ok(None));
        assert_eq!(ports.run().await, Err(ChangePasswordError::NotFound));
    }

    #[tokio::test]
    async fn a_hasher_failure_at_hash_stores_nothing() {
        let failed = HashError::Failed("pool gone".into());
        let ports = Ports::default()
            .user_found()
            .verifies(Ok(Verification::Valid { needs_rehash: true }))
            .hashes(Err(failed.clone()));
        assert_eq!(ports.run().await, Err(ChangePasswordError::Hash(failed)));
    }

    /// What the ports expect up to the step that fails.
    type Step = fn(Ports) -> Ports;

    #[tokio::test]
    async fn a_failure_at_any_step_is_reported() {
        let steps: [(&str, Step, ChangePasswordError); 3] = [
            (
                "lookup",
                |mut p| {
                    p.users.expect_by_id().return_const(Err(down()));
                    p
                },
                ChangePasswordError::Store(down()),
            ),
            (
                "verify",
                |p| {
                    p.user_found()
                        .verifies(Err(HashError::Failed("pool gone".into())))
                },
                ChangePasswordError::Hash(HashError::Failed("pool gone".into())),
            ),
            (
                "replace",
                |p| {
                    p.user_found()
                        .verifies(Ok(Verification::Valid {
                            needs_rehash: false,
                        }))
                        .hashes(Ok(new_hash()))
                        .replaces(Err(down()))
                },
                ChangePasswordError::Store(down()),
            ),
        ];
        for (step, expecting, error) in steps {
            assert_eq!(
                expecting(Ports::default()).run().await,
                Err(error),
                "{step}"
            );
        }
    }
}
