use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::StoreError;

/// What a limit allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitState {
    Allowed,
    /// The limit is reached; it frees up after `retry_after`.
    Exceeded {
        retry_after: TimeDelta,
    },
}

/// A sliding-window limit: at most `max` attempts within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: TimeDelta,
}

/// Attempt counters shared by every server process (they live in the database).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttemptCounter: std::fmt::Debug + Send + Sync {
    /// Whether another attempt under `key` is allowed, without counting one.
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError>;
    /// The attempts under `key` within the `window` ending at `now` (the SMS budget's gauges).
    async fn count(
        &self,
        key: &str,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Counts one attempt under `key`.
    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Checks and counts in one atomic step: of concurrent callers, at most `limit.max` within
    /// the window get `Allowed`, and only those are counted.
    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError>;
    /// Takes back one attempt counted under `key` at `at` (by `acquire` or `record`), for an
    /// attempt that turned out not to be a failure; nothing when there is none.
    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Forgets the attempts under `key` (after a success).
    async fn clear(&self, key: &str) -> Result<(), StoreError>;
}
