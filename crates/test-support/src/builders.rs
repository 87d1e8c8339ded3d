//! Domain values for tests, with sensible defaults. Every builder of an entity gives it fresh
//! random identifiers (and a fresh phone, e-mail, account or meter number where the entity
//! has one), so a test can build many without collisions; change what matters to the test with
//! struct update syntax:
//!
//! ```
//! use vodokanal_test_support::builders::{email, phone, user};
//! use vodokanal_domain::User;
//!
//! let taken = User { phone: phone("+79109845003"), email: email("a@example.ru"), ..user() };
//! assert_eq!(taken.phone.as_str(), "+79109845003");
//! ```
#![expect(
    clippy::missing_panics_doc,
    clippy::expect_used,
    reason = "test builders panic on a literal that is not valid, a bug of the test"
)]

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rand::Rng;
use vodokanal_app::idempotency::{
    Answer, ClaimToken, Claimed, IdempotencyRecordKey, StoredResponse,
};
use vodokanal_app::ports::ClaimCutoffs;
use vodokanal_domain::{
    AccountNumber, Balance, CodeDigest, CodePurpose, Consent, Email, FullName, Meter, MeterNumber,
    MeterService, Money, Notes, PasswordHash, Payment, PaymentId, PaymentPurpose, PaymentStatus,
    PendingCode, Period, Phone, Reading, ReadingId, ReadingSource, ReadingValue, ReceiptContact,
    RegistryMeter, RegistryRecord, Session, TokenDigest, User, UserId, VisitKind, VisitRequest,
    VisitRequestId, VisitSlot, VisitStatus,
};

/// 2026-11-16T09:00:00Z: the instant the tests live at (Monday, 12:00 in Moscow).
pub fn now() -> DateTime<Utc> {
    at("2026-11-16T09:00:00Z")
}

/// An instant from RFC 3339 text.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("an RFC 3339 instant")
        .with_timezone(&Utc)
}

/// [`now`] moved by `seconds` (negative: earlier).
pub fn seconds_from_now(seconds: i64) -> DateTime<Utc> {
    now() + TimeDelta::seconds(seconds)
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date YYYY-MM-DD")
}

pub fn phone(text: &str) -> Phone {
    text.parse().expect("a phone")
}

pub fn email(text: &str) -> Email {
    text.parse().expect("an e-mail")
}

pub fn account_number(text: &str) -> AccountNumber {
    text.parse().expect("an account number")
}

pub fn meter_number(text: &str) -> MeterNumber {
    text.parse().expect("a meter number")
}

pub fn period(text: &str) -> Period {
    text.parse().expect("a period YYYY-MM")
}

/// A reading value from cubic metres, e.g. `"123.456"`.
pub fn value(text: &str) -> ReadingValue {
    text.parse().expect("a reading value")
}

pub fn money(text: &str) -> Money {
    text.parse().expect("an amount")
}

pub fn balance(text: &str) -> Balance {
    text.parse().expect("a balance")
}

fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn random_16() -> [u8; 16] {
    rand::rng().random()
}

/// A fresh random mobile phone.
pub fn fresh_phone() -> Phone {
    phone(&format!("+79{}", digits(9)))
}

/// A fresh random e-mail.
pub fn fresh_email() -> Email {
    email(&format!("user{}@example.ru", digits(12)))
}

/// A fresh random account number (12 digits).
pub fn fresh_account_number() -> AccountNumber {
    account_number(&digits(12))
}

/// A fresh random meter number; its last four digits are random too.
pub fn fresh_meter_number() -> MeterNumber {
    meter_number(&format!("ВСХ-{}", digits(10)))
}

pub fn user_id() -> UserId {
    UserId::from_random_bytes(random_16())
}

pub fn reading_id() -> ReadingId {
    ReadingId::from_random_bytes(random_16())
}

pub fn payment_id() -> PaymentId {
    PaymentId::from_random_bytes(random_16())
}

pub fn visit_id() -> VisitRequestId {
    VisitRequestId::from_random_bytes(random_16())
}

/// A user with a fresh phone and e-mail, registered at [`now`].
pub fn user() -> User {
    User {
        id: user_id(),
        phone: fresh_phone(),
        email: fresh_email(),
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        ),
        consent: Consent {
            given_at: now(),
            version: vodokanal_domain::CONSENT_VERSION.into(),
        },
        created_at: now(),
    }
}

/// A user with the given phone and e-mail.
pub fn user_with(phone_text: &str, email_text: &str) -> User {
    User {
        phone: phone(phone_text),
        email: email(email_text),
        ..user()
    }
}

/// A random token digest.
pub fn token_digest() -> TokenDigest {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    TokenDigest(bytes)
}

/// A 30-day session of the user, created at [`now`].
pub fn session(user: UserId) -> Session {
    Session {
        digest: token_digest(),
        user_id: user,
        created_at: now(),
        expires_at: now() + TimeDelta::days(30),
    }
}

/// A code for the phone and purpose, sent at [`now`], living 10 minutes.
pub fn pending_code(phone: &Phone, purpose: CodePurpose) -> PendingCode {
    let mut digest = [0u8; 32];
    rand::rng().fill(&mut digest);
    PendingCode {
        phone: phone.clone(),
        purpose,
        digest: Some(CodeDigest(digest)),
        email: None,
        sent_at: now(),
        expires_at: now() + TimeDelta::minutes(10),
        failed_attempts: 0,
    }
}

