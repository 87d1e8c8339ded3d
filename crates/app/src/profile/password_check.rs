//! The signed-in subscriber's current password, checked under the login-failure limit: a
//! stolen session must not become a way to guess the password without limit.

use std::sync::Arc;

use chrono::TimeDelta;
use vodokanal_domain::{LoginPassword, User};

use crate::StoreError;
use crate::auth::user_limit_key;
use crate::ports::{
    AttemptCounter, Clock, HashError, Limit, LimitState, PasswordHasher, Verification,
};
use crate::settings::Settings;

/// Why the current password was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordCheckError {
    #[error("the current password is wrong")]
    Wrong,
    #[error("too many wrong passwords; retry after {retry_after}")]
    TooManyAttempts { retry_after: TimeDelta },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies a user's password, counting the attempt under the same key and limit as a login
/// of the user by phone or e-mail (before the check, so that concurrent guesses are all
/// counted); a right password clears the key, as a login does, and a hasher error takes the
/// attempt back.
#[derive(Debug, Clone)]
pub struct PasswordCheck {
    hasher: Arc<dyn PasswordHasher>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    limit: Limit,
}

impl PasswordCheck {
    pub fn new(
        hasher: Arc<dyn PasswordHasher>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            hasher,
            counter,
            clock,
            limit: settings.limits.login_failures,
        }
    }

    pub async fn verify(
        &self,
        user: &User,
        password: &LoginPassword,
    ) -> Result<(), PasswordCheckError> {
        let key = user_limit_key(user.id);
        let now = self.clock.now();
        if let LimitState::Exceeded { retry_after } =
            self.counter.acquire(&key, self.limit, now).await?
        {
            tracing::info!(user_id = %user.id, "password check refused: too many failures");
            return Err(PasswordCheckError::TooManyAttempts { retry_after });
        }
        let verdict = match self.hasher.verify(password, &user.password_hash).await {
            Ok(verdict) => verdict,
            Err(error) => {
                // Not a guess (a busy hasher, say): the attempt is taken back.
                self.counter.release(&key, now).await?;
                return Err(error.into());
            }
        };
        match verdict {
            Verification::Valid { .. } => {
                self.counter.clear(&key).await?;
                Ok(())
            }
            Verification::Invalid => {
                tracing::info!(user_id = %user.id, "wrong current password");
                Err(PasswordCheckError::Wrong)
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ports::{MockAttemptCounter, MockPasswordHasher};
    use crate::testing;
    use crate::testing::down;
    use mockall::predicate::eq;

    pub(crate) const PASSWORD: &str = "старый пароль";
    /// The user's key, as a login by phone or e-mail counts it.
    const KEY: &str = "login:user:01010101-0101-4101-8101-010101010101";

    fn password() -> LoginPassword {
        LoginPassword::try_from(PASSWORD.to_owned()).unwrap()
    }

    /// A check whose counter gives `state` for the user and whose hasher gives
    /// `verification` (not called when the limit is exceeded; an error takes the attempt back).
    pub(crate) fn password_check(
        state: Result<LimitState, StoreError>,
        verification: Option<Result<Verification, HashError>>,
        clears: Option<Result<(), StoreError>>,
    ) -> PasswordCheck {
        let mut counter = MockAttemptCounter::new();
        counter
            .expect_acquire()
            .withf(|key, limit, at| {
                key == KEY
                    && *limit == Settings::default().limits.login_failures
                    && *at == testing::now()
            })
            .times(1)
            .return_const(state);
        if matches!(verification, Some(Err(_))) {
            counter
                .expect_release()
                .with(eq(KEY), eq(testing::now()))
                .times(1)
                .return_const(Ok(()));
        }
        if let Some(outcome) = clears {
            counter
                .expect_clear()
                .with(eq(KEY))
                .times(1)
                .return_const(outcome);
        }
        let mut hasher = MockPasswordHasher::new();
        if let Some(outcome) = verification {
            hasher
                .expect_verify()
                .withf(|given, hash| {
                    given.expose() == PASSWORD && *hash == testing::user().password_hash
                })
                .times(1)
                .return_const(outcome);
        }
        PasswordCheck::new(
            Arc::new(hasher),
            Arc::new(counter),
            testing::clock(),
            &Settings::default(),
        )
    }

    /// A check that must not be reached: its mocks expect no call.
    pub(crate) fn unused_password_check() -> PasswordCheck {
        PasswordCheck::new(
            Arc::new(MockPasswordHasher::new()),
            Arc::new(MockAttemptCounter::new()),
            testing::clock(),
            &Settings::default(),
        )
    }

    #[tokio::test]
    async fn the_right_password_clears_the_counted_attempts() {
        let check = password_check(
            Ok(LimitState::Allowed),
            Some(Ok(Verification::Valid {
                needs_rehash: false,
            })),
            Some(Ok(())),
        );
        assert_eq!(check.verify(&testing::user(), &password()).await, Ok(()));
    }

    #[tokio::test]
    async fn a_wrong_password_stays_counted() {
        let check = password_check(
            Ok(LimitState::Allowed),
            Some(Ok(Verification::Invalid)),
            None,
        );
        assert_eq!(
            check.verify(&testing::user(), &password()).await,
            Err(PasswordCheckError::Wrong)
        );
    }

    #[tokio::test]
    async fn over_the_limit_the_password_is_not_even_verified() {
        let wait = TimeDelta::minutes(7);
        let check = password_check(Ok(LimitState::Exceeded { retry_after: wait }), None, None);
        assert_eq!(
            check.verify(&testing::user(), &password()).await,
            Err(PasswordCheckError::TooManyAttempts { retry_after: wait })
        );
    }

    #[tokio::test]
    async fn a_busy_hasher_takes_the_attempt_back() {
        let mut counter = MockAttemptCounter::new();
        counter
            .expect_acquire()
            .times(1)
            .return_const(Ok(LimitState::Allowed));
        counter
            .expect_release()
            .with(eq(KEY), eq(testing::now()))
            .times(1)
            .return_const(Ok(()));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .times(1)
            .return_const(Err(HashError::Busy));
        let check = PasswordCheck::new(
            Arc::new(hasher),
            Arc::new(counter),
            testing::clock(),
            &Settings::default(),
        );
        assert_eq!(
            check.verify(&testing::user(), &password()).await,
            Err(PasswordCheckError::Hash(HashError::Busy))
        );
    }

    #[tokio::test]
    async fn a_counter_down_is_reported() {
        let down = down();
        let check = password_check(Err(down.clone()), None, None);
        assert_eq!(
            check.verify(&testing::user(), &password()).await,
            Err(PasswordCheckError::Store(down))
        );
    }
}
