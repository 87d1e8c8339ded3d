//! Sending a one-time code by SMS for registration or password reset, under the resend pause
//! and the SMS limits of `security.md`. Not an endpoint of its own: the registration and
//! password-reset requests use it.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{
    ClientNetwork, CodePolicy, CodePurpose, Email, MobilePhone, OneTimeCode, PendingCode,
};

use super::secrets::{CodeKey, code_digest};
use crate::StoreError;
use crate::ports::{
    AttemptCounter, Clock, CodeRepository, Limit, LimitState, Random, SmsError, SmsGateway,
};
use crate::settings::{Limits, Settings};

/// The key under which the global SMS budget is counted.
pub const BUDGET_KEY: &str = "sms:budget";

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
    /// request within the pause gets the same 429 as for a registered phone. It counts under
    /// the per-phone and per-IP limits like a real send, and is refused like one when the
    /// budget is spent, but does not spend the budget (it costs nothing).
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

/// The 202 answer of a code request: `{resend_after, expires_in}` in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRequested {
    pub resend_after: i64,
    pub expires_in: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendCodeError {
    /// 429 `too_many_requests`: the last code for this phone and purpose is younger than the
    /// resend pause.
    #[error("a code was sent less than the resend pause ago")]
    TooSoon { retry_after: TimeDelta },
    /// 429 `too_many_requests`: too many codes for this phone or from this address.
    #[error("too many codes for this phone or address")]
    TooManyRequests { retry_after: TimeDelta },
    /// 503 `service_unavailable`: the global SMS budget is spent; an operator must look.
    #[error("the SMS budget is exhausted")]
    BudgetExhausted { retry_after: TimeDelta },
    /// 422 `validation_failed` (field `phone`): the gateway refuses the number.
    #[error("the SMS gateway refuses the number")]
    NumberRefused,
    /// 429 `too_many_requests`: the gateway's own limits; retry after the resend pause.
    #[error("the SMS gateway's limit is reached")]
    GatewayRateLimited { retry_after: TimeDelta },
    /// 503 `service_unavailable`: the gateway is down, out of money or misconfigured.
    #[error("the SMS gateway is unavailable: {0}")]
    GatewayUnavailable(String),
    /// 503 `service_unavailable` / 500 `internal`, as `StoreError` says.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends a code (or a decoy) and stores it, in this order: resend pause, per-phone limit,
/// per-IP limit, global budget, send, store. A failed send stores nothing, so it does not start
/// the resend pause.
#[derive(Clone)]
pub struct SendCode {
    codes: Arc<dyn CodeRepository>,
    sms: Arc<dyn SmsGateway>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    policy: CodePolicy,
    code_key: CodeKey,
    limits: Limits,
}

impl fmt::Debug for SendCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendCode")
    }
}

