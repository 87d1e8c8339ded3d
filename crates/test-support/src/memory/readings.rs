//! Readings: one live reading per meter and period.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{ReadingRepository, Saved};
use vodokanal_domain::{AccountNumber, MeterNumber, Period, Reading, ReadingSource, Voided};

use super::InMemoryStore;

/// Newest first: by submission time, then by id.
fn newest_first(readings: &mut [Reading]) {
    readings.sort_by(|a, b| {
        b.submitted_at
            .cmp(&a.submitted_at)
            .then_with(|| b.id.cmp(&a.id))
    });
}

#[async_trait]
impl ReadingRepository for InMemoryStore {
    async fn last_before_each(
        &self,
        meters: &[MeterNumber],
        period: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let state = self.state.lock().await;
        Ok(meters
            .iter()
            .filter_map(|meter| {
                state
                    .readings
                    .iter()
                    .filter(|r| &r.meter_number == meter && r.period < period && r.voided.is_none())
                    .max_by_key(|r| r.period)
                    .cloned()
            })
            .collect())
    }

    async fn live_since_each(
        &self,
        meters: &[MeterNumber],
        from: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .readings
            .iter()
            .filter(|r| meters.contains(&r.meter_number) && r.period >= from && r.voided.is_none())
            .cloned()
            .collect())
    }

    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .readings
            .iter()
            .filter(|r| &r.meter_number == meter && r.voided.is_none())
            .max_by_key(|r| r.period)
            .cloned())
    }

    async fn save_all(
        &self,
        readings: &[Reading],
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        // Check everything before changing anything: all or none.
        for reading in readings {
            state.check_reading(reading)?;
        }
        state.check_answer(answer.as_ref())?;
        for reading in readings {
            state.put_reading(reading.clone());
        }
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn save(&self, reading: &Reading, answer: Option<Answer>) -> Result<Saved, StoreError> {
        let mut state = self.state.lock().await;
        state.check_reading(reading)?;
        if let Some(existing) = state.live_reading(&reading.meter_number, reading.period)
            && !reading.source.replaces(existing.source)
        {
            return Ok(Saved::NotReplaced);
        }
        state.check_answer(answer.as_ref())?;
        state.put_reading(reading.clone());
        state.put_answer(answer.as_ref());
        Ok(Saved::Stored)
    }

    async fn void(
        &self,
        meter: &MeterNumber,
        period: Period,
        voided: &Voided,
    ) -> Result<Option<Reading>, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state.live_reading(meter, period).map(|reading| {
            reading.voided = Some(voided.clone());
            reading.clone()
        }))
    }

    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<Reading> = state
            .readings
            .iter()
            .filter(|r| &r.account_number == account && before.is_none_or(|b| r.submitted_at < b))
            .cloned()
            .collect();
        newest_first(&mut found);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    /// What `export` streams, counted: the one filter.
    async fn export_count(&self, period: Period) -> Result<u64, StoreError> {
        let exported = self.export(period).count().await;
        Ok(u64::try_from(exported).unwrap_or(u64::MAX))
    }

    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<Reading> = state
                .readings
                .iter()
                .filter(|r| {
                    r.period == period && r.source != ReadingSource::Registry && r.voided.is_none()
                })
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.submitted_at
                    .cmp(&b.submitted_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}
