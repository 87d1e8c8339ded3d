//! The registry upsert: accounts, meters and the registry's last readings.

use async_trait::async_trait;
use chrono::NaiveTime;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{RegistryStore, UpsertCounts};
use vodokanal_domain::{Meter, Period, Reading, ReadingId, ReadingSource, RegistryRecord};

use super::{AccountRow, InMemoryStore, MeterRow, State};

/// The `registry` reading a registry row carries, if any.
fn registry_reading(row: &RegistryRecord, id: ReadingId) -> Option<Reading> {
    let meter = row.meter.as_ref()?;
    let (value, date) = meter.last_reading?;
    Some(Reading {
        id,
        account_number: row.account_number.clone(),
        meter_number: meter.number.clone(),
        value,
        previous_value: None,
        consumption: None,
        period: Period::containing(date),
        submitted_at: date.and_time(NaiveTime::MIN).and_utc(),
        source: ReadingSource::Registry,
        warnings: Vec::new(),
        user_id: None,
        submitter: None,
        voided: None,
    })
}

#[async_trait]
impl RegistryStore for InMemoryStore {
    async fn upsert(&self, rows: &[RegistryRecord]) -> Result<UpsertCounts, StoreError> {
        let mut state = self.state.lock().await;
        let mut counts = UpsertCounts::default();
        // "New" means absent before this call, whatever the order of the rows.
        let new_account =
            |state: &State, row: &RegistryRecord| !state.accounts.contains_key(&row.account_number);
        let flags: Vec<bool> = rows
            .iter()
            .map(|row| {
                new_account(&state, row)
                    && row
                        .meter
                        .as_ref()
                        .is_none_or(|m| !state.meters.contains_key(&m.number))
            })
            .collect();
        for (row, inserted) in rows.iter().zip(flags) {
            if inserted {
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
            state.accounts.insert(
                row.account_number.clone(),
                AccountRow {
                    address: row.address.clone(),
                    balance: row.balance,
                    balance_as_of: row.balance_as_of,
                },
            );
            let Some(meter) = row.meter.as_ref() else {
                continue;
            };
            state.meters.insert(
                meter.number.clone(),
                MeterRow {
                    account_number: row.account_number.clone(),
                    meter: Meter {
                        number: meter.number.clone(),
                        service: meter.service,
                        verification_due: meter.verification_due,
                    },
                },
            );
            let Some((_, date)) = meter.last_reading else {
                continue;
            };
            let period = Period::containing(date);
            let existing = state.live_reading(&meter.number, period);
            // A subscriber's reading of the same period is never replaced by the registry's.
            if existing
                .as_ref()
                .is_some_and(|r| !ReadingSource::Registry.replaces(r.source))
            {
                continue;
            }
            // The registry's reading keeps its id when the same registry comes again.
            let id = existing.map_or_else(crate::builders::reading_id, |r| r.id);
            if let Some(reading) = registry_reading(row, id) {
                state.put_reading(reading);
            }
        }
        Ok(counts)
    }
}
