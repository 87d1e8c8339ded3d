use std::collections::HashSet;

use async_trait::async_trait;
use chrono::NaiveTime;
use sqlx::{Sqlite, Transaction};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{RegistryStore, UpsertCounts};
use vodokanal_domain::{Period, ReadingId, RegistryRecord};

use crate::codec::{self, date, instant, litres};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `RegistryStore` on SQLite.
    SqliteRegistryStore
);

/// Rows per multi-row statement. Every full chunk has the same SQL text, so each connection
/// prepares it once and reuses it (sqlx's statement cache).
const CHUNK: usize = 500;

/// `INSERT … VALUES (…), (…) …` with `rows` groups of `group`, then `tail`.
fn multi_row(head: &str, group: &str, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * (group.len() + 2));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(group);
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// Which of `keys` are already in `table` (its primary key `number`).
async fn existing(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
    keys: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let sql = multi_row(
            &format!("SELECT number FROM {table} WHERE number IN ("),
            "?",
            chunk.len(),
            ")",
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for key in chunk {
            query = query.bind(*key);
        }
        found.extend(query.fetch_all(&mut **tx).await.map_err(store_error)?);
    }
    Ok(found)
}

/// Drops all but the last of each run of rows with the same key: a registry lists an account's
/// meters one after the other, and the last row of an account is the one that counts anyway.
fn last_of_runs<'a, T, K: PartialEq>(items: &[&'a T], key: impl Fn(&T) -> K) -> Vec<&'a T> {
    let mut kept: Vec<&T> = Vec::with_capacity(items.len());
    for item in items {
        if kept.last().is_some_and(|last| key(last) == key(item)) {
            kept.pop();
        }
        kept.push(item);
    }
    kept
}

async fn upsert_accounts(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[&RegistryRecord],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        let sql = multi_row(
            "INSERT INTO accounts (number, address, balance_kopecks, balance_as_of) VALUES ",
            "(?, ?, ?, ?)",
            chunk.len(),
            "ON CONFLICT (number) DO UPDATE SET address = excluded.address, \
             balance_kopecks = excluded.balance_kopecks, balance_as_of = excluded.balance_as_of",
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.account_number.as_str())
                .bind(&row.address)
                .bind(row.balance.kopecks())
                .bind(date(row.balance_as_of));
        }
        query.execute(&mut **tx).await.map_err(store_error)?;
    }
    Ok(())
}

async fn upsert_meters(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[&RegistryRecord],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        let sql = multi_row(
            "INSERT INTO meters (number, account_number, service, verification_due) VALUES ",
            "(?, ?, ?, ?)",
            chunk.len(),
            "ON CONFLICT (number) DO UPDATE SET account_number = excluded.account_number, \
             service = excluded.service, verification_due = excluded.verification_due",
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            let meter = row.meter.as_ref();
            query = query
                .bind(meter.map(|m| m.number.as_str()))
                .bind(row.account_number.as_str())
                .bind(meter.map(|m| m.service.code()))
                .bind(meter.and_then(|m| m.verification_due).map(date));
        }
        query.execute(&mut **tx).await.map_err(store_error)?;
    }
    Ok(())
}

/// The registry's last readings: a new `registry` reading of the period, or an update of the
/// registry's own live reading of it (keeping its id); a subscriber's reading of the same
/// period is left as it is (`ReadingSource::replaces`).
async fn upsert_readings(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[&RegistryRecord],
    new_id: &(dyn Fn() -> ReadingId + Sync),
) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        let sql = multi_row(
            "INSERT INTO readings (id, account_number, meter_number, period, value_litres, \
             submitted_at, source, warnings) VALUES ",
            "(?, ?, ?, ?, ?, ?, 'registry', '')",
            chunk.len(),
            "ON CONFLICT (meter_number, period) WHERE voided_at IS NULL DO UPDATE SET \
             account_number = excluded.account_number, value_litres = excluded.value_litres, \
             submitted_at = excluded.submitted_at WHERE readings.source = 'registry'",
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            let meter = row.meter.as_ref();
            let last = meter.and_then(|m| m.last_reading);
            query = query
                .bind(new_id().to_string())
                .bind(row.account_number.as_str())
                .bind(meter.map(|m| m.number.as_str()))
                .bind(last.map(|(_, day)| codec::period(Period::containing(day))))
                .bind(last.map(|(value, _)| litres(value)))
                .bind(last.map(|(_, day)| instant(day.and_time(NaiveTime::MIN).and_utc())));
        }
        query.execute(&mut **tx).await.map_err(store_error)?;
    }
    Ok(())
}

/// A fresh reading id for a new `registry` reading.
fn random_reading_id() -> ReadingId {
    ReadingId::from_random_bytes(rand::random())
}

#[async_trait]
impl RegistryStore for SqliteRegistryStore {
    /// One `BEGIN IMMEDIATE` transaction: which accounts and meters exist is read first (to
    /// count), then accounts, meters and last readings go in by multi-row `INSERT … ON
    /// CONFLICT DO UPDATE` statements of `CHUNK` rows.
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert(&self, rows: &[RegistryRecord]) -> Result<UpsertCounts, StoreError> {
        if rows.is_empty() {
            return Ok(UpsertCounts::default());
        }
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;

        let all: Vec<&RegistryRecord> = rows.iter().collect();
        let accounts = last_of_runs(&all, |r| r.account_number.clone());
        let account_keys: Vec<&str> = accounts.iter().map(|r| r.account_number.as_str()).collect();
        let with_meter: Vec<&RegistryRecord> = rows.iter().filter(|r| r.meter.is_some()).collect();
        let meter_keys: Vec<&str> = with_meter
            .iter()
            .filter_map(|r| r.meter.as_ref().map(|m| m.number.as_str()))
            .collect();
        let known_accounts = existing(&mut tx, "accounts", &account_keys).await?;
        let known_meters = existing(&mut tx, "meters", &meter_keys).await?;

        let mut counts = UpsertCounts::default();
        for row in rows {
            let new = !known_accounts.contains(row.account_number.as_str())
                && row
                    .meter
                    .as_ref()
                    .is_none_or(|m| !known_meters.contains(m.number.as_str()));
            if new {
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
        }

        upsert_accounts(&mut tx, &accounts).await?;
        upsert_meters(&mut tx, &with_meter).await?;
        let with_reading: Vec<&RegistryRecord> = with_meter
            .into_iter()
            .filter(|r| r.meter.as_ref().is_some_and(|m| m.last_reading.is_some()))
            .collect();
        upsert_readings(&mut tx, &with_reading, &random_reading_id).await?;

        tx.commit().await.map_err(store_error)?;
        Ok(counts)
    }
}
