//! Every store port of the subscriber cabinet on SQLite, the embedded default a newcomer gets
//! with no database server: [`connect`] opens (and creates) the file in WAL mode with a busy
//! timeout and foreign keys on, [`MIGRATOR`] brings its schema up to date, and one
//! `Sqlite…` struct per port (each holding the pool) implements the port.
//!
//! May depend on `vodokanal-app`, `vodokanal-domain`, sqlx, `serde_json` (the JSON arrays of
//! one-statement reads and writes) and tokio (the group commit's task); `sqlx::Error` never
//! leaves this crate (see `store_error`). [`SqliteStores::new`] bundles every port as the app's
//! `Stores`, which the server wires and the contract suite runs against.
//!
//! SQLite serialises writers. [`connect`] opens two pools on the file ([`SqlitePools`]): the
//! writer, of exactly one connection, that every write goes through (a write transaction,
//! `BEGIN IMMEDIATE` through `pool.begin_with`, or a single write statement), so that writers
//! queue in order in the pool's acquire (a FIFO queue) instead of spinning in SQLite's busy
//! handler; and the readers beside it, which never wait for the writer (WAL). The busy timeout
//! stays for another process on the same file. The hot writes (readings, abuse-limit counts)
//! commit in groups on the writer, one transaction and one sync for every write waiting
//! (`group.rs`, docs/adr/0013).

mod accounts;
mod attempts;
mod codec;
mod codes;
mod group;
mod health;
mod housekeeping;
mod idempotency;
mod notices;
mod outbox;
mod payments;
mod readings;
mod registry;
mod sessions;
mod snapshots;
mod users;
mod visits;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use vodokanal_app::StoreError;

pub use accounts::{SqliteAccountRepository, SqliteMeterRepository};
pub use attempts::SqliteAttemptCounter;
pub use codes::SqliteCodeRepository;
use group::GroupWriter;
pub use health::SqliteStoreHealth;
pub use housekeeping::SqliteHousekeeping;
pub use idempotency::SqliteIdempotencyStore;
pub use notices::{SqliteNoticeSettings, SqliteNoticeStore};
pub use outbox::SqliteSmsOutbox;
pub use payments::SqlitePaymentRepository;
pub use readings::SqliteReadingRepository;
pub use registry::SqliteRegistryStore;
pub use sessions::SqliteSessionRepository;
pub use sqlx::SqlitePool;
pub use users::SqliteUserRepository;
pub use visits::SqliteVisitRequestRepository;

/// The schema, from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// How long a writer waits for the writer in progress before the store reports itself
/// unavailable.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Each connection's page cache: SQLite's `cache_size`, whose negative values are KiB
/// (docs/performance.md, "Memory and logins under a flood").
const PAGE_CACHE_SIZE: &str = "-1024";

/// The two pools on one database file: `writer`, of one connection, for every write, and
/// `readers` for the reads that need no transaction; and the group commit of the hot writes
/// on the writer (`group`).
#[derive(Debug, Clone)]
pub struct SqlitePools {
    pub writer: SqlitePool,
    pub readers: SqlitePool,
    group: GroupWriter,
}

impl SqlitePools {
    /// The pools, and a group commit on `writer`.
    pub fn new(writer: SqlitePool, readers: SqlitePool) -> Self {
        Self {
            group: GroupWriter::new(writer.clone()),
            writer,
            readers,
        }
    }
}

/// One pool for both, as `#[sqlx::test]` hands out (writers then wait in the busy handler).
impl From<SqlitePool> for SqlitePools {
    fn from(pool: SqlitePool) -> Self {
        Self::new(pool.clone(), pool)
    }
}

/// Opens the pools on the database at `url` (`sqlite://path/to/file.db` or a plain path),
/// creating the file if it is missing: WAL journal, `synchronous = FULL` (a commit is on disk
/// before it returns, so an acknowledged write survives a power cut), foreign keys enforced.
/// The writer holds one connection, whose writes queue for it (up to [`BUSY_TIMEOUT`]); the
/// readers hold up to `max_connections - 1` (at least one). Both pools heal the same way
/// (`maybe_read_only`, `still_usable`).
pub async fn connect(url: &str, max_connections: u32) -> Result<SqlitePools, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(store_error)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Each connection's page cache, 1 MiB (SQLite's default is about 2 MB): the pools'
        // connections together hold at most `max_connections` MiB of it, and the operating
        // system's page cache holds the file beside them.
        .pragma("cache_size", PAGE_CACHE_SIZE);
    let pool = |size: u32| {
        SqlitePoolOptions::new()
            .max_connections(size)
            .acquire_timeout(BUSY_TIMEOUT)
            // No ping before each checkout: a statement on SQLite's connection is a round trip
            // to the connection's thread, and the file is local; `maybe_read_only` and
            // `still_usable` are what heals the pool.
            .test_before_acquire(false)
            .before_acquire(|_, meta| Box::pin(async move { Ok(!maybe_read_only(meta.age)) }))
            .after_release(|connection, _| Box::pin(still_usable(connection)))
    };
    // The writer first: it creates the file and turns WAL on.
    let writer = pool(1)
        .connect_with(options.clone())
        .await
        .map_err(store_error)?;
    let readers = pool(max_connections.saturating_sub(1).max(1))
        .connect_with(options)
        .await
        .map_err(store_error)?;
    Ok(SqlitePools::new(writer, readers))
}

