use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::StoreHealth;

use crate::error::store_error;
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
}
