use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use vodokanal_domain::{AccountNumber, MeterNumber, Period, Reading};

use crate::StoreError;

/// Meter readings: one per meter and period.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReadingRepository: Send + Sync {
    /// The meter's latest reading of a period before `period` (including the registry's).
    async fn last_before(
        &self,
        meter: &MeterNumber,
        period: Period,
    ) -> Result<Option<Reading>, StoreError>;
    /// The meter's newest reading of any period, the current one included (including the
    /// registry's): the one of the latest period. `None` when the meter has no reading yet.
    /// Read-only; errors only when the store fails.
    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError>;
    /// Stores the readings in one transaction; each replaces the reading of its meter and
    /// period. All or none: when this returns `Ok`, all of them have committed.
    async fn save_all(&self, readings: &[Reading]) -> Result<(), StoreError>;
    /// The account's readings, newest first, submitted before `before` when given.
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError>;
    /// Every reading of the period that did not come from the registry, streamed.
    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>>;
}