impl SendCode {
    pub fn new(
        codes: Arc<dyn CodeRepository>,
        sms: Arc<dyn SmsGateway>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            codes,
            sms,
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
        let budget = if delivery == Delivery::Silent {
            self.counter
                .check(BUDGET_KEY, self.limits.sms_budget, now)
                .await?
        } else {
            self.counter
                .acquire(BUDGET_KEY, self.limits.sms_budget, now)
                .await?
        };
        if let LimitState::Exceeded { retry_after } = budget {
            tracing::error!(
                limit = self.limits.sms_budget.max,
                window_seconds = self.limits.sms_budget.window.num_seconds(),
                retry_after_seconds = retry_after.num_seconds(),
                "the SMS budget is exhausted: codes are refused with 503 until the window \
                 passes; check for SMS pumping, or raise the budget if the traffic is real"
            );
            return Err(SendCodeError::BudgetExhausted { retry_after });
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
        if let Some(text) = text {
            self.sms
                .send(&phone, &text, client_ip)
                .await
                .map_err(|error| self.sms_failed(&phone, error))?;
        }
        let pending = PendingCode::new(
            phone.into_phone(),
            purpose,
            digest,
            email,
            now,
            &self.policy,
        );
        self.codes.put(&pending).await?;
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

    fn sms_failed(&self, phone: &MobilePhone, error: SmsError) -> SendCodeError {
        match error {
            SmsError::InvalidNumber => {
                tracing::info!(phone = %phone.phone().masked(), "the SMS gateway refuses the number");
                SendCodeError::NumberRefused
            }
            SmsError::RateLimited => {
                tracing::warn!(phone = %phone.phone().masked(), "the SMS gateway's limit is reached");
                SendCodeError::GatewayRateLimited {
                    retry_after: self.policy.resend_after,
                }
            }
            SmsError::Unavailable(reason) => {
                tracing::error!(%reason, "the SMS gateway is unavailable: codes cannot be sent");
                SendCodeError::GatewayUnavailable(reason)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockAttemptCounter, MockCodeRepository, MockSmsGateway};
    use crate::testing;
    use mockall::predicate::eq;

    const PHONE_KEY: &str = "sms:phone:+79109845003";
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

    #[derive(Default)]
    struct Ports {
        codes: MockCodeRepository,
        sms: MockSmsGateway,
        counter: MockAttemptCounter,
    }

    impl Ports {
        /// No code waits for the phone.
        fn nothing_pending(mut self) -> Self {
            self.codes.expect_find().returning(|_, _| Ok(None));
            self
        }

        fn limit(mut self, key: &'static str, limit: Limit, state: LimitState) -> Self {
            self.counter
                .expect_acquire()
                .withf(move |k, l, at| k == key && *l == limit && *at == testing::now())
                .times(1)
                .return_const(Ok(state));
            self
        }

        /// The per-phone, per-IP and budget limits allow a send.
        fn limits_allow(self) -> Self {
            self.limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
                .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
                .limit(BUDGET_KEY, limits().sms_budget, LimitState::Allowed)
        }

        fn sends(mut self, text: &'static str, outcome: Result<(), SmsError>) -> Self {
            self.sms
                .expect_send()
                .withf(move |to, t, client| *to == mobile() && t == text && *client == Some(ip()))
                .times(1)
                .return_const(outcome);
            self
        }

        fn stores(
            mut self,
            expected: impl Fn(&PendingCode) -> bool + Send + 'static,
            outcome: Result<(), StoreError>,
        ) -> Self {
            self.codes
                .expect_put()
                .withf(expected)
                .times(1)
                .return_const(outcome);
            self
        }

        fn build(self) -> SendCode {
            SendCode::new(
                Arc::new(self.codes),
                Arc::new(self.sms),
                Arc::new(self.counter),
                testing::clock(),
                testing::random(),
                &Settings::default(),
            )
        }
    }

    const REGISTRATION_TEXT: &str =
        "Код подтверждения регистрации: 123456. Никому не сообщайте его.";

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

    fn down() -> StoreError {
        StoreError::Unavailable("down".into())
    }

    #[tokio::test]
    async fn a_registration_code_is_sent_then_stored_as_a_digest_with_the_email() {
        let code = OneTimeCode::from_number(123_456);
        let digest = code_digest(
            &Settings::default().code_key,
            &testing::phone(),
            CodePurpose::Registration,
            &code,
        );
        let use_case = Ports::default()
            .nothing_pending()
            .limits_allow()
            .sends(REGISTRATION_TEXT, Ok(()))
            .stores(
                move |p| {
                    p.phone == testing::phone()
                        && p.purpose == CodePurpose::Registration
                        && p.digest == Some(digest)
                        && p.email == Some(testing::email())
                        && p.sent_at == testing::now()
                        && p.expires_at == testing::now() + TimeDelta::seconds(600)
                        && p.failed_attempts == 0
                },
                Ok(()),
            )
            .build();
        assert_eq!(
            use_case.execute(registration()).await,
            Ok(CodeRequested {
                resend_after: 180,
                expires_in: 600
            })
        );
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
        let mut ports = Ports::default().limits_allow();
        ports
            .codes
            .expect_find()
            .with(eq(testing::phone()), eq(CodePurpose::PasswordReset))
            .times(1)
            .returning(|_, _| Ok(None));
        let use_case = ports
            .sends(
                "Код для восстановления пароля: 123456. Никому не сообщайте его.",
                Ok(()),
            )
            .stores(
                move |p| {
                    p.purpose == CodePurpose::PasswordReset
                        && p.digest == Some(digest)
                        && p.email.is_none()
                },
                Ok(()),
            )
            .build();
        let outcome = use_case
            .execute(SendCodeCommand {
                purpose: CodePurpose::PasswordReset,
                ..command(Delivery::Code { email: None })
            })
            .await;
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[tokio::test]
    async fn without_a_client_address_no_per_ip_limit_is_counted() {
        let mut ports = Ports::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(BUDGET_KEY, limits().sms_budget, LimitState::Allowed)
            .stores(|_| true, Ok(()));
        ports
            .sms
            .expect_send()
            .withf(|_, _, client| client.is_none())
            .times(1)
            .return_const(Ok(()));
        let outcome = ports
            .build()
            .execute(SendCodeCommand {
                client_ip: None,
                ..registration()
            })
            .await;
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_code_within_the_resend_pause_is_refused_with_the_time_left() {
        let mut ports = Ports::default();
        ports
            .codes
            .expect_find()
            .times(1)
            .returning(|_, _| Ok(Some(pending_sent_ago(60))));
        let outcome = ports.build().execute(registration()).await;
        assert_eq!(
            outcome,
            Err(SendCodeError::TooSoon {
                retry_after: TimeDelta::seconds(120)
            })
        );
    }

    #[tokio::test]
    async fn a_code_older_than_the_pause_does_not_block_a_new_one() {
        let mut ports = Ports::default()
            .limits_allow()
            .sends(REGISTRATION_TEXT, Ok(()))
            .stores(|p| p.sent_at == testing::now(), Ok(()));
        ports
            .codes
            .expect_find()
            .returning(|_, _| Ok(Some(pending_sent_ago(180))));
        assert!(ports.build().execute(registration()).await.is_ok());
    }

    #[tokio::test]
    async fn too_many_codes_for_the_phone_are_refused_before_anything_else_is_counted() {
        let use_case = Ports::default()
            .nothing_pending()
            .limit(
                PHONE_KEY,
                limits().sms_per_phone,
                LimitState::Exceeded {
                    retry_after: TimeDelta::hours(3),
                },
            )
            .build();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::TooManyRequests {
                retry_after: TimeDelta::hours(3)
            })
        );
    }

    #[tokio::test]
    async fn too_many_codes_from_the_address_are_refused_before_the_budget_is_spent() {
        let use_case = Ports::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(
                IP_KEY,
                limits().sms_per_ip,
                LimitState::Exceeded {
                    retry_after: TimeDelta::minutes(20),
                },
            )
            .build();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::TooManyRequests {
                retry_after: TimeDelta::minutes(20)
            })
        );
    }

    #[tokio::test]
    async fn an_exhausted_budget_stops_sending() {
        let use_case = Ports::default()
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
            .build();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::BudgetExhausted {
                retry_after: TimeDelta::minutes(7)
            })
        );
    }

