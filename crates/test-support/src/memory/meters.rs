//! Meters and the account each is under.

use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{LocatedMeter, MeterRepository};
use vodokanal_domain::MeterNumber;

use super::InMemoryStore;

#[async_trait]
impl MeterRepository for InMemoryStore {
    async fn find(&self, number: &MeterNumber) -> Result<Option<LocatedMeter>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.meters.get(number).map(|row| LocatedMeter {
            account_number: row.account_number.clone(),
            meter: row.meter.clone(),
        }))
    }
}
