//! The error every store port can return, whatever the technology behind it.

/// A store failed. Adapters translate their own errors into this at their boundary; the
/// message is for the log, never for the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database can't be reached or timed out: worth retrying later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds data the domain refuses: a bug or a manual edit.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    /// The request's claim on its `Idempotency-Key` was taken over by a retry after its lease:
    /// nothing was written, and the retry is running.
    #[error("the Idempotency-Key claim was taken over by another request")]
    ClaimLost,
}
