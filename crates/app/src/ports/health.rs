use async_trait::async_trait;

use crate::StoreError;

/// Whether the store answers: `GET /health/ready`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: std::fmt::Debug + Send + Sync {
    /// A cheap round trip to the database (`SELECT 1`); `Unavailable` when it does not answer
    /// in time.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The store's connection pools as they stand now (`/metrics`); none for a store without.
    fn pools(&self) -> Vec<PoolUsage> {
        Vec::new()
    }

    /// Waits for a pooled connection that gave up (past the pool's acquire timeout, each a
    /// 503) since the process started.
    fn pool_timeouts(&self) -> u64 {
        0
    }
}

/// One connection pool of the store, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// `main` on PostgreSQL; `writer` and `readers` on SQLite.
    pub name: &'static str,
    /// Connections open, in use or idle.
    pub open: u32,
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl PoolUsage {
    /// Connections handed out now.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}
