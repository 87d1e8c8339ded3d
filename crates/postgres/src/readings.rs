//! Meter readings, one per meter and period.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Postgres};
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{ReadingRepository, Saved};
use vodokanal_domain::{
    AccountNumber, AnonymousSubmitter, MeterNumber, Period, Reading, ReadingId, ReadingSource,
    ReadingWarning, UserId, VoidReason, Voided,
};

use crate::error::store_error;
use crate::idempotency::store_answer;
use crate::pg_store;
use crate::rows::{
    corrupt, get, optional_reading_value, parse, parse_optional, period_code, period_from_code,
    reading_litres, reading_value,
};

pg_store!(
    /// `ReadingRepository` on PostgreSQL: the `readings` table.
    PgReadingRepository
);

const COLUMNS: &str = "id, account_number, meter_number, period, value_litres, previous_litres, \
     consumption_litres, submitted_at, source, warnings, user_id, submitter_name, submitter_phone, \
     voided_at, void_reason";

/// What a new (live) reading does to the live one of its meter and period: replaces every
/// column but the void's.
macro_rules! on_conflict_replace {
    () => {
        " ON CONFLICT (meter_number, period) WHERE voided_at IS NULL DO UPDATE SET \
         id = EXCLUDED.id, account_number = EXCLUDED.account_number, \
         value_litres = EXCLUDED.value_litres, previous_litres = EXCLUDED.previous_litres, \
         consumption_litres = EXCLUDED.consumption_litres, \
         submitted_at = EXCLUDED.submitted_at, source = EXCLUDED.source, \
         warnings = EXCLUDED.warnings, user_id = EXCLUDED.user_id, \
         submitter_name = EXCLUDED.submitter_name, submitter_phone = EXCLUDED.submitter_phone"
    };
}

macro_rules! insert_columns {
    () => {
        "INSERT INTO readings (id, account_number, meter_number, period, value_litres, \
         previous_litres, consumption_litres, submitted_at, source, warnings, user_id, \
         submitter_name, submitter_phone) "
    };
}

/// A new reading (live) replacing the live one of its meter and period.
const UPSERT: &str = concat!(
    insert_columns!(),
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    on_conflict_replace!()
);

/// Every reading of a batch in one statement, one array per column: each replaces the live
/// reading of its meter and period. A batch holds each meter once (the use case refuses a
/// meter listed twice; PostgreSQL would refuse to update one row twice).
const UPSERT_ALL: &str = concat!(
    insert_columns!(),
    "SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bigint[], \
     $6::bigint[], $7::bigint[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[], \
     $12::text[], $13::text[])",
    on_conflict_replace!()
);

/// Writes `readings` with [`UPSERT_ALL`]: the number of rows written.
async fn write_all<'e>(
    executor: impl PgExecutor<'e>,
    readings: &[Reading],
) -> Result<u64, StoreError> {
    let mut previous = Vec::with_capacity(readings.len());
    let mut consumption = Vec::with_capacity(readings.len());
    let mut values = Vec::with_capacity(readings.len());
    for reading in readings {
        previous.push(reading.previous_value.map(reading_litres).transpose()?);
        consumption.push(reading.consumption.map(reading_litres).transpose()?);
        values.push(reading_litres(reading.value)?);
    }
    let column = |f: fn(&Reading) -> Option<&str>| readings.iter().map(f).collect::<Vec<_>>();
    sqlx::query::<Postgres>(UPSERT_ALL)
        .bind(readings.iter().map(|r| *r.id.as_uuid()).collect::<Vec<_>>())
        .bind(column(|r| Some(r.account_number.as_str())))
        .bind(column(|r| Some(r.meter_number.as_str())))
        .bind(
            readings
                .iter()
                .map(|r| period_code(r.period))
                .collect::<Vec<_>>(),
        )
        .bind(values)
        .bind(previous)
        .bind(consumption)
        .bind(readings.iter().map(|r| r.submitted_at).collect::<Vec<_>>())
        .bind(column(|r| Some(r.source.code())))
        .bind(
            readings
                .iter()
                .map(|r| warning_codes(&r.warnings))
                .collect::<Vec<_>>(),
        )
        .bind(
            readings
                .iter()
                .map(|r| r.user_id.as_ref().map(|u| *u.as_uuid()))
                .collect::<Vec<_>>(),
        )
        .bind(column(|r| {
            r.submitter.as_ref().map(|s| s.full_name.as_str())
        }))
        .bind(column(|r| r.submitter.as_ref().map(|s| s.phone.as_str())))
        .execute(executor)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
}

