//! Requesting a one-time code by SMS for registration or password reset, under the resend
//! pause and the SMS limits of `security.md`. Not an endpoint of its own: the registration and
//! password-reset requests use it.
//!
//! The request never waits for the SMS gateway: the code and its message are stored in one
//! transaction (the SMS outbox, ADR 0010) and the background sender delivers the message. So a
//! request answers alike in time and body whatever the gateway does, and whether the phone is
//! registered or not.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{
    ClientNetwork, CodePolicy, CodePurpose, Email, MobilePhone, OneTimeCode, PendingCode,
};

use super::secrets::{CodeKey, code_digest};
use crate::StoreError;
use crate::ports::{
    AttemptCounter, Clock, CodeRepository, Limit, LimitState, NewSms, Random, SmsOutbox, SmsPurpose,
};
use crate::settings::{Limits, Settings};
use crate::sms::{BudgetError, SmsBudget};

pub use crate::sms::budget::BUDGET_KEY;

/// The text of a decoy: a registration request for a phone already registered.
pub const ALREADY_REGISTERED_TEXT: &str = "Этот номер уже зарегистрирован в личном кабинете. \
     Если вы забыли пароль, воспользуйтесь восстановлением пароля.";

/// The SMS text carrying `code` for `purpose`.
pub fn code_text(purpose: CodePurpose, code: &OneTimeCode) -> String {
    match purpose {
        CodePurpose::Registration => format!(
            "Код подтверждения регистрации: {}. Никому не сообщайте его.",
            code.expose()
        ),
        CodePurpose::PasswordReset => format!(
            "Код для восстановления пароля: {}. Никому не сообщайте его.",
            code.expose()
        ),
    }
}

/// What is sent, so that the answer is the same whoever asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A real code; `email` is kept with it until the confirm step (registration).
    Code { email: Option<Email> },
    /// Registration of a phone already registered: an SMS telling the subscriber to use
    /// password recovery, and a decoy code (no digest) that starts the resend pause and
    /// confirms nothing.
    AlreadyRegistered,
    /// Password reset of a phone nobody registered: no SMS, only a decoy code, so that a second
    /// request within the pause is refused as for a registered phone. It counts under
    /// the per-phone and per-IP limits like a real send, and is refused like one when a
    /// budget is spent, but does not spend the budgets (it costs nothing).
    Silent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCodeCommand {
    pub phone: MobilePhone,
    pub purpose: CodePurpose,
    pub delivery: Delivery,
    /// The subscriber's address when known: its network is counted under the per-IP limit.
    pub client_ip: Option<IpAddr>,
}

/// A code request accepted: when another may be asked for and how long the code lives, in
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRequested {
    pub resend_after: i64,
    pub expires_in: i64,
}

/// What a code request can meet. The gateway is not among them: its answers are the
/// background sender's (recorded in the outbox and logged for the operator).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendCodeError {
    /// The last code for this phone and purpose is younger than the resend pause.
    #[error("a code was sent less than the resend pause ago")]
    TooSoon { retry_after: TimeDelta },
    /// Too many codes for this phone or from this address.
    #[error("too many codes for this phone or address")]
    TooManyRequests { retry_after: TimeDelta },
    /// The hourly or daily SMS budget is spent: no code goes out until it renews; an operator
    /// must look.
    #[error("the SMS budget is exhausted")]
    BudgetExhausted { retry_after: TimeDelta },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<BudgetError> for SendCodeError {
    fn from(error: BudgetError) -> Self {
        match error {
            BudgetError::Exhausted { retry_after } => Self::BudgetExhausted { retry_after },
            BudgetError::Store(store) => Self::Store(store),
        }
    }
}

/// Queues a code (or a decoy), in this order: resend pause, per-phone limit, per-IP limit,
/// the budgets, then the code and its message stored in one transaction, which checks the
/// pause again (a request at the same moment, to this process or another, may have stored a
/// code since the first look).
#[derive(Debug, Clone)]
pub struct SendCode {
    codes: Arc<dyn CodeRepository>,
    outbox: Arc<dyn SmsOutbox>,
    counter: Arc<dyn AttemptCounter>,
    budget: SmsBudget,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    policy: CodePolicy,
    code_key: CodeKey,
    limits: Limits,
}

