//! Direct tests of the PostgreSQL store, each on a fresh database made by `#[sqlx::test]`
//! (against `DATABASE_URL`, `postgres://postgres@127.0.0.1:5432/postgres` by default).
#![expect(clippy::unwrap_used, reason = "fixtures fail the test loudly")]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use futures::TryStreamExt;
use sqlx::PgPool;
use vodokanal_app::ports::{
    AccountRepository, CreateUserError, PaymentRepository, ReadingRepository, RegistryStore,
    UpsertCounts, UserRepository,
};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    Consent, PasswordHash, Payment, PaymentId, PaymentPurpose, PaymentStatus, Period, Reading,
    ReadingId, ReadingSource, RegistryRecord, Settlement, User, UserId,
};
use vodokanal_postgres::{
    PgAccountRepository, PgPaymentRepository, PgReadingRepository, PgRegistryStore,
    PgUserRepository,
};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn user(n: u8, phone: &str, email: &str) -> User {
    User {
        id: UserId::from_random_bytes([n; 16]),
        phone: phone.parse().unwrap(),
        email: email.parse().unwrap(),
        password_hash: PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$x$y".into()),
        consent: Consent {
            given_at: t0(),
            version: "2026-11".into(),
        },
        created_at: t0(),
    }
}

fn registry_row(fields: [&str; 9]) -> RegistryRecord {
    RegistryRecord::parse(&fields).unwrap()
}

fn registry() -> Vec<RegistryRecord> {
    vec![
        registry_row([
            "123456",
            "г. Иваново, ул. Лежневская, д. 1; кв. 2",
            "1234.50",
            "2026-10-31",
            "ВСХ-0011234",
            "cold_water",
            "2030-01-15",
            "100.000",
            "2026-10-25",
        ]),
        registry_row([
            "123456",
            "г. Иваново, ул. Лежневская, д. 1; кв. 2",
            "1234.50",
            "2026-10-31",
            "ГВС-5678",
            "hot_water",
            "",
            "",
            "",
        ]),
        registry_row([
            "654321",
            "back\\slash\tand tab",
            "0.00",
            "2026-10-31",
            "",
            "",
            "",
            "",
            "",
        ]),
    ]
}