    #[tokio::test]
    async fn a_registered_phone_gets_the_recovery_hint_and_a_decoy_that_confirms_nothing() {
        let use_case = Ports::default()
            .nothing_pending()
            .limits_allow()
            .sends(ALREADY_REGISTERED_TEXT, Ok(()))
            .stores(
                |p| p.digest.is_none() && p.email.is_none() && p.sent_at == testing::now(),
                Ok(()),
            )
            .build();
        assert_eq!(
            use_case.execute(command(Delivery::AlreadyRegistered)).await,
            Ok(CodeRequested {
                resend_after: 180,
                expires_in: 600
            })
        );
    }

    #[tokio::test]
    async fn a_silent_decoy_sends_nothing_and_only_checks_the_budget() {
        let mut ports = Ports::default()
            .nothing_pending()
            .limit(PHONE_KEY, limits().sms_per_phone, LimitState::Allowed)
            .limit(IP_KEY, limits().sms_per_ip, LimitState::Allowed)
            .stores(
                |p| p.digest.is_none() && p.sent_at == testing::now(),
                Ok(()),
            );
        ports
            .counter
            .expect_check()
            .withf(|k, l, _| k == BUDGET_KEY && *l == limits().sms_budget)
            .times(1)
            .return_const(Ok(LimitState::Allowed));
        assert_eq!(
            ports.build().execute(command(Delivery::Silent)).await,
            Ok(CodeRequested {
                resend_after: 180,
                expires_in: 600
            })
        );
    }

