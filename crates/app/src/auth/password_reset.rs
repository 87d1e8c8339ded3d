//! Password recovery: `POST /auth/password-reset` sends a code to a registered phone (and
//! answers the same for any phone), `POST /auth/password-reset/confirm` sets a new password
//! and ends every session of the user.

use std::net::IpAddr;
use std::sync::Arc;

use vodokanal_domain::{CodePolicy, CodePurpose, MobilePhone, OneTimeCode, Password, Phone};

use super::confirm_code::{CodeCheckError, confirm_code};
use super::secrets::CodeKey;
use super::send_code::{CodeRequested, Delivery, SendCode, SendCodeCommand, SendCodeError};
use crate::StoreError;
use crate::ports::{Clock, CodeRepository, HashError, PasswordHasher, UserRepository};
use crate::settings::Settings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPasswordResetCommand {
    pub phone: MobilePhone,
    pub client_ip: Option<IpAddr>,
}

/// The code was requested (see [`CodeRequested`]).
pub type RequestPasswordResetOutput = CodeRequested;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestPasswordResetError {
    /// The code was not sent: see [`SendCodeError`].
    #[error(transparent)]
    Send(#[from] SendCodeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends a password-reset code to a registered phone. A phone nobody registered gets no SMS,
/// but a decoy code is stored for it all the same ([`Delivery::Silent`]): the answer, the
/// resend pause (a second request within it is refused) and the per-phone and per-IP limits are
/// those of a registered phone, so no one learns who is registered from them.
#[derive(Debug)]
pub struct RequestPasswordReset {
    users: Arc<dyn UserRepository>,
    send_code: SendCode,
}

impl RequestPasswordReset {
    pub fn new(users: Arc<dyn UserRepository>, send_code: SendCode) -> Self {
        Self { users, send_code }
    }

    pub async fn execute(
        &self,
        command: RequestPasswordResetCommand,
    ) -> Result<RequestPasswordResetOutput, RequestPasswordResetError> {
        let registered = self.users.by_phone(command.phone.phone()).await?.is_some();
        let delivery = if registered {
            Delivery::Code { email: None }
        } else {
            tracing::info!(phone = %command.phone.phone().masked(), "password reset of an unknown phone: decoy");
            Delivery::Silent
        };
        Ok(self
            .send_code
            .execute(SendCodeCommand {
                phone: command.phone,
                purpose: CodePurpose::PasswordReset,
                delivery,
                client_ip: command.client_ip,
            })
            .await?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPasswordResetCommand {
    pub phone: Phone,
    pub code: OneTimeCode,
    pub new_password: Password,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmPasswordResetError {
    /// No code, a wrong one, one tried too often, one already used, a decoy, or a user
    /// deleted meanwhile.
    #[error("the code is invalid")]
    CodeInvalid,
    /// The code has expired.
    #[error("the code has expired")]
    CodeExpired,
    /// The password hasher failed or is busy.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CodeCheckError> for ConfirmPasswordResetError {
    fn from(error: CodeCheckError) -> Self {
        match error {
            CodeCheckError::Invalid => Self::CodeInvalid,
            CodeCheckError::Expired => Self::CodeExpired,
            CodeCheckError::Store(store) => Self::Store(store),
        }
    }
}

/// Confirms a password-reset code, sets the new password and revokes every session of the
/// user (no session is opened: the subscriber logs in with the new password).
#[derive(Debug)]
pub struct ConfirmPasswordReset {
    codes: Arc<dyn CodeRepository>,
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    policy: CodePolicy,
    code_key: CodeKey,
}

impl ConfirmPasswordReset {
    pub fn new(
        codes: Arc<dyn CodeRepository>,
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            codes,
            users,
            hasher,
            clock,
            policy: settings.code_policy,
            code_key: settings.code_key,
        }
    }

    pub async fn execute(
        &self,
        command: ConfirmPasswordResetCommand,
    ) -> Result<(), ConfirmPasswordResetError> {
        let now = self.clock.now();
        confirm_code(
            self.codes.as_ref(),
            &command.phone,
            CodePurpose::PasswordReset,
            &command.code,
            now,
            &self.policy,
            &self.code_key,
        )
        .await?;
        let user = self
            .users
            .by_phone(&command.phone)
            .await?
            .ok_or(ConfirmPasswordResetError::CodeInvalid)?;
        let hash = self.hasher.hash(&command.new_password).await?;
        self.users.replace_password(user.id, &hash, None).await?;
        tracing::info!(user_id = %user.id, "password reset; every session ended");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::code_digest;
    use crate::auth::send_code::BUDGET_KEY;
    use crate::ports::{LimitState, MockPasswordHasher, MockUserRepository, SmsPurpose};
    use crate::testing::down;
    use crate::testing::{self, CodePorts};
    use chrono::TimeDelta;
    use mockall::predicate::eq;
    use vodokanal_domain::{PasswordHash, PendingCode, User};

    // ----- request -----

    const ANSWER: CodeRequested = CodeRequested {
        resend_after: 180,
        expires_in: 600,
    };

    fn request() -> RequestPasswordResetCommand {
        RequestPasswordResetCommand {
            phone: MobilePhone::try_from(testing::phone()).unwrap(),
            client_ip: None,
        }
    }

    fn users_finding(found: Result<Option<User>, StoreError>) -> Arc<MockUserRepository> {
        let mut users = MockUserRepository::new();
        users
            .expect_by_phone()
            .with(eq(testing::phone()))
            .times(1)
            .return_const(found);
        Arc::new(users)
    }

    fn no_code_waiting() -> CodePorts {
        let mut ports = CodePorts::default();
        ports
            .codes
            .expect_find()
            .with(eq(testing::phone()), eq(CodePurpose::PasswordReset))
            .return_const(Ok(None));
        ports
    }

    #[tokio::test]
    async fn a_registered_phone_gets_a_reset_code() {
        let digest = code_digest(
            &Settings::default().code_key,
            &testing::phone(),
            CodePurpose::PasswordReset,
            &OneTimeCode::from_number(123_456),
        );
        let sms = testing::code_sms(
            "Код для восстановления пароля: 123456. Никому не сообщайте его.",
            SmsPurpose::PasswordReset,
        );
        let ports = no_code_waiting().limits_allow().queues(
            move |p| p.purpose == CodePurpose::PasswordReset && p.digest == Some(digest),
            Some(sms),
            Ok(true),
        );
        let use_case =
            RequestPasswordReset::new(users_finding(Ok(Some(testing::user()))), ports.send_code());
        assert_eq!(use_case.execute(request()).await, Ok(ANSWER));
    }

    #[tokio::test]
    async fn an_unknown_phone_gets_the_same_answer_no_sms_and_a_decoy_for_the_pause() {
        let limit = Settings::default().limits.sms_per_phone;
        let mut ports = no_code_waiting()
            .limit(testing::PHONE_KEY, limit, LimitState::Allowed)
            .queues(
                |p| p.digest.is_none() && p.sent_at == testing::now(),
                None,
                Ok(true),
            );
        ports
            .counter
            .expect_check()
            .withf(|key, _, _| key == BUDGET_KEY)
            .times(2)
            .return_const(Ok(LimitState::Allowed));
        // No SMS is queued: the decoy is stored without a message.
        let use_case = RequestPasswordReset::new(users_finding(Ok(None)), ports.send_code());
        assert_eq!(use_case.execute(request()).await, Ok(ANSWER));
    }

    #[tokio::test]
    async fn a_second_request_for_an_unknown_phone_within_the_pause_is_refused_too() {
        let decoy = PendingCode::new(
            testing::phone(),
            CodePurpose::PasswordReset,
            None,
            None,
            testing::now() - TimeDelta::seconds(100),
            &CodePolicy::default(),
        );
        let mut ports = CodePorts::default();
        ports.codes.expect_find().return_const(Ok(Some(decoy)));
        let use_case = RequestPasswordReset::new(users_finding(Ok(None)), ports.send_code());
        assert_eq!(
            use_case.execute(request()).await,
            Err(RequestPasswordResetError::Send(SendCodeError::TooSoon {
                retry_after: TimeDelta::seconds(80)
            }))
        );
    }

    #[tokio::test]
    async fn a_store_down_at_the_phone_lookup_is_reported() {
        let use_case =
            RequestPasswordReset::new(users_finding(Err(down())), CodePorts::default().send_code());
        assert_eq!(
            use_case.execute(request()).await,
            Err(RequestPasswordResetError::Store(down()))
        );
    }

    // ----- confirm -----

    fn code() -> OneTimeCode {
        OneTimeCode::from_number(123_456)
    }

    fn pending_for(purpose: CodePurpose) -> PendingCode {
        PendingCode::new(
            testing::phone(),
            CodePurpose::PasswordReset,
            Some(code_digest(
                &Settings::default().code_key,
                &testing::phone(),
                purpose,
                &code(),
            )),
            None,
            testing::now() - TimeDelta::seconds(60),
            &CodePolicy::default(),
        )
    }

    fn pending() -> PendingCode {
        pending_for(CodePurpose::PasswordReset)
    }

    fn new_hash() -> PasswordHash {
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into())
    }

    fn confirm() -> ConfirmPasswordResetCommand {
        ConfirmPasswordResetCommand {
            phone: testing::phone(),
            code: code(),
            new_password: Password::try_from("тихая вода в Уводи".to_owned()).unwrap(),
        }
    }

    #[derive(Default)]
    struct Ports {
        codes: CodePorts,
        users: MockUserRepository,
        hasher: MockPasswordHasher,
    }

    impl Ports {
        fn finds(mut self, found: Result<Option<PendingCode>, StoreError>) -> Self {
            self.codes = self.codes.finds(CodePurpose::PasswordReset, found);
            self
        }

        fn consumes(mut self, outcome: Result<bool, StoreError>) -> Self {
            self.codes = self.codes.consumes(CodePurpose::PasswordReset, outcome);
            self
        }

        fn user(mut self, found: Result<Option<User>, StoreError>) -> Self {
            self.users
                .expect_by_phone()
                .with(eq(testing::phone()))
                .times(1)
                .return_const(found);
            self
        }

        fn hashes(mut self, outcome: Result<PasswordHash, HashError>) -> Self {
            self.hasher
                .expect_hash()
                .withf(|p| p.expose() == "тихая вода в Уводи")
                .times(1)
                .return_const(outcome);
            self
        }

        /// The new hash stored and every session ended: one call.
        fn replaces(mut self, outcome: Result<(), StoreError>) -> Self {
            self.users
                .expect_replace_password()
                .with(eq(testing::user_id()), eq(new_hash()), eq(None))
                .times(1)
                .return_const(outcome);
            self
        }

        /// The right code, consumed, for a registered user.
        fn right_code(self) -> Self {
            self.finds(Ok(Some(pending())))
                .consumes(Ok(true))
                .user(Ok(Some(testing::user())))
        }

        async fn run(self) -> Result<(), ConfirmPasswordResetError> {
            ConfirmPasswordReset::new(
                Arc::new(self.codes.codes),
                Arc::new(self.users),
                Arc::new(self.hasher),
                testing::clock(),
                &Settings::default(),
            )
            .execute(confirm())
            .await
        }
    }

    #[tokio::test]
    async fn the_right_code_sets_the_new_password_and_ends_every_session() {
        let outcome = Ports::default()
            .right_code()
            .hashes(Ok(new_hash()))
            .replaces(Ok(()))
            .run()
            .await;
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn no_waiting_code_is_invalid() {
        let outcome = Ports::default().finds(Ok(None)).run().await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_registration_code_does_not_reset_a_password() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending_for(CodePurpose::Registration))))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_decoy_of_an_unknown_phone_confirms_nothing() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                digest: None,
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn an_expired_code_is_expired() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                expires_at: testing::now() - TimeDelta::seconds(1),
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeExpired));
    }

    #[tokio::test]
    async fn a_code_tried_too_often_is_dead() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                failed_attempts: 5,
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_code_already_used_is_invalid() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(false))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_user_deleted_meanwhile_makes_the_code_invalid() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(true))
            .user(Ok(None))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_hasher_failure_changes_nothing() {
        let failed = HashError::Failed("pool gone".into());
        let outcome = Ports::default()
            .right_code()
            .hashes(Err(failed.clone()))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmPasswordResetError::Hash(failed)));
    }

    /// What the ports expect up to the step that fails.
    type Step = fn(Ports) -> Ports;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("code lookup", |p| p.finds(Err(down()))),
            ("user lookup", |p| {
                p.finds(Ok(Some(pending())))
                    .consumes(Ok(true))
                    .user(Err(down()))
            }),
            ("replace", |p| {
                p.right_code().hashes(Ok(new_hash())).replaces(Err(down()))
            }),
        ];
        for (step, expecting) in steps {
            let outcome = expecting(Ports::default()).run().await;
            assert_eq!(
                outcome,
                Err(ConfirmPasswordResetError::Store(down())),
                "{step}"
            );
        }
    }
}
