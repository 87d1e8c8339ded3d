//! Registration: `POST /auth/registration` sends a code (or, for a phone already registered,
//! a hint to use password recovery, with the same answer), `POST /auth/registration/confirm`
//! creates the user and its first session.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use vodokanal_domain::{
    CONSENT_VERSION, CodePolicy, CodePurpose, Consent, Email, MobilePhone, OneTimeCode, Password,
    Phone, User, UserId,
};

use super::SignedIn;
use super::confirm_code::{CodeCheckError, confirm_code};
use super::secrets::{CodeKey, new_session};
use super::send_code::{CodeRequested, Delivery, SendCode, SendCodeCommand, SendCodeError};
use crate::StoreError;
use crate::notices::EmailVerification;
use crate::ports::{
    Clock, CodeRepository, CreateUserError, HashError, PasswordHasher, Random, SessionRepository,
    UserRepository,
};
use crate::settings::Settings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRegistrationCommand {
    pub phone: MobilePhone,
    /// Not checked here: an e-mail of another user is refused at the confirm step.
    pub email: Email,
    /// `consent_personal_data`: must be `true`.
    pub consent: bool,
    pub client_ip: Option<IpAddr>,
}

/// The code was requested (see [`CodeRequested`]).
pub type RequestRegistrationOutput = CodeRequested;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRegistrationError {
    /// The subscriber did not consent to the processing of their personal data.
    #[error("consent to the processing of personal data is required")]
    ConsentRequired,
    /// The code was not sent: see [`SendCodeError`].
    #[error(transparent)]
    Send(#[from] SendCodeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends a registration code. A phone already registered gets the same answer and an SMS that
/// points to password recovery (a decoy code that confirms nothing), so no one learns who is
/// registered.
#[derive(Debug)]
pub struct RequestRegistration {
    users: Arc<dyn UserRepository>,
    send_code: SendCode,
}

impl RequestRegistration {
    pub fn new(users: Arc<dyn UserRepository>, send_code: SendCode) -> Self {
        Self { users, send_code }
    }

    pub async fn execute(
        &self,
        command: RequestRegistrationCommand,
    ) -> Result<RequestRegistrationOutput, RequestRegistrationError> {
        if !command.consent {
            return Err(RequestRegistrationError::ConsentRequired);
        }
        let registered = self.users.by_phone(command.phone.phone()).await?.is_some();
        let delivery = if registered {
            tracing::info!(phone = %command.phone.phone().masked(), "registration of a registered phone: decoy");
            Delivery::AlreadyRegistered
        } else {
            Delivery::Code {
                email: Some(command.email),
            }
        };
        Ok(self
            .send_code
            .execute(SendCodeCommand {
                phone: command.phone,
                purpose: CodePurpose::Registration,
                delivery,
                client_ip: command.client_ip,
            })
            .await?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmRegistrationCommand {
    pub phone: Phone,
    pub code: OneTimeCode,
    pub password: Password,
}

/// The new subscriber, signed in.
pub type ConfirmRegistrationOutput = SignedIn;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmRegistrationError {
    /// No code, a wrong one, one tried too often, one already used, or a phone that got
    /// registered meanwhile.
    #[error("the code is invalid")]
    CodeInvalid,
    /// The code has expired.
    #[error("the code has expired")]
    CodeExpired,
    /// The e-mail requested with the code belongs to another user.
    #[error("the e-mail belongs to another user")]
    EmailTaken,
    /// The password hasher failed or is busy.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CodeCheckError> for ConfirmRegistrationError {
    fn from(error: CodeCheckError) -> Self {
        match error {
            CodeCheckError::Invalid => Self::CodeInvalid,
            CodeCheckError::Expired => Self::CodeExpired,
            CodeCheckError::Store(store) => Self::Store(store),
        }
    }
}

/// Confirms a registration code: creates the user with the e-mail requested with the code and
/// the consent given then (`CONSENT_VERSION`, at the time the code was sent), and signs in.
///
/// The code is consumed before the user is created, so it confirms once even when two
/// requests race; if a later step fails (e-mail taken, store down), the subscriber asks for a
/// new code, which the consumed one no longer delays.
#[derive(Debug)]
pub struct ConfirmRegistration {
    codes: Arc<dyn CodeRepository>,
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    policy: CodePolicy,
    code_key: CodeKey,
    session_lifetime: TimeDelta,
    /// Sends the new address its verification link.
    email_verification: Option<Arc<EmailVerification>>,
}

impl ConfirmRegistration {
    pub fn new(
        codes: Arc<dyn CodeRepository>,
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            codes,
            users,
            sessions,
            hasher,
            clock,
            random,
            policy: settings.code_policy,
            code_key: settings.code_key,
            session_lifetime: settings.session_lifetime,
            email_verification: None,
        }
    }

    /// After the user is created, queues the link that verifies their address. Registration
    /// does not wait for it and does not fail with it: the profile offers to send it again.
    #[must_use]
    pub fn with_email_verification(mut self, verification: Arc<EmailVerification>) -> Self {
        self.email_verification = Some(verification);
        self
    }

    pub async fn execute(
        &self,
        command: ConfirmRegistrationCommand,
    ) -> Result<ConfirmRegistrationOutput, ConfirmRegistrationError> {
        let now = self.clock.now();
        let ConfirmRegistrationCommand {
            phone,
            code,
            password,
        } = command;
        let pending = confirm_code(
            self.codes.as_ref(),
            &phone,
            CodePurpose::Registration,
            &code,
            now,
            &self.policy,
            &self.code_key,
        )
        .await?;
        let email = pending
            .email
            .ok_or_else(|| StoreError::Corrupt("a registration code without its e-mail".into()))?;
        let password_hash = self.hasher.hash(&password).await?;
        let user = User {
            id: UserId::from_random_bytes(self.random.id_bytes()),
            phone,
            email,
            password_hash,
            consent: Consent {
                given_at: pending.sent_at,
                version: CONSENT_VERSION.to_owned(),
            },
            created_at: now,
        };
        match self.users.create(&user).await {
            Ok(()) => {}
            Err(CreateUserError::EmailTaken) => return Err(ConfirmRegistrationError::EmailTaken),
            // Registered meanwhile (e.g. two codes raced): no code confirms a registered phone.
            Err(CreateUserError::PhoneTaken) => return Err(ConfirmRegistrationError::CodeInvalid),
            Err(CreateUserError::Store(store)) => return Err(store.into()),
        }
        let (token, session) =
            new_session(self.random.as_ref(), user.id, now, self.session_lifetime);
        self.sessions.create(&session).await?;
        tracing::info!(user_id = %user.id, phone = %user.phone.masked(), email = %user.email.masked(), "registered");
        if let Some(verification) = &self.email_verification
            && let Err(error) = verification.queue(user.id, now).await
        {
            tracing::warn!(user_id = %user.id, %error, "the e-mail verification link was not queued: the profile offers it again");
        }
        Ok(SignedIn {
            token,
            expires_at: session.expires_at,
            user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::{code_digest, new_session_token, token_digest};
    use crate::ports::{MockPasswordHasher, MockSessionRepository, MockUserRepository, SmsPurpose};
    use crate::testing::down;
    use crate::testing::{self, CodePorts};
    use chrono::{DateTime, Utc};
    use mockall::predicate::eq;
    use vodokanal_domain::{PasswordHash, PendingCode, Session};

    // ----- request -----

    fn request(consent: bool) -> RequestRegistrationCommand {
        RequestRegistrationCommand {
            phone: MobilePhone::try_from(testing::phone()).unwrap(),
            email: testing::email(),
            consent,
            client_ip: None,
        }
    }

    fn users_finding(found: Result<Option<User>, StoreError>) -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users
            .expect_by_phone()
            .with(eq(testing::phone()))
            .times(1)
            .return_const(found);
        users
    }

    /// A `SendCode` whose limits allow, which expects one stored code accepted by `stored`
    /// queued with one SMS of `text`.
    fn sending(
        text: &'static str,
        stored: impl Fn(&PendingCode) -> bool + Send + 'static,
    ) -> SendCode {
        let sms = testing::code_sms(text, SmsPurpose::Registration);
        CodePorts::default()
            .nothing_pending()
            .limits_allow()
            .queues(stored, Some(sms), Ok(true))
            .send_code()
    }

    const ANSWER: CodeRequested = CodeRequested {
        resend_after: 180,
        expires_in: 600,
    };

    #[tokio::test]
    async fn a_new_phone_gets_a_code_kept_with_the_email() {
        let send_code = sending(
            "Код подтверждения регистрации: 123456. Никому не сообщайте его.",
            |p| p.digest.is_some() && p.email == Some(testing::email()),
        );
        let use_case = RequestRegistration::new(Arc::new(users_finding(Ok(None))), send_code);
        assert_eq!(use_case.execute(request(true)).await, Ok(ANSWER));
    }

    #[tokio::test]
    async fn a_registered_phone_gets_the_same_answer_and_a_recovery_hint() {
        let send_code = sending(super::super::send_code::ALREADY_REGISTERED_TEXT, |p| {
            p.digest.is_none() && p.email.is_none()
        });
        let use_case = RequestRegistration::new(
            Arc::new(users_finding(Ok(Some(testing::user())))),
            send_code,
        );
        assert_eq!(use_case.execute(request(true)).await, Ok(ANSWER));
    }

    #[tokio::test]
    async fn without_consent_nothing_is_sent() {
        let use_case = RequestRegistration::new(
            Arc::new(MockUserRepository::new()),
            CodePorts::default().send_code(),
        );
        assert_eq!(
            use_case.execute(request(false)).await,
            Err(RequestRegistrationError::ConsentRequired)
        );
    }

    #[tokio::test]
    async fn a_refused_send_is_reported_as_is() {
        let mut ports = CodePorts::default();
        let recent = PendingCode::new(
            testing::phone(),
            CodePurpose::Registration,
            None,
            None,
            testing::now() - TimeDelta::seconds(30),
            &CodePolicy::default(),
        );
        ports.codes.expect_find().return_const(Ok(Some(recent)));
        let use_case =
            RequestRegistration::new(Arc::new(users_finding(Ok(None))), ports.send_code());
        assert_eq!(
            use_case.execute(request(true)).await,
            Err(RequestRegistrationError::Send(SendCodeError::TooSoon {
                retry_after: TimeDelta::seconds(150)
            }))
        );
    }

    #[tokio::test]
    async fn a_store_down_at_the_phone_lookup_is_reported() {
        let use_case = RequestRegistration::new(
            Arc::new(users_finding(Err(down()))),
            CodePorts::default().send_code(),
        );
        assert_eq!(
            use_case.execute(request(true)).await,
            Err(RequestRegistrationError::Store(down()))
        );
    }

    // ----- confirm -----

    fn code() -> OneTimeCode {
        OneTimeCode::from_number(123_456)
    }

    fn sent_at() -> DateTime<Utc> {
        testing::now() - TimeDelta::seconds(60)
    }

    fn pending() -> PendingCode {
        PendingCode::new(
            testing::phone(),
            CodePurpose::Registration,
            Some(code_digest(
                &Settings::default().code_key,
                &testing::phone(),
                CodePurpose::Registration,
                &code(),
            )),
            Some(testing::email()),
            sent_at(),
            &CodePolicy::default(),
        )
    }

    fn new_hash() -> PasswordHash {
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into())
    }

    fn new_user_id() -> UserId {
        UserId::from_random_bytes([9; 16])
    }

    fn expected_user() -> User {
        User {
            id: new_user_id(),
            phone: testing::phone(),
            email: testing::email(),
            password_hash: new_hash(),
            consent: vodokanal_domain::Consent {
                given_at: sent_at(),
                version: CONSENT_VERSION.into(),
            },
            created_at: testing::now(),
        }
    }

    fn confirm() -> ConfirmRegistrationCommand {
        ConfirmRegistrationCommand {
            phone: testing::phone(),
            code: code(),
            password: Password::try_from("тихая вода в Уводи".to_owned()).unwrap(),
        }
    }

    #[derive(Default)]
    struct Ports {
        codes: CodePorts,
        users: MockUserRepository,
        sessions: MockSessionRepository,
        hasher: MockPasswordHasher,
    }

    impl Ports {
        fn finds(mut self, found: Result<Option<PendingCode>, StoreError>) -> Self {
            self.codes = self.codes.finds(CodePurpose::Registration, found);
            self
        }

        fn counts_try(mut self, outcome: Result<u32, StoreError>) -> Self {
            self.codes = self.codes.counts_try(CodePurpose::Registration, outcome);
            self
        }

        fn consumes(mut self, outcome: Result<bool, StoreError>) -> Self {
            self.codes = self.codes.consumes(CodePurpose::Registration, outcome);
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

        fn creates_user(mut self, outcome: Result<(), CreateUserError>) -> Self {
            self.users
                .expect_create()
                .with(eq(expected_user()))
                .times(1)
                .return_const(outcome);
            self
        }

        /// The code is right and consumed, the password hashed and the user created.
        fn up_to_the_user(self) -> Self {
            self.finds(Ok(Some(pending())))
                .consumes(Ok(true))
                .hashes(Ok(new_hash()))
                .creates_user(Ok(()))
        }

        fn creates_session(mut self, outcome: Result<(), StoreError>) -> Self {
            let token = new_session_token(testing::random().as_ref());
            let expected = Session {
                digest: token_digest(&token),
                user_id: new_user_id(),
                created_at: testing::now(),
                expires_at: testing::now() + TimeDelta::days(30),
            };
            self.sessions
                .expect_create()
                .with(eq(expected))
                .times(1)
                .return_const(outcome);
            self
        }

        async fn run(self) -> Result<SignedIn, ConfirmRegistrationError> {
            ConfirmRegistration::new(
                Arc::new(self.codes.codes),
                Arc::new(self.users),
                Arc::new(self.sessions),
                Arc::new(self.hasher),
                testing::clock(),
                testing::random(),
                &Settings::default(),
            )
            .execute(confirm())
            .await
        }
    }

    #[tokio::test]
    async fn the_right_code_creates_the_user_with_the_requested_email_and_signs_in() {
        let outcome = Ports::default()
            .up_to_the_user()
            .creates_session(Ok(()))
            .run()
            .await;
        assert_eq!(
            outcome,
            Ok(SignedIn {
                token: new_session_token(testing::random().as_ref()),
                expires_at: testing::now() + TimeDelta::days(30),
                user: expected_user(),
            })
        );
    }

    #[tokio::test]
    async fn no_waiting_code_is_invalid() {
        let outcome = Ports::default().finds(Ok(None)).run().await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_wrong_code_is_counted_and_invalid() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                digest: Some(code_digest(
                    &Settings::default().code_key,
                    &testing::phone(),
                    CodePurpose::Registration,
                    &OneTimeCode::from_number(654_321),
                )),
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_code_sent_for_a_password_reset_does_not_register() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                digest: Some(code_digest(
                    &Settings::default().code_key,
                    &testing::phone(),
                    CodePurpose::PasswordReset,
                    &code(),
                )),
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_decoy_confirms_nothing() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                digest: None,
                email: None,
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn an_expired_code_is_expired() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                expires_at: testing::now(),
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeExpired));
    }

    #[tokio::test]
    async fn a_code_tried_too_often_is_dead_even_when_right() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                failed_attempts: 5,
                ..pending()
            })))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_code_consumed_by_another_request_is_invalid() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(false))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn an_email_of_another_user_is_taken() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(true))
            .hashes(Ok(new_hash()))
            .creates_user(Err(CreateUserError::EmailTaken))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::EmailTaken));
    }

    #[tokio::test]
    async fn a_phone_registered_meanwhile_makes_the_code_invalid() {
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(true))
            .hashes(Ok(new_hash()))
            .creates_user(Err(CreateUserError::PhoneTaken))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::CodeInvalid));
    }

    #[tokio::test]
    async fn a_hasher_failure_creates_no_user() {
        let failed = HashError::Failed("pool gone".into());
        let outcome = Ports::default()
            .finds(Ok(Some(pending())))
            .consumes(Ok(true))
            .hashes(Err(failed.clone()))
            .run()
            .await;
        assert_eq!(outcome, Err(ConfirmRegistrationError::Hash(failed)));
    }

    #[tokio::test]
    async fn a_registration_code_without_its_email_is_corrupt() {
        let outcome = Ports::default()
            .finds(Ok(Some(PendingCode {
                email: None,
                ..pending()
            })))
            .consumes(Ok(true))
            .run()
            .await;
        assert!(
            matches!(
                outcome,
                Err(ConfirmRegistrationError::Store(StoreError::Corrupt(_)))
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_code_gone_before_its_try_is_counted_is_invalid() {
        let mut ports = Ports::default().counts_try(Ok(0));
        ports
            .codes
            .codes
            .expect_find()
            .return_const(Ok(Some(pending())));
        assert_eq!(
            ports.run().await,
            Err(ConfirmRegistrationError::CodeInvalid)
        );
    }

    /// What the ports expect up to the step that fails.
    type Step = fn(Ports) -> Ports;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 5] = [
            ("code lookup", |p| p.finds(Err(down()))),
            ("try count", |mut p| {
                p.codes
                    .codes
                    .expect_find()
                    .return_const(Ok(Some(pending())));
                p.counts_try(Err(down()))
            }),
            ("consume", |p| {
                p.finds(Ok(Some(pending()))).consumes(Err(down()))
            }),
            ("user", |p| {
                p.finds(Ok(Some(pending())))
                    .consumes(Ok(true))
                    .hashes(Ok(new_hash()))
                    .creates_user(Err(CreateUserError::Store(down())))
            }),
            ("session", |p| {
                p.up_to_the_user().creates_session(Err(down()))
            }),
        ];
        for (step, expecting) in steps {
            let outcome = expecting(Ports::default()).run().await;
            assert_eq!(
                outcome,
                Err(ConfirmRegistrationError::Store(down())),
                "{step}"
            );
        }
    }
}
