use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use vodokanal_domain::{AccountNumber, MeterNumber, Period, Reading, Voided};

use crate::StoreError;
use crate::idempotency::Answer;

/// What [`ReadingRepository::save`] did with a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// It is the meter's live reading of its period now.
    Stored,
    /// The meter's live reading of the period is one it may not replace
    /// (`ReadingSource::replaces`): nothing was written.
    NotReplaced,
}

/// Meter readings: one live reading per meter and period, and the voided ones kept beside it.
/// A voided reading is in the history, and nowhere else.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReadingRepository: std::fmt::Debug + Send + Sync {
    /// The meter's latest live reading of a period before `period` (including the registry's):
    /// [`ReadingRepository::last_before_each`] of the one meter.
    async fn last_before(
        &self,
        meter: &MeterNumber,
        period: Period,
    ) -> Result<Option<Reading>, StoreError> {
        Ok(self
            .last_before_each(std::slice::from_ref(meter), period)
            .await?
            .into_iter()
            .next())
    }
    /// The latest live reading of a period before `period` of each of `meters` that has one
    /// (including the registry's), in one read; in no particular order.
    async fn last_before_each(
        &self,
        meters: &[MeterNumber],
        period: Period,
    ) -> Result<Vec<Reading>, StoreError>;
    /// Every live reading of a period from `from` on (inclusive) of each of `meters`
    /// (including the registry's), in one read; in no particular order.
    async fn live_since_each(
        &self,
        meters: &[MeterNumber],
        from: Period,
    ) -> Result<Vec<Reading>, StoreError>;
    /// The meter's newest live reading of any period, the current one included (including
    /// the registry's): the one of the latest period. `None` when the meter has no reading yet.
    /// Read-only; errors only when the store fails.
    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError>;
    /// Stores the readings in one transaction; each replaces the live reading of its meter and
    /// period, whatever its source (the cabinet's batch: a cabinet reading replaces any). All
    /// or none: when this returns `Ok`, all of them have committed, with `answer` when given.
    async fn save_all(
        &self,
        readings: &[Reading],
        answer: Option<Answer>,
    ) -> Result<(), StoreError>;
    /// Stores one reading unless the meter's live reading of the period is one it may not
    /// replace (`reading.source.replaces(existing.source)` is false), decided in the write
    /// itself: of a concurrent cabinet and anonymous reading, the cabinet's stands whatever
    /// the order. `answer` commits with a stored reading; with `NotReplaced`, nothing is written.
    async fn save(&self, reading: &Reading, answer: Option<Answer>) -> Result<Saved, StoreError>;
    /// Voids the meter's live reading of `period`: it is kept with `voided`, leaves the checks,
    /// the export and `last_*`, and frees the period for a new reading. The voided reading;
    /// `None` when there is no live reading to void.
    async fn void(
        &self,
        meter: &MeterNumber,
        period: Period,
        voided: &Voided,
    ) -> Result<Option<Reading>, StoreError>;
    /// The account's readings, voided ones included, newest first, submitted before `before`
    /// when given.
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError>;
    /// Every live reading of the period that did not come from the registry, streamed.
    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>>;
    /// How many readings `export(period)` would stream now (the export's progress).
    async fn export_count(&self, period: Period) -> Result<u64, StoreError>;
}
