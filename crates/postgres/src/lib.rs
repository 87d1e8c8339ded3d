//! Every store port of `vodokanal-app` on PostgreSQL: users, sessions, one-time codes,
//! accounts and meters, readings, payments, visit requests, the registry import, idempotency
//! records, attempt counters, the SMS outbox, notices and their settings, and the purge of
//! expired records. Owns its timestamped migrations (`migrations/`, applied by
//! [`MIGRATOR`]) and translates `sqlx` errors to the ports' errors at its boundary: nothing of
//! sqlx leaves this crate.
//!
//! May depend on `vodokanal-app`, `vodokanal-domain`, sqlx, futures, chrono, uuid, tracing and
//! tokio (the timer of a statement's deadline).
//! [`PgStores::new`] bundles every port as the app's `Stores`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = vodokanal_postgres::PoolSettings::direct(10);
//! let pool = vodokanal_postgres::connect("postgres://postgres@127.0.0.1/vodokanal", settings).await?;
//! vodokanal_postgres::migrate(&pool).await?;
//! let stores = vodokanal_postgres::PgStores::new(pool);
//! # let _ = stores;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod attempts;
mod codes;
mod database;
mod error;
mod health;
mod housekeeping;
mod idempotency;
mod notices;
mod outbox;
mod payments;
mod readings;
mod registry;
mod rows;
mod sessions;
mod users;
mod visits;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use accounts::{PgAccountRepository, PgMeterRepository};
pub use attempts::PgAttemptCounter;
pub use codes::PgCodeRepository;
pub use database::{DEADLINE_MARGIN, PgDatabase};
pub use health::PgStoreHealth;
pub use housekeeping::PgHousekeeping;
pub use idempotency::PgIdempotencyStore;
pub use notices::{PgNoticeSettings, PgNoticeStore};
pub use outbox::PgSmsOutbox;
pub use payments::PgPaymentRepository;
pub use readings::PgReadingRepository;
pub use registry::PgRegistryStore;
pub use sessions::PgSessionRepository;
pub use sqlx::PgPool;
pub use users::PgUserRepository;
pub use visits::PgVisitRequestRepository;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use vodokanal_app::StoreError;
use vodokanal_app::Stores;

/// The schema, embedded from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// How long a request waits for a free connection before the store answers `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// What stands between the server and PostgreSQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pooler {
    /// Nothing: each connection of the pool is a PostgreSQL session of its own.
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`): a server session
    /// is ours for one transaction only, then serves another client. See [`connect`].
    Transaction,
}

/// How [`connect`] opens its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// With one, PostgreSQL cancels every statement that runs longer (SQLSTATE 57014,
    /// `StoreError::Unavailable`), so that a hung database is a 503; the server's own commands
    /// (imports, exports) go without.
    pub statement_timeout: Option<Duration>,
    pub pooler: Pooler,
}

impl PoolSettings {
    /// `max_connections` straight to PostgreSQL, without a statement timeout.
    pub fn direct(max_connections: u32) -> Self {
        Self {
            max_connections,
            statement_timeout: None,
            pooler: Pooler::None,
        }
    }
}

/// Opens a pool on `url` (a `postgres://` URL). Waiting for a connection gives up after 3
/// seconds, so that a database that is down becomes a quick 503 rather than a hang. A
/// connection is not pinged when it is taken from the pool: a dead one fails its statement,
/// which is `Unavailable` like a failed ping, and the ping's round trip is saved on every
/// request.
///
/// Behind a transaction pooler ([`Pooler::Transaction`]) nothing may outlive a transaction,
/// since the next one may run on another server session: every statement runs in a
/// transaction ([`PgDatabase`]), no statement is kept prepared across transactions (sqlx's
/// statement cache is off, and the pooler's `server_reset_query` clears what a transaction
/// prepared: docs/deployment.md), the statement timeout is `SET LOCAL` in each transaction
/// rather than a start-up parameter (PgBouncer refuses `options`), and no
/// `extra_float_digits` is sent.
pub async fn connect(url: &str, settings: PoolSettings) -> Result<PgDatabase, StoreError> {
    let mut options = PgConnectOptions::from_str(url).map_err(error::store_error)?;
    match settings.pooler {
        Pooler::None => {
            if let Some(timeout) = settings.statement_timeout {
                // Sent with the connection's start-up packet: every session begins with it.
                let timeout = format!("{}ms", timeout.as_millis().max(1));
                options = options.options([("statement_timeout", timeout)]);
            }
        }
        Pooler::Transaction => {
            options = options.statement_cache_capacity(0).extra_float_digits(None);
        }
    }
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(error::store_error)?;
    Ok(PgDatabase::new(
        pool,
        settings.pooler,
        settings.statement_timeout,
    ))
}

