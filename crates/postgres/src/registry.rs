//! The registry import's store: accounts, meters and the registry's last readings, upserted
//! in bulk through `COPY`.
//!
//! One call is one transaction (the import gives it tens of thousands of rows at a time):
//! 1. the rows are `COPY`ed (text format) into a temporary staging table dropped at commit,
//!    and counted before anything is written: a row whose account and meter (if any) are not
//!    stored yet is inserted, any other is updated (one index probe per key, no bookkeeping
//!    tables);
//! 2. `INSERT INTO accounts SELECT DISTINCT ON (number) ... ON CONFLICT DO UPDATE` (the last
//!    row of an account in the batch wins; an unchanged account is not rewritten);
//! 3. the same for meters: a meter listed under another account moves there;
//! 4. each meter's last reading becomes a `registry` reading of the period of its date,
//!    upserted on (meter, period) **only when the existing reading of that period is also the
//!    registry's (or there is none)**: a subscriber's reading of the same period is newer
//!    information than the billing system's, so the registry never overwrites it. A batch
//!    without meters skips the meters' statement, one without readings the readings'.
//!
//! Every upsert is set-based (`DISTINCT ON` picks the last row of a key, `IS DISTINCT FROM`
//! leaves an unchanged row alone, so a re-import writes almost nothing). The transaction sorts
//! in memory (`work_mem`) and does without JIT compilation, which the staging table's missing
//! statistics would otherwise trigger on every batch. Durability is the server's: the commit
//! is synchronous like every other.
//!
//! A registry reading's `submitted_at` is midnight UTC of its date (the store has no time
//! zone; that instant falls on the same date in every Russian time zone).

use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveTime};
use sqlx::{PgConnection, Row};
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{RegistryStore, UpsertCounts};
use vodokanal_domain::{Period, RegistryRecord};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::{corrupt, period_code, reading_litres, unsigned};

pg_store!(
    /// `RegistryStore` on PostgreSQL: bulk upserts of accounts, meters and registry readings.
    PgRegistryStore
);

/// How much `COPY` data is sent in one message.
const COPY_CHUNK: usize = 1 << 20;

// The statements live in `sql/registry/`, where `scripts/bench-registry.sh` also runs them
// inside psql to measure the floor of the import (docs/performance.md).

const CREATE_STAGING: &str = include_str!("../sql/registry/create_staging.sql");

/// The planner settings of the import's transaction: the `DISTINCT ON` sorts of a batch fit in
/// memory, and no JIT compilation (the staging table has no statistics, so the planner's
/// estimates are far too high and it would spend more on compiling than on running).
const SET_WORK_MEM: &str = "SET LOCAL work_mem = '64MB'";
const SET_NO_JIT: &str = "SET LOCAL jit = off";

const COPY_STAGING: &str = "COPY registry_staging (ord, account_number, address, \
    balance_kopecks, balance_as_of, meter_number, service, verification_due, reading_litres, \
    reading_period, reading_at) FROM STDIN";

const UPSERT_ACCOUNTS: &str = include_str!("../sql/registry/upsert_accounts.sql");
const UPSERT_METERS: &str = include_str!("../sql/registry/upsert_meters.sql");
const UPSERT_READINGS: &str = include_str!("../sql/registry/upsert_readings.sql");

/// Before the upserts: how many rows are new, and how many rows there are.
const COUNT_NEW: &str = include_str!("../sql/registry/count_new.sql");

/// Appends a text field in `COPY`'s text format: backslash, tab, newline and carriage return
/// are escaped, so no value can end a field or a row early.
fn push_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
}

fn push_optional_text(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_text(out, v),
        None => out.push_str("\\N"),
    }
}

fn push_optional<T: std::fmt::Display>(out: &mut String, value: Option<T>) {
    match value {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("\\N"),
    }
}

/// The period a registry reading's date falls in, when the domain accepts it as a period.
fn reading_period(date: NaiveDate) -> Option<Period> {
    Period::containing(date).to_string().parse().ok()
}

/// One staging row in `COPY` text format, newline included.
fn push_row(out: &mut String, ord: usize, record: &RegistryRecord) -> Result<(), StoreError> {
    let _ = write!(out, "{ord}\t");
    push_text(out, record.account_number.as_str());
    out.push('\t');
    push_text(out, &record.address);
    let _ = write!(
        out,
        "\t{}\t{}\t",
        record.balance.kopecks(),
        record.balance_as_of
    );
    let meter = record.meter.as_ref();
    push_optional_text(out, meter.map(|m| m.number.as_str()));
    out.push('\t');
    push_optional_text(out, meter.map(|m| m.service.code()));
    out.push('\t');
    push_optional(out, meter.and_then(|m| m.verification_due));
    out.push('\t');
    let reading = meter
        .and_then(|m| m.last_reading)
        .and_then(|(value, date)| reading_period(date).map(|period| (value, date, period)));
    match reading {
        Some((value, date, period)) => {
            let at = date.and_time(NaiveTime::MIN).and_utc();
            let _ = write!(
                out,
                "{}\t{}\t{}",
                reading_litres(value)?,
                period_code(period),
                at.format("%Y-%m-%d %H:%M:%S+00")
            );
        }
        None => out.push_str("\\N\t\\N\t\\N"),
    }
    out.push('\n');
    Ok(())
}

