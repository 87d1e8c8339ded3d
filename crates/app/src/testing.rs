//! Fixtures shared by the use-case tests of this crate.
#![expect(
    clippy::missing_panics_doc,
    reason = "test fixtures panic on a broken fixture"
)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vodokanal_domain::{
    Account, AccountNumber, Consent, Email, Meter, MeterNumber, MeterService, PasswordHash, Phone,
    User, UserId,
};

use crate::ports::{MockClock, MockRandom};

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