impl SendCode {
    pub fn new(
        codes: Arc<dyn CodeRepository>,
        outbox: Arc<dyn SmsOutbox>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            codes,
            outbox,
            budget: SmsBudget::new(counter.clone(), &settings.limits),
            counter,
            clock,
            random,
            policy: settings.code_policy,
            code_key: settings.code_key,
            limits: settings.limits,
        }
    }

    pub async fn execute(&self, command: SendCodeCommand) -> Result<CodeRequested, SendCodeError> {
        let SendCodeCommand {
            phone,
            purpose,
            delivery,
            client_ip,
        } = command;
        let now = self.clock.now();
        if let Some(existing) = self.codes.find(phone.phone(), purpose).await?
            && let Some(retry_after) = existing.resend_wait(now, &self.policy)
        {
            return Err(SendCodeError::TooSoon { retry_after });
        }
        let phone_key = format!("sms:phone:{}", phone.phone());
        self.acquire(&phone_key, self.limits.sms_per_phone, now)
            .await?;
        if let Some(ip) = client_ip {
            let key = ClientNetwork::from(ip).limit_key("sms");
            self.acquire(&key, self.limits.sms_per_ip, now).await?;
        }
        if delivery == Delivery::Silent {
            self.budget.check(now).await?;
        } else {
            self.budget.spend(now).await?;
        }

        let (text, digest, email) = match delivery {
            Delivery::Code { email } => {
                let code = self.random.one_time_code();
                let digest = code_digest(&self.code_key, phone.phone(), purpose, &code);
                (Some(code_text(purpose, &code)), Some(digest), email)
            }
            Delivery::AlreadyRegistered => (Some(ALREADY_REGISTERED_TEXT.to_owned()), None, None),
            Delivery::Silent => (None, None, None),
        };
        let pending = PendingCode::new(
            phone.into_phone(),
            purpose,
            digest,
            email,
            now,
            &self.policy,
        );
        let message = text.map(|text| NewSms {
            phone: pending.phone.clone(),
            text,
            purpose: match purpose {
                CodePurpose::Registration => SmsPurpose::Registration,
                CodePurpose::PasswordReset => SmsPurpose::PasswordReset,
            },
            client_ip,
            created_at: now,
            expires_at: pending.expires_at,
        });
        let pause_since = now - self.policy.resend_after;
        if !self
            .outbox
            .store_code(&pending, message, pause_since)
            .await?
        {
            // A request at the same moment stored its code since the look above.
            return Err(SendCodeError::TooSoon {
                retry_after: self.policy.resend_after,
            });
        }
        Ok(CodeRequested {
            resend_after: self.policy.resend_after.num_seconds(),
            expires_in: self.policy.lifetime.num_seconds(),
        })
    }

    /// Counts one send under `key`, refused when the limit is reached.
    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<(), SendCodeError> {
        match self.counter.acquire(key, limit, now).await? {
            LimitState::Allowed => Ok(()),
            LimitState::Exceeded { retry_after } => {
                Err(SendCodeError::TooManyRequests { retry_after })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::down;
    use crate::testing::{self, CodePorts, PHONE_KEY};
    use mockall::predicate::eq;

    const IP_KEY: &str = "sms:ip:203.0.113.7";

    fn ip() -> IpAddr {
        "203.0.113.7".parse().unwrap()
    }

    fn mobile() -> MobilePhone {
        MobilePhone::try_from(testing::phone()).unwrap()
    }

    fn limits() -> Limits {
        Settings::default().limits
    }

    fn command(delivery: Delivery) -> SendCodeCommand {
        SendCodeCommand {
            phone: mobile(),
            purpose: CodePurpose::Registration,
            delivery,
            client_ip: Some(ip()),
        }
    }

    fn registration() -> SendCodeCommand {
        command(Delivery::Code {
            email: Some(testing::email()),
        })
    }

    fn expires_at() -> DateTime<Utc> {
        testing::now() + TimeDelta::seconds(600)
    }

    /// The message of `text` for the test's phone and address, due now.
    fn message(text: &str, purpose: SmsPurpose) -> NewSms {
        NewSms {
            client_ip: Some(ip()),
            ..testing::code_sms(text, purpose)
        }
    }

    /// The per-phone, per-IP limits and the budgets allow a send.
    fn allowed() -> CodePorts {
        CodePorts::default()
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
            .limits_allow()
    }

    const REGISTRATION_TEXT: &str =
        "Код подтверждения регистрации: 123456. Никому не сообщайте его.";
    const RESET_TEXT: &str = "Код для восстановления пароля: 123456. Никому не сообщайте его.";

    const ANSWER: CodeRequested = CodeRequested {
        resend_after: 180,
        expires_in: 600,
    };

    fn pending_sent_ago(seconds: i64) -> PendingCode {
        PendingCode::new(
            testing::phone(),
            CodePurpose::Registration,
            None,
            None,
            testing::now() - TimeDelta::seconds(seconds),
            &CodePolicy::default(),
        )
    }

    #[tokio::test]
    async fn a_registration_code_is_stored_as_a_digest_with_its_message_in_one_call() {
        let code = OneTimeCode::from_number(123_456);
        let digest = code_digest(
            &Settings::default().code_key,
            &testing::phone(),
            CodePurpose::Registration,
            &code,
        );
        let use_case = allowed()
            .nothing_pending()
            .queues(
                move |p| {
                    p.phone == testing::phone()
                        && p.purpose == CodePurpose::Registration
                        && p.digest == Some(digest)
                        && p.email == Some(testing::email())
                        && p.sent_at == testing::now()
                        && p.expires_at == expires_at()
                        && p.failed_attempts == 0
                },
                Some(message(REGISTRATION_TEXT, SmsPurpose::Registration)),
                Ok(true),
            )
            .send_code();
        assert_eq!(use_case.execute(registration()).await, Ok(ANSWER));
    }

    #[tokio::test]
    async fn a_password_reset_code_has_its_own_text_and_digest() {
        let code = OneTimeCode::from_number(123_456);
        let digest = code_digest(
            &Settings::default().code_key,
            &testing::phone(),
            CodePurpose::PasswordReset,
            &code,
        );
        let mut ports = allowed();
        ports
            .codes
            .expect_find()
            .with(eq(testing::phone()), eq(CodePurpose::PasswordReset))
            .times(1)
            .returning(|_, _| Ok(None));
        let use_case = ports
            .queues(
                move |p| {
                    p.purpose == CodePurpose::PasswordReset
                        && p.digest == Some(digest)
                        && p.email.is_none()
                },
                Some(message(RESET_TEXT, SmsPurpose::PasswordReset)),
                Ok(true),
            )
            .send_code();
        let outcome = use_case
            .execute(SendCodeCommand {
                purpose: CodePurpose::PasswordReset,
                ..command(Delivery::Code { email: None })
            })
            .await;
        assert_eq!(outcome, Ok(ANSWER));
    }

    #[tokio::test]
    async fn without_a_client_address_no_per_ip_limit_is_counted() {
        let use_case = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(BUDGET_KEY, limits().sms_budget, LimitState::Allowed)
            .budget_reads_allow()
            .queues(
                |_| true,
                Some(NewSms {
                    client_ip: None,
                    ..message(REGISTRATION_TEXT, SmsPurpose::Registration)
                }),
                Ok(true),
            )
            .send_code();
        let outcome = use_case
            .execute(SendCodeCommand {
                client_ip: None,
                ..registration()
            })
            .await;
        assert_eq!(outcome, Ok(ANSWER));
    }

    #[tokio::test]
    async fn a_code_within_the_resend_pause_is_refused_with_the_time_left() {
        let mut ports = CodePorts::default();
        ports
            .codes
            .expect_find()
            .times(1)
            .returning(|_, _| Ok(Some(pending_sent_ago(60))));
        let outcome = ports.send_code().execute(registration()).await;
        assert_eq!(
            outcome,
            Err(SendCodeError::TooSoon {
                retry_after: TimeDelta::seconds(120)
            })
        );
    }

    #[tokio::test]
    async fn a_code_stored_by_a_request_at_the_same_moment_is_the_pause() {
        let use_case = allowed()
            .nothing_pending()
            .queues(
                |_| true,
                Some(message(REGISTRATION_TEXT, SmsPurpose::Registration)),
                Ok(false),
            )
            .send_code();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::TooSoon {
                retry_after: TimeDelta::seconds(180)
            })
        );
    }

    #[tokio::test]
    async fn a_code_older_than_the_pause_does_not_block_a_new_one() {
        let mut ports = allowed().queues(
            |p| p.sent_at == testing::now(),
            Some(message(REGISTRATION_TEXT, SmsPurpose::Registration)),
            Ok(true),
        );
        ports
            .codes
            .expect_find()
            .returning(|_, _| Ok(Some(pending_sent_ago(180))));
        assert!(ports.send_code().execute(registration()).await.is_ok());
    }

    #[tokio::test]
    async fn too_many_codes_for_the_phone_are_refused_before_anything_else_is_counted() {
        let use_case = CodePorts::default()
            .nothing_pending()
            .limit(
                PHONE_KEY,
                limits().sms_per_phone,
                LimitState::Exceeded {
                    retry_after: TimeDelta::hours(3),
                },
            )
            .send_code();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::TooManyRequests {
                retry_after: TimeDelta::hours(3)
            })
        );
    }

    #[tokio::test]
    async fn too_many_codes_from_the_address_are_refused_before_the_budget_is_spent() {
        let use_case = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(
                IP_KEY,
                limits().sms_per_ip,
                LimitState::Exceeded {
                    retry_after: TimeDelta::minutes(20),
                },
            )
            .send_code();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::TooManyRequests {
                retry_after: TimeDelta::minutes(20)
            })
        );
    }

    #[tokio::test]
    async fn an_exhausted_hourly_budget_stops_sending() {
        let use_case = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
            .limit(
                BUDGET_KEY,
                limits().sms_budget,
                LimitState::Exceeded {
                    retry_after: TimeDelta::minutes(7),
                },
            )
            .send_code();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::BudgetExhausted {
                retry_after: TimeDelta::minutes(7)
            })
        );
    }

    #[tokio::test]
    async fn an_exhausted_daily_budget_stops_sending_and_takes_back_the_hourly_count() {
        let mut ports = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
            .limit(BUDGET_KEY, limits().sms_budget, LimitState::Allowed);
        ports
            .counter
            .expect_check()
            .withf(|k, l, _| {
                k == BUDGET_KEY
                    && l.window == TimeDelta::hours(24)
                    && l.max == limits().sms_daily_budget.max + 1
            })
            .times(1)
            .return_const(Ok(LimitState::Exceeded {
                retry_after: TimeDelta::hours(5),
            }));
        ports
            .counter
            .expect_release()
            .with(eq(BUDGET_KEY), eq(testing::now()))
            .times(1)
            .return_const(Ok(()));
        assert_eq!(
            ports.send_code().execute(registration()).await,
            Err(SendCodeError::BudgetExhausted {
                retry_after: TimeDelta::hours(5)
            })
        );
    }

    #[tokio::test]
    async fn a_registered_phone_gets_the_recovery_hint_and_a_decoy_that_confirms_nothing() {
        let use_case = allowed()
            .nothing_pending()
            .queues(
                |p| p.digest.is_none() && p.email.is_none() && p.sent_at == testing::now(),
                Some(message(ALREADY_REGISTERED_TEXT, SmsPurpose::Registration)),
                Ok(true),
            )
            .send_code();
        assert_eq!(
            use_case.execute(command(Delivery::AlreadyRegistered)).await,
            Ok(ANSWER)
        );
    }

    #[tokio::test]
    async fn a_silent_decoy_queues_nothing_and_only_checks_the_budgets() {
        let mut ports = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
            .queues(
                |p| p.digest.is_none() && p.sent_at == testing::now(),
                None,
                Ok(true),
            );
        for limit in [limits().sms_budget, limits().sms_daily_budget] {
            ports
                .counter
                .expect_check()
                .withf(move |k, l, _| k == BUDGET_KEY && *l == limit)
                .times(1)
                .return_const(Ok(LimitState::Allowed));
        }
        assert_eq!(
            ports.send_code().execute(command(Delivery::Silent)).await,
            Ok(ANSWER)
        );
    }

    #[tokio::test]
    async fn a_silent_decoy_is_refused_like_a_send_when_a_budget_is_spent() {
        let mut ports = CodePorts::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed);
        ports
            .counter
            .expect_check()
            .times(1)
            .return_const(Ok(LimitState::Exceeded {
                retry_after: TimeDelta::minutes(1),
            }));
        assert_eq!(
            ports.send_code().execute(command(Delivery::Silent)).await,
            Err(SendCodeError::BudgetExhausted {
                retry_after: TimeDelta::minutes(1)
            })
        );
    }

    /// What the ports expect up to the step that fails.
    type Step = fn(CodePorts) -> CodePorts;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("lookup", |mut p| {
                p.codes.expect_find().return_const(Err(down()));
                p
            }),
            ("counter", |p| {
                let mut p = p.nothing_pending();
                p.counter.expect_acquire().return_const(Err(down()));
                p
            }),
            ("queue", |p| {
                p.nothing_pending()
                    .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
                    .limits_allow()
                    .queues(
                        |_| true,
                        Some(message(REGISTRATION_TEXT, SmsPurpose::Registration)),
                        Err(down()),
                    )
            }),
        ];
        for (step, expecting) in steps {
            let outcome = expecting(CodePorts::default())
                .send_code()
                .execute(registration())
                .await;
            assert_eq!(outcome, Err(SendCodeError::Store(down())), "{step}");
        }
    }
}
