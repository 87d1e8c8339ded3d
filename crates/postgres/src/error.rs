//! `sqlx::Error` becomes a `StoreError` here, and nowhere else.

use std::sync::atomic::{AtomicU64, Ordering};

use vodokanal_app::StoreError;

/// Waits for a pooled connection that gave up in this process (`StoreHealth::pool_timeouts`).
pub(crate) static POOL_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

/// The one translation of a database error. The database's own message goes to the log line
/// of the caller through `StoreError`'s text, never to a subscriber.
pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    if matches!(e, sqlx::Error::PoolTimedOut) {
        POOL_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
    }
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(ref db) => {
            if db.code().is_some_and(|code| is_transient(&code)) {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Corrupt(e.to_string())
            }
        }
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// SQLSTATEs of a database that does not serve us now but may later, never of our own
/// mistake: classes 08 connection, 28 authorization (a rotated password), 3D no such database,
/// 40 serialization failure or deadlock, 53 resources, 57 operator intervention (shutdown, and
/// 57014 a statement canceled by `statement_timeout`), 58 system (I/O); and 25006 (a read-only replica after a failover), 55P03 (lock not
/// available).
fn is_transient(code: &str) -> bool {
    ["08", "28", "3D", "40", "53", "57", "58"]
        .iter()
        .any(|class| code.starts_with(class))
        || matches!(code, "25006" | "55P03")
}

/// The name of the unique constraint a database error violated, if that is what it is.
pub(crate) fn violated_unique(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_does_not_serve_us_now_is_transient() {
        for code in [
            "08006", "28P01", "3D000", "40001", "53300", "57P01", "57014", "58030", "25006",
            "55P03",
        ] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001", "XX000"] {
            assert!(!is_transient(code), "{code}");
        }
    }
}