fn reading(meter: &str, period: &str, litres: u64, byte: u8) -> Reading {
    Reading {
        id: ReadingId::from_random_bytes([byte; 16]),
        account_number: "123456".parse().unwrap(),
        meter_number: meter.parse().unwrap(),
        value: vodokanal_domain::ReadingValue::from_litres(litres).unwrap(),
        previous_value: None,
        consumption: None,
        period: period.parse().unwrap(),
        submitted_at: t0(),
        source: ReadingSource::Cabinet,
        warnings: vec![],
        user_id: None,
        submitter: None,
        voided: None,
    }
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn a_user_is_found_and_a_taken_email_is_refused(pool: PgPool) {
    let users = PgUserRepository::new(pool);
    let first = user(1, "+79109845003", "Anna@Example.com");
    users.create(&first).await.unwrap();

    assert_eq!(users.by_id(first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(
        users.by_phone(&first.phone).await.unwrap(),
        Some(first.clone())
    );
    let lower = "anna@example.com".parse().unwrap();
    assert_eq!(users.by_email(&lower).await.unwrap(), Some(first.clone()));

    let same_email = user(2, "+79109845004", "anna@example.com");
    assert_eq!(
        users.create(&same_email).await,
        Err(CreateUserError::EmailTaken)
    );
    let same_phone = user(3, "+79109845003", "other@example.com");
    assert_eq!(
        users.create(&same_phone).await,
        Err(CreateUserError::PhoneTaken)
    );
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn a_reading_of_the_same_period_replaces_the_first(pool: PgPool) {
    PgRegistryStore::new(pool.clone())
        .upsert(&registry())
        .await
        .unwrap();
    let readings = PgReadingRepository::new(pool);
    readings
        .save_all(&[reading("ГВС-5678", "2026-11", 5_000, 1)], None)
        .await
        .unwrap();
    let second = reading("ГВС-5678", "2026-11", 6_000, 2);
    readings
        .save_all(std::slice::from_ref(&second), None)
        .await
        .unwrap();

    let account = "123456".parse().unwrap();
    let history = readings.history(&account, 10, None).await.unwrap();
    let hot: Vec<_> = history
        .iter()
        .filter(|r| r.meter_number.as_str() == "ГВС-5678")
        .collect();
    assert_eq!(hot, vec![&second]);

    let exported: Vec<Reading> = readings
        .export("2026-11".parse().unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(exported, vec![second]);
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn a_payment_settled_twice_concurrently_moves_once(pool: PgPool) {
    PgRegistryStore::new(pool.clone())
        .upsert(&registry())
        .await
        .unwrap();
    let payments = PgPaymentRepository::new(pool);
    let payment = Payment {
        id: PaymentId::from_random_bytes([9; 16]),
        account_number: "123456".parse().unwrap(),
        purpose: PaymentPurpose::ALL[0],
        amount: "100.00".parse().unwrap(),
        status: PaymentStatus::Pending,
        provider: "sandbox".into(),
        provider_payment_id: None,
        confirmation_url: None,
        receipt_contact: None,
        created_at: t0(),
        paid_at: None,
        user_id: None,
    };
    payments.create(&payment).await.unwrap();
    let paid_at = t0() + TimeDelta::minutes(1);
    let succeed = Outcome::Succeeded { paid_at };
    let (a, b) = tokio::join!(
        payments.settle(payment.id, succeed),
        payments.settle(payment.id, Outcome::Canceled)
    );
    let outcomes = [a.unwrap().unwrap(), b.unwrap().unwrap()];
    let moved: Vec<_> = outcomes
        .iter()
        .filter(|s| matches!(s, Settlement::Moved(_)))
        .collect();
    assert_eq!(moved.len(), 1, "{outcomes:?}");
    assert_eq!(
        payments
            .settle(PaymentId::from_random_bytes([8; 16]), Outcome::Canceled)
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn the_registry_upserts_idempotently_and_keeps_subscriber_readings(pool: PgPool) {
    let registry_store = PgRegistryStore::new(pool.clone());
    assert_eq!(
        registry_store.upsert(&registry()).await.unwrap(),
        UpsertCounts {
            inserted: 3,
            updated: 0
        }
    );
    assert_eq!(
        registry_store.upsert(&registry()).await.unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: 3
        }
    );

    let accounts = PgAccountRepository::new(pool.clone());
    let account = accounts
        .find(&"123456".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.address, "г. Иваново, ул. Лежневская, д. 1; кв. 2");
    assert_eq!(account.balance.kopecks(), 123_450);
    assert_eq!(account.meters.len(), 2);
    let odd = accounts
        .find(&"654321".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(odd.address, "back\\slash\tand tab");
    assert!(odd.meters.is_empty());

    // The registry's reading is the base of the next period.
    let readings = PgReadingRepository::new(pool.clone());
    let meter = "ВСХ-0011234".parse().unwrap();
    let base = readings
        .last_before(&meter, "2026-11".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(base.source, ReadingSource::Registry);
    assert_eq!(base.value.litres(), 100_000);
    assert_eq!(base.period, "2026-10".parse::<Period>().unwrap());

    // A subscriber's reading of the same period is not overwritten by a later registry.
    let own = reading("ВСХ-0011234", "2026-10", 120_000, 3);
    readings
        .save_all(std::slice::from_ref(&own), None)
        .await
        .unwrap();
    let mut moved = registry();
    moved[0] = registry_row([
        "654321",
        "back\\slash\tand tab",
        "0.00",
        "2026-10-31",
        "ВСХ-0011234",
        "cold_water",
        "",
        "110.000",
        "2026-10-28",
    ]);
    assert_eq!(
        registry_store.upsert(&moved).await.unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: 3
        }
    );
    let kept = readings
        .last_before(&meter, "2026-11".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, own);
    let moved_to = PgAccountRepository::new(pool)
        .find(&"654321".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved_to.meters.len(), 1);
    assert_eq!(
        moved_to.meters[0].verification_due, None::<NaiveDate>,
        "the meter moved with the registry's new columns"
    );
}
