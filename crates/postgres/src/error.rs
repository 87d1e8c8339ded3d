//! `sqlx::Error` becomes a `StoreError` here, and nowhere else.

use vodokanal_app::StoreError;

/// The one translation of a database error. The database's own message goes to the log line
/// of the caller through `StoreError`'s text, never to a subscriber.
pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(ref db) => {
            // SQLSTATE classes worth retrying: 08 connection, 53 resources, 57 operator
            // intervention (shutdown), 40 serialization failure or deadlock.
            let transient = db
                .code()
                .is_some_and(|code| ["08", "53", "57", "40"].iter().any(|c| code.starts_with(c)));
            if transient {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Corrupt(e.to_string())
            }
        }
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// The name of the unique constraint a database error violated, if that is what it is.
pub(crate) fn violated_unique(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}
