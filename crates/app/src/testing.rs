//! Fixtures shared by the use-case tests of this crate.
#![expect(
    clippy::missing_panics_doc,
    reason = "test fixtures panic on a broken fixture"
)]
#![expect(
    clippy::return_self_not_must_use,
    reason = "the builders' expectations are checked when the mocks drop"
)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use mockall::predicate::eq;
use vodokanal_domain::{
    Account, AccountNumber, CodePurpose, Consent, Email, Meter, MeterNumber, MeterService,
    PasswordHash, PendingCode, Phone, User, UserId,
};

use crate::auth::send_code::{BUDGET_KEY, SendCode};
use crate::ports::{
    AttemptCounter, Limit, LimitState, MockAccountRepository, MockAttemptCounter, MockClock,
    MockCodeRepository, MockRandom, MockSmsOutbox, NewSms, SmsPurpose,
};
use crate::{Settings, StoreError};

/// 2026-11-16T09:00:00Z: Monday 16 November, 12:00 in Moscow.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-16T09:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A clock stopped at [`now`].
pub fn clock() -> Arc<MockClock> {
    clock_at(now())
}

pub fn clock_at(at: DateTime<Utc>) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at);
    Arc::new(clock)
}

/// Randomness that always gives the same bytes and the code `123456`.
pub fn random() -> Arc<MockRandom> {
    let mut random = MockRandom::new();
    random
        .expect_one_time_code()
        .returning(|| vodokanal_domain::OneTimeCode::from_number(123_456));
    random.expect_token_bytes().return_const([7u8; 32]);
    random.expect_id_bytes().return_const([9u8; 16]);
    Arc::new(random)
}

pub fn phone() -> Phone {
    "+79109845003".parse().unwrap()
}

pub fn email() -> Email {
    "abonent@example.ru".parse().unwrap()
}

pub fn user_id() -> UserId {
    UserId::from_random_bytes([1; 16])
}

pub fn user() -> User {
    User {
        id: user_id(),
        phone: phone(),
        email: email(),
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        ),
        consent: Consent {
            given_at: now(),
            version: vodokanal_domain::user::CONSENT_VERSION.into(),
        },
        created_at: now(),
    }
}

pub fn account_number() -> AccountNumber {
    "123456".parse().unwrap()
}

pub fn meter_number() -> MeterNumber {
    "ВСХ-0011234".parse().unwrap()
}

/// An account store asked once for account 123456, answering `found`.
pub fn accounts_finding(found: Result<Option<Account>, StoreError>) -> MockAccountRepository {
    let mut accounts = MockAccountRepository::new();
    accounts
        .expect_find()
        .with(eq(account_number()))
        .times(1)
        .return_once(move |_| found);
    accounts
}

/// Account 123456 with a debt of 1000.00 as of 2026-10-31 and cold-water meter ВСХ-0011234.
pub fn account() -> Account {
    Account {
        number: account_number(),
        address: "г. Иваново, ул. Лежневская, д. 1, кв. 2".into(),
        balance: "1000.00".parse().unwrap(),
        balance_as_of: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        meters: vec![Meter {
            number: meter_number(),
            service: MeterService::ColdWater,
            verification_due: None,
        }],
    }
}

/// What every store test here fails with: the store did not answer.
pub fn down() -> StoreError {
    StoreError::Unavailable("down".into())
}

/// The per-phone limit's key of [`phone`].
pub const PHONE_KEY: &str = "sms:phone:+79109845003";

/// The SMS of a code for [`phone`] with no client address, queued now for 10 minutes.
pub fn code_sms(text: &str, purpose: SmsPurpose) -> NewSms {
    NewSms {
        phone: phone(),
        text: text.to_owned(),
        purpose,
        client_ip: None,
        created_at: now(),
        expires_at: now() + TimeDelta::seconds(600),
    }
}

/// The mocks a one-time code goes through (the pending codes, the SMS outbox, the attempt
/// counter), each method adding what a test expects of them, for [`phone`].
#[derive(Debug, Default)]
pub struct CodePorts {
    pub codes: MockCodeRepository,
    pub outbox: MockSmsOutbox,
    pub counter: MockAttemptCounter,
}

impl CodePorts {
    /// No code waits for the phone.
    pub fn nothing_pending(mut self) -> Self {
        self.codes.expect_find().returning(|_, _| Ok(None));
        self
    }

    /// The lookup of the phone's code of `purpose`, and when one waits, the count of this try.
    pub fn finds(
        mut self,
        purpose: CodePurpose,
        found: Result<Option<PendingCode>, StoreError>,
    ) -> Self {
        if let Ok(Some(code)) = &found {
            let tries = code.failed_attempts + 1;
            self = self.counts_try(purpose, Ok(tries));
        }
        self.codes
            .expect_find()
            .with(eq(phone()), eq(purpose))
            .times(1)
            .return_const(found);
        self
    }