/// A registry row of an account without meters.
pub fn registry_account(account: &AccountNumber) -> RegistryRecord {
    RegistryRecord {
        account_number: account.clone(),
        address: "г. Иваново, ул. Лежневская, д. 1; кв. 2".into(),
        balance: balance("1234.50"),
        balance_as_of: date("2026-10-31"),
        meter: None,
    }
}

/// A registry row of an account with one cold-water meter and no last reading.
pub fn registry_row(account: &AccountNumber, meter: &MeterNumber) -> RegistryRecord {
    RegistryRecord {
        meter: Some(RegistryMeter {
            number: meter.clone(),
            service: MeterService::ColdWater,
            verification_due: Some(date("2030-01-15")),
            last_reading: None,
        }),
        ..registry_account(account)
    }
}

/// A registry row whose meter carries the billing system's last reading.
pub fn registry_row_with_reading(
    account: &AccountNumber,
    meter: &MeterNumber,
    reading: &str,
    reading_date: &str,
) -> RegistryRecord {
    let mut row = registry_row(account, meter);
    if let Some(m) = row.meter.as_mut() {
        m.last_reading = Some((value(reading), date(reading_date)));
    }
    row
}

/// The meter a registry row describes, as the account shows it.
pub fn meter_of(row: &RegistryRecord) -> Option<Meter> {
    row.meter.as_ref().map(|m| Meter {
        number: m.number.clone(),
        service: m.service,
        verification_due: m.verification_due,
    })
}

/// A cabinet reading of the meter for the period, without a previous value, submitted at
/// [`now`].
pub fn reading(
    account: &AccountNumber,
    meter: &MeterNumber,
    period_text: &str,
    value_text: &str,
) -> Reading {
    Reading {
        id: reading_id(),
        account_number: account.clone(),
        meter_number: meter.clone(),
        value: value(value_text),
        previous_value: None,
        consumption: None,
        period: period(period_text),
        submitted_at: now(),
        source: ReadingSource::Cabinet,
        warnings: Vec::new(),
        user_id: None,
        submitter: None,
        voided: None,
    }
}

/// The name and phone of an anonymous submitter.
pub fn anonymous_submitter() -> vodokanal_domain::AnonymousSubmitter {
    vodokanal_domain::AnonymousSubmitter {
        full_name: "Иванов Иван Иванович"
            .parse::<FullName>()
            .expect("a full name"),
        phone: fresh_phone(),
    }
}

/// A pending water payment of 1500.00 through the sandbox, created at [`now`].
pub fn payment(account: &AccountNumber) -> Payment {
    Payment {
        id: payment_id(),
        account_number: account.clone(),
        purpose: PaymentPurpose::Water,
        amount: money("1500.00"),
        status: PaymentStatus::Pending,
        provider: "sandbox".into(),
        provider_payment_id: None,
        confirmation_url: None,
        receipt_contact: Some(ReceiptContact::Email(email("payer@example.ru"))),
        created_at: now(),
        paid_at: None,
        user_id: None,
    }
}

/// A new meter-verification visit on 2026-11-18 at 10:30, created at [`now`].
pub fn visit(account: &AccountNumber, user: Option<UserId>) -> VisitRequest {
    VisitRequest {
        id: visit_id(),
        kind: VisitKind::MeterVerification,
        account_number: account.clone(),
        meter_number: None,
        phone: phone("+79109845003"),
        slot: VisitSlot::restore(
            date("2026-11-18"),
            NaiveTime::from_hms_opt(10, 30, 0).expect("a time"),
        ),
        notes: Some("Домофон 12".parse::<Notes>().expect("notes")),
        status: VisitStatus::New,
        created_at: now(),
        user_id: user,
    }
}

/// An idempotency record key of an anonymous caller.
pub fn record_key(key: &str) -> IdempotencyRecordKey {
    IdempotencyRecordKey {
        caller: "ip:127.0.0.1".into(),
        endpoint: "POST /public/readings".into(),
        key: key.into(),
    }
}

/// A claim on [`record_key`]`(key)` with a fresh token: each call is another request.
pub fn claim_of(key: &str) -> Claimed {
    Claimed {
        record: record_key(key),
        token: ClaimToken::from_bytes(random_16()),
    }
}

/// The claim cutoffs at `at`: a record of a day ago has expired, a claim of a minute ago
/// without an answer is abandoned.
pub fn claim_cutoffs(at: DateTime<Utc>) -> ClaimCutoffs {
    ClaimCutoffs {
        expired_before: at - TimeDelta::hours(24),
        abandoned_before: at - TimeDelta::seconds(60),
    }
}

/// The answer of the request that holds `claim`.
pub fn answer(claim: &Claimed, status: u16, body: &str) -> Answer {
    Answer {
        claim: claim.clone(),
        response: stored_response(status, body),
    }
}

/// A response kept for replay.
pub fn stored_response(status: u16, body: &str) -> StoredResponse {
    StoredResponse {
        status,
        body: body.as_bytes().to_vec(),
    }
}

/// A fingerprint that differs for different `n`.
pub fn fingerprint(n: u8) -> [u8; 32] {
    [n; 32]
}
