//! The store contract suite through PgBouncer in transaction pooling mode (issue 16): a server
//! session is the store's for one transaction only, and fewer server sessions than the store
//! has connections are shared between them, so any state a statement left on a session
//! (a prepared statement, a `SET`, a lock) would meet another connection's work and fail it.
//!
//! Each test starts its own PgBouncer (`vodokanal_test_support::pgbouncer`) in front of
//! `DATABASE_URL`, creates a fresh database straight on
//! PostgreSQL and migrates it there (as docs/deployment.md says), checks through PgBouncer that
//! it is migrated (as `serve` does), and drops it at the end. It needs
//! the package, so it is built only with the `pgbouncer-tests` feature: `scripts/pgbouncer-tests.sh`
//! installs the package and runs it, and CI runs that script.
#![cfg(feature = "pgbouncer-tests")]
#![expect(
    clippy::expect_used,
    reason = "a PgBouncer or a database that can't be set up fails the test"
)]

use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Executor as _};
use tempfile::TempDir;
use vodokanal_postgres::{PgDatabase, PgStores, PoolSettings, Pooler, connect, migrate};
use vodokanal_test_support::pgbouncer::PgBouncer;
use vodokanal_test_support::{StoreFixture, Stores};

/// Server sessions per database: fewer than the store's connections, so they are shared.
const SERVER_SESSIONS: u32 = 3;
/// The store's connections to PgBouncer.
const STORE_CONNECTIONS: u32 = 8;

/// A running PgBouncer and the database behind it, both gone when the test ends.
struct Bounced {
    stores: Stores,
    pool: PgDatabase,
    /// Stopped before the database is dropped.
    pgbouncer: Option<PgBouncer>,
    /// The database, dropped straight on PostgreSQL at the end.
    database: String,
    direct: PgConnectOptions,
    _dir: TempDir,
}

impl StoreFixture for Bounced {
    fn stores(&self) -> Stores {
        self.stores.clone()
    }
}

impl Drop for Bounced {
    fn drop(&mut self) {
        drop(self.pgbouncer.take());
        let direct = &self.direct;
        let _ = Command::new("psql")
            .args([
                "-h",
                direct.get_host(),
                "-U",
                direct.get_username(),
                "-d",
                "postgres",
                "-qc",
            ])
            .env("PGPORT", direct.get_port().to_string())
            .arg(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.database
            ))
            .stdout(Stdio::null())
            .status();
    }
}

fn direct_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    url.parse().expect("DATABASE_URL is a postgres:// URL")
}

/// A fresh database, migrated, behind a fresh PgBouncer, and the stores on it.
async fn through_pgbouncer() -> Bounced {
    bounced(Duration::from_secs(5), true).await
}

/// [`through_pgbouncer`] with the given statement timeout, the database migrated or left empty.
async fn bounced(statement_timeout: Duration, migrated: bool) -> Bounced {
    let direct = direct_options();
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let database = format!(
        "vodokanal_pgbouncer_{}_{}",
        std::process::id(),
        since_epoch.as_nanos()
    );
    let mut admin = direct.connect().await.expect("PostgreSQL is reachable");
    admin
        .execute(format!("CREATE DATABASE \"{database}\"").as_str())
        .await
        .expect("a fresh database");
    drop(admin);
    if migrated {
        // Straight to PostgreSQL, as docs/deployment.md says.
        let straight = direct.clone().database(&database);
        let migrator_pool = connect(straight.to_url_lossy().as_str(), PoolSettings::direct(1))
            .await
            .expect("the fresh database opens");
        migrate(&migrator_pool).await.expect("the schema migrates");
        migrator_pool.pool().close().await;
    }

    let dir = tempfile::Builder::new()
        .prefix("vodokanal-pgbouncer-")
        .tempdir()
        .expect("a temporary directory");
    let pgbouncer = PgBouncer::start(
        dir.path(),
        direct.get_host(),
        direct.get_port(),
        direct.get_username(),
        SERVER_SESSIONS,
    );
    let url = pgbouncer.url(&database);
    let settings = PoolSettings {
        max_connections: STORE_CONNECTIONS,
        statement_timeout: Some(statement_timeout),
        pooler: Pooler::Transaction,
    };
    let pool = connect(&url, settings)
        .await
        .expect("the store connects through PgBouncer");
    if migrated {
        migrate(&pool)
            .await
            .expect("the schema is found migrated through PgBouncer");
    }
    Bounced {
        stores: PgStores::new(pool.clone()),
        pool,
        pgbouncer: Some(pgbouncer),
        database,
        direct,
        _dir: dir,
    }
}

vodokanal_test_support::store_contract_tests!(through_pgbouncer());

/// Every checkout is a transaction with the statement timeout set in it, on server sessions
/// that the store's connections share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkout_has_the_timeout_on_shared_sessions() {
    let bounced = bounced(Duration::from_millis(300), true).await;
    let checkouts = (0..STORE_CONNECTIONS * 4).map(|_| {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT current_setting('statement_timeout'), pg_backend_pid() FROM pg_sleep(0.01)",
        )
        .fetch_one(&bounced.pool)
    });
    let seen = futures::future::try_join_all(checkouts)
        .await
        .expect("every checkout runs");
    assert!(
        seen.iter().all(|(timeout, _)| timeout == "300ms"),
        "{seen:?}"
    );
    let mut sessions: Vec<i32> = seen.iter().map(|(_, pid)| *pid).collect();
    sessions.sort_unstable();
    sessions.dedup();
    assert!(
        sessions.len() <= SERVER_SESSIONS as usize,
        "more server sessions than PgBouncer's pool: {sessions:?}"
    );

    let slept = sqlx::query("SELECT pg_sleep(30)")
        .execute(&bounced.pool)
        .await;
    assert!(
        matches!(&slept, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014")),
        "pg_sleep(30) was not canceled: {slept:?}"
    );
    // The failed checkout rolled back and its connection serves again.
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&bounced.pool)
        .await
        .expect("the pool serves after a canceled statement");
    assert_eq!(one, 1);
}

/// Through a pooler the server does not migrate (a migration's COMMIT would end the checkout's
/// transaction); a database not migrated is refused with what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_not_migrated_is_refused_through_the_pooler() {
    let bounced = bounced(Duration::from_secs(5), false).await;
    let refused = migrate(&bounced.pool).await;
    assert!(
        matches!(&refused, Err(vodokanal_app::StoreError::Unavailable(reason))
            if reason.contains("vodokanal migrate")),
        "{refused:?}"
    );
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&bounced.pool)
            .await
            .expect("the pool serves");
    assert_eq!(tables, 0, "nothing was migrated through the pooler");
}