    #[tokio::test]
    async fn a_silent_decoy_is_refused_like_a_send_when_the_budget_is_spent() {
        let mut ports = Ports::default()
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
            ports.build().execute(command(Delivery::Silent)).await,
            Err(SendCodeError::BudgetExhausted {
                retry_after: TimeDelta::minutes(1)
            })
        );
    }

    async fn failed_send(error: SmsError) -> Result<CodeRequested, SendCodeError> {
        // No `put` is expected: a failed send stores nothing.
        Ports::default()
            .nothing_pending()
            .limits_allow()
            .sends(REGISTRATION_TEXT, Err(error))
            .build()
            .execute(registration())
            .await
    }

    #[tokio::test]
    async fn a_number_the_gateway_refuses_is_reported_and_nothing_stored() {
        assert_eq!(
            failed_send(SmsError::InvalidNumber).await,
            Err(SendCodeError::NumberRefused)
        );
    }

    #[tokio::test]
    async fn the_gateways_own_limit_asks_to_retry_after_the_pause() {
        assert_eq!(
            failed_send(SmsError::RateLimited).await,
            Err(SendCodeError::GatewayRateLimited {
                retry_after: TimeDelta::seconds(180)
            })
        );
    }

    #[tokio::test]
    async fn a_gateway_down_is_reported_and_nothing_stored() {
        assert_eq!(
            failed_send(SmsError::Unavailable("no money".into())).await,
            Err(SendCodeError::GatewayUnavailable("no money".into()))
        );
    }

    /// A code store that keeps what is put and finds it again, so that a pause started by a
    /// stored code would show on the next request.
    fn remembering_codes() -> MockCodeRepository {
        let stored = Arc::new(std::sync::Mutex::new(Vec::<PendingCode>::new()));
        let mut codes = MockCodeRepository::new();
        let kept = stored.clone();
        codes.expect_find().returning(move |phone, purpose| {
            Ok(kept
                .lock()
                .unwrap()
                .iter()
                .find(|p| p.phone == *phone && p.purpose == purpose)
                .cloned())
        });
        codes.expect_put().returning(move |pending| {
            stored.lock().unwrap().push(pending.clone());
            Ok(())
        });
        codes
    }

    #[tokio::test]
    async fn a_failed_send_leaves_no_code_and_starts_no_pause() {
        for purpose in [CodePurpose::Registration, CodePurpose::PasswordReset] {
            for error in [
                SmsError::InvalidNumber,
                SmsError::RateLimited,
                SmsError::Unavailable("no money".into()),
            ] {
                let mut sms = MockSmsGateway::new();
                let mut sequence = mockall::Sequence::new();
                sms.expect_send()
                    .times(1)
                    .in_sequence(&mut sequence)
                    .return_const(Err(error.clone()));
                sms.expect_send()
                    .times(1)
                    .in_sequence(&mut sequence)
                    .return_const(Ok(()));
                let mut counter = MockAttemptCounter::new();
                counter
                    .expect_acquire()
                    .return_const(Ok(LimitState::Allowed));
                let use_case = SendCode::new(
                    Arc::new(remembering_codes()),
                    Arc::new(sms),
                    Arc::new(counter),
                    testing::clock(),
                    testing::random(),
                    &Settings::default(),
                );
                let command = SendCodeCommand {
                    purpose,
                    ..command(Delivery::Code { email: None })
                };

                let failed = use_case.execute(command.clone()).await;
                assert!(failed.is_err(), "{error:?}: {failed:?}");
                // Nothing was stored, so the next request is sent at once, and that one
                // starts the pause.
                assert!(
                    use_case.execute(command.clone()).await.is_ok(),
                    "{purpose:?} after {error:?}"
                );
                assert!(
                    matches!(
                        use_case.execute(command).await,
                        Err(SendCodeError::TooSoon { .. })
                    ),
                    "{purpose:?} after {error:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_store_down_at_the_lookup_is_reported() {
        let mut ports = Ports::default();
        ports.codes.expect_find().return_const(Err(down()));
        assert_eq!(
            ports.build().execute(registration()).await,
            Err(SendCodeError::Store(down()))
        );
    }

    #[tokio::test]
    async fn a_counter_down_is_reported() {
        let mut ports = Ports::default().nothing_pending();
        ports.counter.expect_acquire().return_const(Err(down()));
        assert_eq!(
            ports.build().execute(registration()).await,
            Err(SendCodeError::Store(down()))
        );
    }

    #[tokio::test]
    async fn a_store_down_after_the_send_is_reported() {
        let use_case = Ports::default()
            .nothing_pending()
            .limits_allow()
            .sends(REGISTRATION_TEXT, Ok(()))
            .stores(|_| true, Err(down()))
            .build();
        assert_eq!(
            use_case.execute(registration()).await,
            Err(SendCodeError::Store(down()))
        );
    }
}