    pub fn counts_try(mut self, purpose: CodePurpose, outcome: Result<u32, StoreError>) -> Self {
        self.codes
            .expect_record_try()
            .with(eq(phone()), eq(purpose))
            .times(1)
            .return_const(outcome);
        self
    }

    pub fn consumes(mut self, purpose: CodePurpose, outcome: Result<bool, StoreError>) -> Self {
        self.codes
            .expect_consume()
            .with(eq(phone()), eq(purpose))
            .times(1)
            .return_const(outcome);
        self
    }

    /// One acquire of the limit under `key`, at [`now`], answering `state`.
    pub fn limit(mut self, key: &'static str, limit: Limit, state: LimitState) -> Self {
        self.counter
            .expect_acquire()
            .withf(move |k, l, at| k == key && *l == limit && *at == now())
            .times(1)
            .return_const(Ok(state));
        self
    }

    /// The budgets' other reads (the daily window, the 80% marks) find room.
    pub fn budget_reads_allow(mut self) -> Self {
        self.counter
            .expect_check()
            .withf(|k, _, at| k == BUDGET_KEY && *at == now())
            .return_const(Ok(LimitState::Allowed));
        self
    }

    /// The per-phone limit and the budgets allow a send without a client address.
    pub fn limits_allow(self) -> Self {
        let limits = Settings::default().limits;
        self.limit(PHONE_KEY, limits.sms_per_phone, LimitState::Allowed)
            .limit(BUDGET_KEY, limits.sms_budget, LimitState::Allowed)
            .budget_reads_allow()
    }

    /// The code and its message are stored in one call, unless a code was sent within the
    /// resend pause (180 s before now).
    pub fn queues(
        mut self,
        code: impl Fn(&PendingCode) -> bool + Send + 'static,
        message: Option<NewSms>,
        outcome: Result<bool, StoreError>,
    ) -> Self {
        self.outbox
            .expect_store_code()
            .withf(move |p, m, since| {
                code(p) && *m == message && *since == now() - TimeDelta::seconds(180)
            })
            .times(1)
            .return_const(outcome);
        self
    }

    /// `SendCode` on these ports, the stopped clock and the fixed randomness.
    pub fn send_code(self) -> SendCode {
        SendCode::new(
            Arc::new(self.codes),
            Arc::new(self.outbox),
            Arc::new(self.counter),
            clock(),
            random(),
            &Settings::default(),
        )
    }
}

/// An attempt counter in memory, for tests that count many attempts (one row per attempt, as
/// the stores keep them).
#[derive(Debug, Default)]
pub struct Attempts(pub std::sync::Mutex<Vec<(String, DateTime<Utc>)>>);

impl Attempts {
    /// The attempts counted under `key`.
    pub fn under(&self, key: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k == key)
            .count()
    }

    fn state(&self, key: &str, limit: Limit, now: DateTime<Utc>) -> LimitState {
        let since = now - limit.window;
        let counted: Vec<DateTime<Utc>> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, at)| k == key && *at > since)
            .map(|(_, at)| *at)
            .collect();
        if counted.len() < limit.max as usize {
            return LimitState::Allowed;
        }
        let oldest = counted.into_iter().min().unwrap_or(now);
        LimitState::Exceeded {
            retry_after: oldest + limit.window - now,
        }
    }
}

#[async_trait::async_trait]
impl AttemptCounter for Attempts {
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        Ok(self.state(key, limit, now))
    }

    async fn count(
        &self,
        key: &str,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let since = now - window;
        let attempts = self.0.lock().unwrap();
        let counted = attempts.iter().filter(|(k, at)| k == key && *at > since);
        Ok(u32::try_from(counted.count()).unwrap_or(u32::MAX))
    }

    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.0.lock().unwrap().push((key.to_owned(), now));
        Ok(())
    }

    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let state = self.state(key, limit, now);
        if state == LimitState::Allowed {
            self.0.lock().unwrap().push((key.to_owned(), now));
        }
        Ok(state)
    }

    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut attempts = self.0.lock().unwrap();
        if let Some(found) = attempts.iter().position(|(k, t)| k == key && *t == at) {
            attempts.remove(found);
        }
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.0.lock().unwrap().retain(|(k, _)| k != key);
        Ok(())
    }
}

/// Runs `future` with its log captured (on the current thread): its output and the log.
pub async fn logged<F: std::future::Future>(future: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let output = future.await;
    drop(guard);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (output, log)
}