/// When a statement last met a read-only database (`SQLITE_READONLY`), if ever.
static READ_ONLY_SEEN: Mutex<Option<Instant>> = Mutex::new(None);

fn read_only_seen() -> std::sync::MutexGuard<'static, Option<Instant>> {
    READ_ONLY_SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a connection of `age` may be read-only for good: SQLite opens a database whose
/// file it can't write (a read-only file system, an immutable file) read-only and keeps it so
/// after the file is writable again. A connection opened before the last `SQLITE_READONLY` is
/// closed rather than handed out, so that the pool heals with fresh connections once the
/// files are writable.
fn maybe_read_only(age: Duration) -> bool {
    read_only_seen().is_some_and(|seen| age >= seen.elapsed())
}

/// Whether a connection given back to the pool may serve again: not when sqlx still counts a
/// transaction on it. That happens when SQLite ends a transaction by itself (it rolls back on
/// an I/O error or a full disk): the COMMIT fails, so does the ROLLBACK sqlx sends after it,
/// and sqlx's count stays at one, refusing every later `BEGIN` on that connection for good.
/// Such a connection is closed instead, and the pool opens a fresh one. A connection that
/// counts no transaction, as after every statement and commit, goes back at once; one that
/// counts one is pinged first, so that the ROLLBACK queued by a dropped transaction runs (a
/// round trip to the connection's thread: two context switches, which most releases skip).
async fn still_usable(connection: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection as _;
    if !connection.is_in_transaction() {
        return Ok(true);
    }
    connection.ping().await?;
    Ok(!connection.is_in_transaction())
}

/// The file a `sqlite:` URL names, `None` for an in-memory database (or a URL sqlx refuses).
pub fn database_file(url: &str) -> Option<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let in_memory = file.to_string_lossy().starts_with("file:sqlx-in-memory-")
        || url
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "mode=memory"));
    (!in_memory).then(|| file.to_path_buf())
}

/// Brings the database's schema up to date.
pub async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))
}

/// SQLite's result codes for "another connection holds the lock" (`SQLITE_BUSY`,
/// `SQLITE_LOCKED` and their extended codes): the busy timeout ran out.
fn is_busy(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

/// `SQLITE_READONLY` and its extended codes.
fn is_read_only(code: &str) -> bool {
    code.parse::<i32>().is_ok_and(|code| code & 0xff == 8)
}

/// SQLite's result codes of a database that can't serve us now but may later: out of memory
/// (7), read-only (8), I/O error (10), disk full (13), can't open (14), lock protocol (15).
/// Corruption (11) and "not a database" (26) are not among them.
fn is_transient(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 7 | 8 | 10 | 13 | 14 | 15))
}

