use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// The instants before which short-lived records can no longer be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Sessions and one-time codes that expired before this instant.
    pub expired_before: DateTime<Utc>,
    /// Idempotency records created before this instant (their key's lifetime is over).
    pub idempotency_before: DateTime<Utc>,
    /// Counted attempts made before this instant (outside every limit's window).
    pub attempts_before: DateTime<Utc>,
    /// SMS outbox messages whose validity ended before this instant (sent, failed or expired).
    pub outbox_before: DateTime<Utc>,
    /// Notices created before this instant, and the finished deliveries created before it.
    pub notices_before: DateTime<Utc>,
}

/// How many records a purge deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub codes: u64,
    pub idempotency_records: u64,
    pub attempts: u64,
    pub outbox: u64,
    /// Sent or failed deliveries deleted (before the notices).
    pub notice_deliveries: u64,
    /// Notices deleted, with whatever deliveries they still had.
    pub notices: u64,
}

/// Deletes the records nobody can use any more, so that the tables, and the phones, e-mails
/// and responses in them, do not grow for ever.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Housekeeping: std::fmt::Debug + Send + Sync {
    /// Deletes expired sessions and codes, idempotency records past their key's lifetime and
    /// attempts outside every window, SMS outbox messages long past their validity, and old
    /// notices and finished deliveries; what is still valid is left alone.
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError>;
}
