//! The health check.

use async_trait::async_trait;
use vodokanal_app::StoreError;

use super::InMemoryStore;

/// The fake always answers.
#[async_trait]
impl vodokanal_app::ports::StoreHealth for InMemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