/// Executes one statement without parameters.
async fn execute(conn: &mut PgConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(store_error)
}

/// Encodes the rows in `COPY` text format, in chunks of about [`COPY_CHUNK`] bytes.
fn encode(rows: &[RegistryRecord]) -> Result<Vec<String>, StoreError> {
    let mut chunks = Vec::new();
    let mut buffer = String::with_capacity(COPY_CHUNK + 1024);
    for (ord, record) in rows.iter().enumerate() {
        push_row(&mut buffer, ord, record)?;
        if buffer.len() >= COPY_CHUNK {
            chunks.push(std::mem::replace(
                &mut buffer,
                String::with_capacity(COPY_CHUNK + 1024),
            ));
        }
    }
    if !buffer.is_empty() {
        chunks.push(buffer);
    }
    Ok(chunks)
}

/// Sends the encoded rows to the staging table through `COPY ... FROM STDIN`.
async fn copy_rows(conn: &mut PgConnection, chunks: Vec<String>) -> Result<(), StoreError> {
    let mut copy = conn.copy_in_raw(COPY_STAGING).await.map_err(store_error)?;
    for chunk in chunks {
        copy.send(chunk.into_bytes()).await.map_err(store_error)?;
    }
    copy.finish().await.map_err(store_error)?;
    Ok(())
}

/// Everything but the commit: staging, the count, the upserts (the readings' only when a row
/// carries one).
async fn upsert_in(
    conn: &mut PgConnection,
    rows: &[RegistryRecord],
) -> Result<UpsertCounts, StoreError> {
    execute(conn, SET_WORK_MEM).await?;
    execute(conn, SET_NO_JIT).await?;
    execute(conn, CREATE_STAGING).await?;
    copy_rows(conn, encode(rows)?).await?;
    let counts = sqlx::query(COUNT_NEW)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    execute(conn, UPSERT_ACCOUNTS).await?;
    if rows.iter().any(|r| r.meter.is_some()) {
        execute(conn, UPSERT_METERS).await?;
    }
    if rows
        .iter()
        .any(|r| r.meter.as_ref().is_some_and(|m| m.last_reading.is_some()))
    {
        execute(conn, UPSERT_READINGS).await?;
    }
    let inserted: i64 = counts.try_get("inserted").map_err(store_error)?;
    let total: i64 = counts.try_get("total").map_err(store_error)?;
    let inserted = unsigned("inserted", inserted)?;
    let total = unsigned("total", total)?;
    Ok(UpsertCounts {
        inserted,
        updated: total
            .checked_sub(inserted)
            .ok_or_else(|| corrupt("inserted", "more than the rows"))?,
    })
}

#[async_trait]
impl RegistryStore for PgRegistryStore {
    #[instrument(level = "debug", skip_all, fields(rows = rows.len()))]
    async fn upsert(&self, rows: &[RegistryRecord]) -> Result<UpsertCounts, StoreError> {
        if rows.is_empty() {
            return Ok(UpsertCounts::default());
        }
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let counts = upsert_in(&mut tx, rows).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_would_end_a_field() {
        let mut out = String::new();
        push_text(&mut out, "a\\b\tc\nd\re;\"ж");
        assert_eq!(out, "a\\\\b\\tc\\nd\\re;\"ж");
    }

    #[test]
    fn a_full_row_and_a_row_without_meter_encode() {
        let full = RegistryRecord::parse(&[
            "123456",
            "г. Иваново;\tкв. 2",
            "1234.50",
            "2026-10-31",
            "ВСХ-0011234",
            "cold_water",
            "2030-01-15",
            "123.456",
            "2026-10-25",
        ])
        .unwrap();
        let bare =
            RegistryRecord::parse(&["0001", "адрес", "-5.00", "2026-10-31", "", "", "", "", ""])
                .unwrap();
        let mut out = String::new();
        push_row(&mut out, 0, &full).unwrap();
        push_row(&mut out, 1, &bare).unwrap();
        assert_eq!(
            out,
            "0\t123456\tг. Иваново;\\tкв. 2\t123450\t2026-10-31\tВСХ-0011234\tcold_water\t\
             2030-01-15\t123456\t202610\t2026-10-25 00:00:00+00\n\
             1\t0001\tадрес\t-500\t2026-10-31\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"
        );
    }
}