/// Applies the pending migrations, without the statement timeout (building an index on a
/// large table may take longer); the connection goes back to the pool with it again.
///
/// Behind a transaction pooler nothing is applied: a migration's own `COMMIT` would end the
/// checkout's transaction and leave the rest of the run on whatever session the pooler hands
/// out, and the migrator's session lock would stay on a session that serves others. The
/// schema is checked instead, and a database with a migration of this binary not applied is
/// refused: run `vodokanal migrate` straight to PostgreSQL first (docs/deployment.md).
pub async fn migrate(database: &PgDatabase) -> Result<(), StoreError> {
    let failed =
        |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("migration failed: {e}"));
    if database.pooler() == Pooler::Transaction {
        return check_migrated(database).await;
    }
    let mut connection = database
        .pool()
        .acquire()
        .await
        .map_err(error::store_error)?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *connection)
        .await
        .map_err(|e| failed(&e))?;
    let migrated = MIGRATOR.run(&mut *connection).await;
    if sqlx::query("RESET statement_timeout")
        .execute(&mut *connection)
        .await
        .is_err()
    {
        // Never back into the pool without its timeout.
        drop(connection.detach());
    }
    migrated.map_err(|e| failed(&e))
}

/// Whether every migration of [`MIGRATOR`] is applied; `Unavailable` naming the first that is
/// not.
async fn check_migrated(database: &PgDatabase) -> Result<(), StoreError> {
    let not_migrated = |detail: String| {
        StoreError::Unavailable(format!(
            "the database is not migrated ({detail}): run `vodokanal migrate` with a URL \
             straight to PostgreSQL, not through the pooler"
        ))
    };
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(database)
            .await
            .map_err(|e| not_migrated(e.to_string()))?;
    match MIGRATOR
        .iter()
        .find(|migration| applied.binary_search(&migration.version).is_err())
    {
        Some(missing) => Err(not_migrated(format!(
            "{} {} is not applied",
            missing.version, missing.description
        ))),
        None => Ok(()),
    }
}

/// Builds every store port on one pool (a `PgPool` is straight to PostgreSQL).
#[derive(Debug)]
pub struct PgStores;

impl PgStores {
    #[expect(
        clippy::new_ret_no_self,
        reason = "a builder of the shared Stores bundle"
    )]
    pub fn new(database: impl Into<PgDatabase>) -> Stores {
        let pool = database.into();
        Stores {
            users: Arc::new(PgUserRepository::new(pool.clone())),
            sessions: Arc::new(PgSessionRepository::new(pool.clone())),
            codes: Arc::new(PgCodeRepository::new(pool.clone())),
            outbox: Arc::new(PgSmsOutbox::new(pool.clone())),
            accounts: Arc::new(PgAccountRepository::new(pool.clone())),
            meters: Arc::new(PgMeterRepository::new(pool.clone())),
            readings: Arc::new(PgReadingRepository::new(pool.clone())),
            payments: Arc::new(PgPaymentRepository::new(pool.clone())),
            visits: Arc::new(PgVisitRequestRepository::new(pool.clone())),
            registry: Arc::new(PgRegistryStore::new(pool.clone())),
            idempotency: Arc::new(PgIdempotencyStore::new(pool.clone())),
            attempts: Arc::new(PgAttemptCounter::new(pool.clone())),
            health: Arc::new(PgStoreHealth::new(pool.clone())),
            housekeeping: Arc::new(PgHousekeeping::new(pool.clone())),
            notices: Arc::new(PgNoticeStore::new(pool.clone())),
            notice_settings: Arc::new(PgNoticeSettings::new(pool)),
        }
    }
}

/// Declares a repository struct holding the pool, with `new`.
macro_rules! pg_store {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: $crate::PgDatabase,
        }

        impl $name {
            pub fn new(pool: impl Into<$crate::PgDatabase>) -> Self {
                Self { pool: pool.into() }
            }
        }
    };
}

pub(crate) use pg_store;
