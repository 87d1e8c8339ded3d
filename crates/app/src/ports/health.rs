use async_trait::async_trait;

use crate::StoreError;

/// Whether the store answers: `GET /health/ready`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: std::fmt::Debug + Send + Sync {
    /// A cheap round trip to the database (`SELECT 1`); `Unavailable` when it does not answer
    /// in time.
    async fn ping(&self) -> Result<(), StoreError>;
}