/// The one translation of sqlx's errors: what can be retried later is `Unavailable`, what the
/// store should never have held or refused is `Corrupt`.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    if matches!(error, sqlx::Error::PoolTimedOut) {
        POOL_TIMEOUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    match error {
        sqlx::Error::Database(db) => {
            if db.code().is_some_and(|code| is_read_only(&code)) {
                *read_only_seen() = Some(Instant::now());
            }
            if db.code().is_some_and(|code| is_busy(&code)) {
                StoreError::Unavailable(format!("database busy: {}", db.message()))
            } else if db.code().is_some_and(|code| is_transient(&code)) {
                StoreError::Unavailable(format!("database unavailable: {}", db.message()))
            } else {
                StoreError::Corrupt(format!("database refused: {}", db.message()))
            }
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::RowNotFound => StoreError::Corrupt(error.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Waits for a pooled connection that gave up in this process (`StoreHealth::pool_timeouts`).
pub(crate) static POOL_TIMEOUTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Every port on one pool, as the contract suite and the server wire them.
#[derive(Debug)]
pub struct SqliteStores;

impl SqliteStores {
    #[expect(
        clippy::new_ret_no_self,
        reason = "a builder of the app's Stores bundle"
    )]
    pub fn new(pools: impl Into<SqlitePools>) -> vodokanal_app::Stores {
        use std::sync::Arc;
        let pool = pools.into();
        vodokanal_app::Stores {
            users: Arc::new(SqliteUserRepository::new(pool.clone())),
            sessions: Arc::new(SqliteSessionRepository::new(pool.clone())),
            codes: Arc::new(SqliteCodeRepository::new(pool.clone())),
            outbox: Arc::new(SqliteSmsOutbox::new(pool.clone())),
            accounts: Arc::new(SqliteAccountRepository::new(pool.clone())),
            meters: Arc::new(SqliteMeterRepository::new(pool.clone())),
            readings: Arc::new(SqliteReadingRepository::new(pool.clone())),
            payments: Arc::new(SqlitePaymentRepository::new(pool.clone())),
            visits: Arc::new(SqliteVisitRequestRepository::new(pool.clone())),
            registry: Arc::new(SqliteRegistryStore::new(pool.clone())),
            idempotency: Arc::new(SqliteIdempotencyStore::new(pool.clone())),
            attempts: Arc::new(SqliteAttemptCounter::new(pool.clone())),
            health: Arc::new(SqliteStoreHealth::new(pool.clone())),
            housekeeping: Arc::new(SqliteHousekeeping::new(pool.clone())),
            notices: Arc::new(SqliteNoticeStore::new(pool.clone())),
            notice_settings: Arc::new(SqliteNoticeSettings::new(pool.clone())),
        }
    }
}

/// Declares a port's struct: the writer's pool (`pool`, every write and what must read in
/// the write's transaction), the readers' (`reads`), the group commit of the hot writes
/// (`group`), and `new`.
macro_rules! sqlite_port {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            #[allow(dead_code, reason = "a port that only reads does not write")]
            pool: sqlx::SqlitePool,
            #[allow(dead_code, reason = "not every port reads outside a write")]
            reads: sqlx::SqlitePool,
            #[allow(dead_code, reason = "only the hot writes go through the group commit")]
            group: $crate::group::GroupWriter,
        }

        impl $name {
            pub fn new(pools: $crate::SqlitePools) -> Self {
                Self {
                    pool: pools.writer,
                    reads: pools.readers,
                    group: pools.group,
                }
            }
        }
    };
}
pub(crate) use sqlite_port;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_whose_transaction_sqlite_ended_is_not_served_again()
    -> Result<(), sqlx::Error> {
        let dir = tempfile::tempdir().map_err(sqlx::Error::Io)?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let pool = connect(&url, 1)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
            .writer;
        // SQLite ends the transaction on its own, as after an I/O error: the COMMIT fails,
        // and so does the ROLLBACK on drop.
        let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("ROLLBACK").execute(&mut *transaction).await?;
        assert!(transaction.commit().await.is_err());

        // The one connection of the pool serves a transaction again.
        let transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
        transaction.commit().await?;
        Ok(())
    }

    #[tokio::test]
    async fn a_connection_that_met_a_read_only_database_is_replaced() -> Result<(), sqlx::Error> {
        let dir = tempfile::tempdir().map_err(sqlx::Error::Io)?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let pool = connect(&url, 1)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
            .writer;
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await?;
        // The one connection refuses writes, as one SQLite opened on a read-only file does.
        sqlx::query("PRAGMA query_only = ON").execute(&pool).await?;
        let refused = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&pool)
            .await
            .map_err(store_error);
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );

        // The files are writable: the next write gets a fresh connection.
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&pool)
            .await?;
        Ok(())
    }

    #[tokio::test]
    async fn every_connection_keeps_a_page_cache_of_one_mebibyte() -> Result<(), sqlx::Error> {
        let dir = tempfile::tempdir().map_err(sqlx::Error::Io)?;
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let pools = connect(&url, 2)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        for pool in [&pools.writer, &pools.readers] {
            let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(pool)
                .await?;
            assert_eq!(size, -1024);
        }
        Ok(())
    }

    #[test]
    fn a_database_that_can_t_serve_us_now_is_transient_not_corrupt() {
        // Extended codes keep the primary code in their low byte (SQLITE_IOERR_WRITE = 778).
        for code in ["7", "8", "10", "778", "13", "14", "15"] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["11", "26", "19", "2067", "1"] {
            assert!(!is_transient(code), "{code}");
        }
        assert!(is_busy("5") && is_busy("517") && is_busy("6"));
        assert!(!is_busy("10"));
    }
}
