//! A statement that hangs is canceled by PostgreSQL's `statement_timeout`, set on every
//! connection of the pool `connect` opens, and comes back as `StoreError::Unavailable` (a 503).
#![expect(clippy::unwrap_used, reason = "fixtures fail the test loudly")]

use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use vodokanal_app::StoreError;
use vodokanal_app::ports::UserRepository;
use vodokanal_postgres::PgUserRepository;

async fn timed(
    options: &PgConnectOptions,
    timeout: Option<Duration>,
) -> vodokanal_postgres::PgDatabase {
    let settings = vodokanal_postgres::PoolSettings {
        statement_timeout: timeout,
        ..vodokanal_postgres::PoolSettings::direct(2)
    };
    vodokanal_postgres::connect(options.to_url_lossy().as_str(), settings)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn a_hung_statement_is_canceled_and_unavailable(_: PgPoolOptions, options: PgConnectOptions) {
    let pool = timed(&options, Some(Duration::from_millis(200))).await;
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(setting, "200ms");
    let slept = sqlx::query("SELECT pg_sleep(30)").execute(&pool).await;
    assert!(
        matches!(&slept, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014")),
        "pg_sleep(30) was not canceled: {slept:?}"
    );

    // A store statement that waits on a lock another session holds is canceled the same way.
    let mut holder = options.connect().await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let users = PgUserRepository::new(pool.clone());
    let found = users.by_phone(&"+79109845003".parse().unwrap()).await;
    assert!(
        matches!(&found, Err(StoreError::Unavailable(_))),
        "{found:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    assert!(matches!(
        users.by_phone(&"+79109845003".parse().unwrap()).await,
        Ok(None)
    ));

    // Migrations go without the timeout, and the connection gets it back.
    vodokanal_postgres::migrate(&pool).await.unwrap();
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(setting, "200ms");
}

#[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
async fn without_a_timeout_the_server_default_stays(_: PgPoolOptions, options: PgConnectOptions) {
    let pool = timed(&options, None).await;
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(setting, "0");
}
