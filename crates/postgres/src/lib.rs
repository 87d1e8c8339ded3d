//! Every store port of `vodokanal-app` on PostgreSQL: users, sessions, one-time codes,
//! accounts and meters, readings, payments, visit requests, the registry import, idempotency
//! records, attempt counters and the purge of expired records. Owns its timestamped migrations (`migrations/`, applied by
//! [`MIGRATOR`]) and translates `sqlx` errors to the ports' errors at its boundary: nothing of
//! sqlx leaves this crate.
//!
//! May depend on `vodokanal-app`, `vodokanal-domain`, sqlx, futures, chrono, uuid and tracing.
//! [`PgStores::new`] bundles every port as the app's `Stores`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = vodokanal_postgres::connect("postgres://postgres@127.0.0.1/vodokanal", 10, None).await?;
//! vodokanal_postgres::MIGRATOR.run(&pool).await?;
//! let stores = vodokanal_postgres::PgStores::new(pool);
//! # let _ = stores;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod attempts;
mod codes;
mod error;
mod health;
mod housekeeping;
mod idempotency;
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
pub use health::PgStoreHealth;
pub use housekeeping::PgHousekeeping;
pub use idempotency::PgIdempotencyStore;
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

/// Opens a pool of at most `max_connections` connections to `url` (a `postgres://` URL).
/// Waiting for a connection gives up after 3 seconds, so that a database that is down becomes
/// a quick 503 rather than a hang. With a `statement_timeout`, every connection's statements
/// are canceled by the server past it (SQLSTATE 57014, `StoreError::Unavailable`), so that a
/// hung database is a 503 too; the server's own commands (imports, exports) go without.
pub async fn connect(
    url: &str,
    max_connections: u32,
    statement_timeout: Option<Duration>,
) -> Result<PgPool, StoreError> {
    let mut options = PgConnectOptions::from_str(url).map_err(error::store_error)?;
    if let Some(timeout) = statement_timeout {
        // Sent with the connection's start-up packet: every session begins with it.
        options = options.options([(
            "statement_timeout",
            format!("{}ms", timeout.as_millis().max(1)),
        )]);
    }
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // No ping before each checkout (a round trip per statement): a connection the database
        // dropped fails its statement with an I/O error, a 503, and sqlx closes it.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(error::store_error)
}

/// Applies the pending migrations, without the statement timeout (building an index on a
/// large table may take longer); the connection goes back to the pool with it again.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let failed =
        |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("migration failed: {e}"));
    let mut connection = pool.acquire().await.map_err(error::store_error)?;
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

/// Builds every store port on one pool.
#[derive(Debug)]
pub struct PgStores;

impl PgStores {
    #[expect(
        clippy::new_ret_no_self,
        reason = "a builder of the shared Stores bundle"
    )]
    pub fn new(pool: PgPool) -> Stores {
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
            housekeeping: Arc::new(PgHousekeeping::new(pool)),
        }
    }
}

/// Declares a repository struct holding the pool, with `new`.
macro_rules! pg_store {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: sqlx::PgPool,
        }

        impl $name {
            pub fn new(pool: sqlx::PgPool) -> Self {
                Self { pool }
            }
        }
    };
}

pub(crate) use pg_store;
