use async_trait::async_trait;
use std::sync::atomic::Ordering;
use vodokanal_app::StoreError;

use vodokanal_app::ports::{PoolUsage, StoreHealth};

use crate::error::{POOL_TIMEOUTS, store_error};
use crate::pg_store;

pg_store!(
    /// `StoreHealth` on PostgreSQL: `SELECT 1` through the pool.
    PgStoreHealth
);

#[async_trait]
impl StoreHealth for PgStoreHealth {
    /// Any failure means "not ready": the database does not serve us now, whatever the cause.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::Unavailable(store_error(error).to_string()))?;
        Ok(())
    }

    fn pools(&self) -> Vec<PoolUsage> {
        let pool = self.pool.pool();
        vec![PoolUsage {
            name: "main",
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }]
    }

    fn pool_timeouts(&self) -> u64 {
        POOL_TIMEOUTS.load(Ordering::Relaxed)
    }
}
