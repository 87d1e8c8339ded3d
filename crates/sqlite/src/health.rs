use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::StoreHealth;

use crate::{sqlite_port, store_error};

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
}
