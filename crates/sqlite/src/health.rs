use async_trait::async_trait;
use std::sync::atomic::Ordering;
use vodokanal_app::StoreError;

use vodokanal_app::ports::{PoolUsage, StoreHealth};

use crate::{POOL_TIMEOUTS, sqlite_port, store_error};

sqlite_port!(
    /// `StoreHealth` on SQLite: `SELECT 1` through the pool.
    SqliteStoreHealth
);

#[async_trait]
impl StoreHealth for SqliteStoreHealth {
    /// Any failure means "not ready": the database does not serve us now, whatever the cause.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reads)
            .await
            .map_err(|error| StoreError::Unavailable(store_error(error).to_string()))?;
        Ok(())
    }

    fn pools(&self) -> Vec<PoolUsage> {
        [("writer", &self.pool), ("readers", &self.reads)]
            .into_iter()
            .map(|(name, pool)| PoolUsage {
                name,
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
            .collect()
    }

    fn pool_timeouts(&self) -> u64 {
        POOL_TIMEOUTS.load(Ordering::Relaxed)
    }
}