/// `ReadingSource::replaces` in SQL: the new reading (`EXCLUDED`) replaces the live one unless
/// it is anonymous over a cabinet reading, or the registry's over a subscriber's.
const REPLACES: &str = "NOT ((EXCLUDED.source = 'anonymous' AND readings.source = 'cabinet') \
     OR (EXCLUDED.source = 'registry' AND readings.source <> 'registry'))";

pub(crate) fn reading_from_row(row: &PgRow) -> Result<Reading, StoreError> {
    let source: String = get(row, "source")?;
    let warnings: String = get(row, "warnings")?;
    let warnings = warnings
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| {
            ReadingWarning::from_code(code)
                .ok_or_else(|| corrupt("warnings", format!("unknown warning {code:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let name = parse_optional(row, "submitter_name")?;
    let phone = parse_optional(row, "submitter_phone")?;
    let submitter = match (name, phone) {
        (Some(full_name), Some(phone)) => Some(AnonymousSubmitter { full_name, phone }),
        (None, None) => None,
        _ => return Err(corrupt("submitter_name", "name and phone go together")),
    };
    let user_id: Option<uuid::Uuid> = get(row, "user_id")?;
    let voided_at: Option<DateTime<Utc>> = get(row, "voided_at")?;
    let void_reason: Option<VoidReason> = parse_optional(row, "void_reason")?;
    let voided = match (voided_at, void_reason) {
        (Some(at), Some(reason)) => Some(Voided { at, reason }),
        (None, None) => None,
        _ => {
            return Err(corrupt(
                "voided_at",
                "the time and reason of a void go together",
            ));
        }
    };
    Ok(Reading {
        id: ReadingId::from_uuid(get(row, "id")?),
        account_number: parse(row, "account_number")?,
        meter_number: parse(row, "meter_number")?,
        value: reading_value("value_litres", get(row, "value_litres")?)?,
        previous_value: optional_reading_value(row, "previous_litres")?,
        consumption: optional_reading_value(row, "consumption_litres")?,
        period: period_from_code("period", get(row, "period")?)?,
        submitted_at: get(row, "submitted_at")?,
        source: ReadingSource::from_code(&source)
            .ok_or_else(|| corrupt("source", format!("unknown source {source:?}")))?,
        warnings,
        user_id: user_id.map(UserId::from_uuid),
        submitter,
        voided,
    })
}

/// Writes `reading` with `sql` ([`UPSERT`], and a condition): the number of rows written.
async fn write<'e>(
    executor: impl PgExecutor<'e>,
    sql: &str,
    reading: &Reading,
) -> Result<u64, StoreError> {
    let previous = reading.previous_value.map(reading_litres).transpose()?;
    let consumption = reading.consumption.map(reading_litres).transpose()?;
    sqlx::query::<Postgres>(sql)
        .bind(reading.id.as_uuid())
        .bind(reading.account_number.as_str())
        .bind(reading.meter_number.as_str())
        .bind(period_code(reading.period))
        .bind(reading_litres(reading.value)?)
        .bind(previous)
        .bind(consumption)
        .bind(reading.submitted_at)
        .bind(reading.source.code())
        .bind(warning_codes(&reading.warnings))
        .bind(reading.user_id.as_ref().map(UserId::as_uuid))
        .bind(reading.submitter.as_ref().map(|s| s.full_name.as_str()))
        .bind(reading.submitter.as_ref().map(|s| s.phone.as_str()))
        .execute(executor)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
}

fn warning_codes(warnings: &[ReadingWarning]) -> String {
    warnings
        .iter()
        .map(|w| w.code())
        .collect::<Vec<_>>()
        .join(",")
}

#[async_trait]
impl ReadingRepository for PgReadingRepository {
    /// One statement: `DISTINCT ON` the meter, each one's latest earlier period by the live
    /// `(meter_number, period)` index.
    #[instrument(level = "debug", skip_all, fields(meters = meters.len(), period = %period))]
    async fn last_before_each(
        &self,
        meters: &[MeterNumber],
        period: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let numbers: Vec<&str> = meters.iter().map(MeterNumber::as_str).collect();
        sqlx::query(&format!(
            "SELECT DISTINCT ON (meter_number) {COLUMNS} FROM readings \
             WHERE meter_number = ANY($1) AND period < $2 AND voided_at IS NULL \
             ORDER BY meter_number, period DESC"
        ))
        .bind(&numbers)
        .bind(period_code(period))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(reading_from_row)
        .collect()
    }

    /// One statement, each meter's periods by the live `(meter_number, period)` index.
    #[instrument(level = "debug", skip_all, fields(meters = meters.len(), from = %from))]
    async fn live_since_each(
        &self,
        meters: &[MeterNumber],
        from: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let numbers: Vec<&str> = meters.iter().map(MeterNumber::as_str).collect();
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings \
             WHERE meter_number = ANY($1) AND period >= $2 AND voided_at IS NULL"
        ))
        .bind(&numbers)
        .bind(period_code(from))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(reading_from_row)
        .collect()
    }

    #[instrument(level = "debug", skip_all, fields(meter = %meter))]
    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings WHERE meter_number = $1 AND voided_at IS NULL \
             ORDER BY period DESC LIMIT 1"
        ))
        .bind(meter.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(reading_from_row)
        .transpose()
    }

    /// One statement for the whole batch (`UPSERT_ALL`), atomic by itself: without an
    /// answer it is the transaction (one round trip); with one, it and the answer go in one
    /// transaction. Each reading is an `INSERT ... ON CONFLICT (meter_number, period) WHERE
    /// voided_at IS NULL DO UPDATE`, so two concurrent submissions for one meter and period
    /// leave exactly one live row.
    #[instrument(level = "debug", skip_all, fields(count = readings.len()))]
    async fn save_all(
        &self,
        readings: &[Reading],
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let Some(answer) = answer else {
            if !readings.is_empty() {
                write_all(&self.pool, readings).await?;
            }
            return Ok(());
        };
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        if !readings.is_empty() {
            write_all(&mut *tx, readings).await?;
        }
        store_answer(&mut tx, &answer).await?;
        tx.commit().await.map_err(store_error)
    }

    /// One upsert whose `DO UPDATE ... WHERE` applies the rule on the row it locked: a
    /// concurrent cabinet reading is either seen and kept, or written after this one. Without
    /// an answer the statement is its own transaction (one round trip).
    #[instrument(level = "debug", skip_all)]
    async fn save(&self, reading: &Reading, answer: Option<Answer>) -> Result<Saved, StoreError> {
        let sql = format!("{UPSERT} WHERE {REPLACES}");
        let Some(answer) = answer else {
            let written = write(&self.pool, &sql, reading).await?;
            return Ok(if written == 0 {
                Saved::NotReplaced
            } else {
                Saved::Stored
            });
        };
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let written = write(&mut *tx, &sql, reading).await?;
        if written == 0 {
            return Ok(Saved::NotReplaced);
        }
        store_answer(&mut tx, &answer).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(Saved::Stored)
    }

    #[instrument(level = "debug", skip_all, fields(meter = %meter, period = %period))]
    async fn void(
        &self,
        meter: &MeterNumber,
        period: Period,
        voided: &Voided,
    ) -> Result<Option<Reading>, StoreError> {
        sqlx::query(&format!(
            "UPDATE readings SET voided_at = $1, void_reason = $2 \
             WHERE meter_number = $3 AND period = $4 AND voided_at IS NULL \
             RETURNING {COLUMNS}"
        ))
        .bind(voided.at)
        .bind(voided.reason.as_str())
        .bind(meter.as_str())
        .bind(period_code(period))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(reading_from_row)
        .transpose()
    }

    #[instrument(level = "debug", skip_all, fields(account = %account, limit))]
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings WHERE account_number = $1 \
             AND ($2::timestamptz IS NULL OR submitted_at < $2) \
             ORDER BY submitted_at DESC, id DESC LIMIT $3"
        ))
        .bind(account.as_str())
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(reading_from_row)
        .collect()
    }

    async fn export_count(&self, period: Period) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM readings \
             WHERE period = $1 AND source <> 'registry' AND voided_at IS NULL",
        )
        .bind(period_code(period))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed from the database row by row: memory stays flat whatever the period's size.
    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>> {
        sqlx::query(EXPORT)
            .bind(period_code(period))
            .fetch(&self.pool)
            .map(|row| row.map_err(store_error).and_then(|r| reading_from_row(&r)))
            .boxed()
    }
}

/// The export's query, in submission order.
const EXPORT: &str = "SELECT id, account_number, meter_number, period, value_litres, \
     previous_litres, consumption_litres, submitted_at, source, warnings, user_id, \
     submitter_name, submitter_phone, voided_at, void_reason FROM readings \
     WHERE period = $1 AND source <> 'registry' AND voided_at IS NULL \
     ORDER BY submitted_at, id";
