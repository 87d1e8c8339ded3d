use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, SqliteExecutor};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{ReadingRepository, Saved};
use vodokanal_domain::{
    AccountNumber, AnonymousSubmitter, FullName, MeterNumber, Period, Phone, Reading,
    ReadingSource, ReadingWarning, VoidReason, Voided,
};

use crate::codec::{
    self, corrupt, get, get_instant, get_optional_instant, get_optional_value, get_period,
    get_value, instant, litres, paged, parse, parse_optional,
};
use crate::group::{Undo, work};
use crate::idempotency::store_answer;
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `ReadingRepository` on SQLite.
    SqliteReadingRepository
);

pub(crate) const COLUMNS: &str = "id, account_number, meter_number, period, value_litres, \
     previous_litres, consumption_litres, submitted_at, source, warnings, user_id, \
     submitter_name, submitter_phone, voided_at, void_reason";

/// A new reading replacing the live one of its meter and period, every column but the void's.
const UPSERT: &str = "INSERT INTO readings (id, account_number, meter_number, period, \
     value_litres, previous_litres, consumption_litres, submitted_at, source, warnings, \
     user_id, submitter_name, submitter_phone) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (meter_number, period) WHERE voided_at IS NULL DO UPDATE SET \
         id = excluded.id, account_number = excluded.account_number, \
         value_litres = excluded.value_litres, \
         previous_litres = excluded.previous_litres, \
         consumption_litres = excluded.consumption_litres, \
         submitted_at = excluded.submitted_at, source = excluded.source, \
         warnings = excluded.warnings, user_id = excluded.user_id, \
         submitter_name = excluded.submitter_name, \
         submitter_phone = excluded.submitter_phone";

/// [`UPSERT`] for many readings at once: the rows come as a JSON array of arrays
/// ([`json_row`]), in [`UPSERT`]'s order of columns (`WHERE true` tells SQLite's parser that
/// `ON CONFLICT` is the upsert's, not the join's).
static UPSERT_EACH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns = (0..13)
        .map(|i| format!("json_extract(value, '$[{i}]')"))
        .collect::<Vec<_>>()
        .join(", ");
    UPSERT.replace(
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &format!("SELECT {columns} FROM json_each(?) WHERE true"),
    )
});

/// A reading as a row of [`UPSERT_EACH`]: the values [`write`] binds, in its order.
fn json_row(reading: &Reading) -> serde_json::Value {
    serde_json::json!([
        reading.id.to_string(),
        reading.account_number.as_str(),
        reading.meter_number.as_str(),
        codec::period(reading.period),
        litres(reading.value),
        reading.previous_value.map(litres),
        reading.consumption.map(litres),
        instant(reading.submitted_at),
        reading.source.code(),
        warnings(reading),
        reading.user_id.map(|u| u.to_string()),
        reading.submitter.as_ref().map(|s| s.full_name.as_str()),
        reading.submitter.as_ref().map(|s| s.phone.as_str()),
    ])
}

/// [`UPSERT`] under the rule of [`REPLACES`]: an anonymous reading's.
static UPSERT_REPLACING: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{UPSERT} WHERE {REPLACES}"));

/// `ReadingSource::replaces` in SQL: the new reading (`excluded`) replaces the live one unless
/// it is anonymous over a cabinet reading, or the registry's over a subscriber's.
const REPLACES: &str = "NOT ((excluded.source = 'anonymous' AND readings.source = 'cabinet') \
     OR (excluded.source = 'registry' AND readings.source <> 'registry'))";

pub(crate) fn reading(row: &SqliteRow) -> Result<Reading, StoreError> {
    let source: String = get(row, "source")?;
    let warnings: String = get(row, "warnings")?;
    let name: Option<FullName> = parse_optional(row, "submitter_name")?;
    let phone: Option<Phone> = parse_optional(row, "submitter_phone")?;
    Ok(Reading {
        id: parse(row, "id")?,
        account_number: parse(row, "account_number")?,
        meter_number: parse(row, "meter_number")?,
        value: get_value(row, "value_litres")?,
        previous_value: get_optional_value(row, "previous_litres")?,
        consumption: get_optional_value(row, "consumption_litres")?,
        period: get_period(row, "period")?,
        submitted_at: get_instant(row, "submitted_at")?,
        source: ReadingSource::from_code(&source)
            .ok_or_else(|| corrupt("source", format!("unknown source {source:?}")))?,
        warnings: warnings
            .split(',')
            .filter(|code| !code.is_empty())
            .map(|code| {
                ReadingWarning::from_code(code)
                    .ok_or_else(|| corrupt("warnings", format!("unknown warning {code:?}")))
            })
            .collect::<Result<_, _>>()?,
        user_id: parse_optional(row, "user_id")?,
        submitter: match (name, phone) {
            (Some(full_name), Some(phone)) => Some(AnonymousSubmitter { full_name, phone }),
            (None, None) => None,
            _ => return Err(corrupt("submitter_name", "name and phone go together")),
        },
        voided: voided(row)?,
    })
}

fn voided(row: &SqliteRow) -> Result<Option<Voided>, StoreError> {
    let at = get_optional_instant(row, "voided_at")?;
    let reason: Option<VoidReason> = parse_optional(row, "void_reason")?;
    match (at, reason) {
        (Some(at), Some(reason)) => Ok(Some(Voided { at, reason })),
        (None, None) => Ok(None),
        _ => Err(corrupt(
            "voided_at",
            "the time and reason of a void go together",
        )),
    }
}

/// Writes `reading` with `sql` ([`UPSERT`], and a condition): the number of rows written.
async fn write<'e>(
    executor: impl SqliteExecutor<'e>,
    sql: &str,
    reading: &Reading,
) -> Result<u64, StoreError> {
    sqlx::query::<Sqlite>(sql)
        .bind(reading.id.to_string())
        .bind(reading.account_number.as_str())
        .bind(reading.meter_number.as_str())
        .bind(codec::period(reading.period))
        .bind(litres(reading.value))
        .bind(reading.previous_value.map(litres))
        .bind(reading.consumption.map(litres))
        .bind(instant(reading.submitted_at))
        .bind(reading.source.code())
        .bind(warnings(reading))
        .bind(reading.user_id.map(|u| u.to_string()))
        .bind(
            reading
                .submitter
                .as_ref()
                .map(|s| s.full_name.as_str().to_owned()),
        )
        .bind(
            reading
                .submitter
                .as_ref()
                .map(|s| s.phone.as_str().to_owned()),
        )
        .execute(executor)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
}

/// How a write with `answer` is undone in its group: the upsert alone is one statement; with
/// the answer it is two, in a savepoint.
fn undo(answer: Option<&Answer>) -> Undo {
    if answer.is_some() {
        Undo::Savepoint
    } else {
        Undo::Statement
    }
}

fn warnings(reading: &Reading) -> String {
    reading
        .warnings
        .iter()
        .map(|w| w.code())
        .collect::<Vec<_>>()
        .join(",")
}

#[async_trait]
impl ReadingRepository for SqliteReadingRepository {
    /// One statement: the meters come as a JSON array (`json_each`), each one's latest
    /// earlier period by the live `(meter_number, period)` index.
    #[tracing::instrument(skip_all, fields(meters = meters.len(), period = %period))]
    async fn last_before_each(
        &self,
        meters: &[MeterNumber],
        period: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let numbers: Vec<&str> = meters.iter().map(MeterNumber::as_str).collect();
        let numbers = serde_json::to_string(&numbers)
            .map_err(|e| StoreError::Corrupt(format!("meter numbers: {e}")))?;
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings r \
             WHERE r.meter_number IN (SELECT value FROM json_each(?1)) \
             AND r.voided_at IS NULL \
             AND r.period = (SELECT max(period) FROM readings \
                 WHERE meter_number = r.meter_number AND period < ?2 AND voided_at IS NULL)"
        ))
        .bind(numbers)
        .bind(codec::period(period))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?
        .iter()
        .map(reading)
        .collect()
    }

    /// One statement: the meters come as a JSON array (`json_each`), each one's periods by the
    /// live `(meter_number, period)` index.
    #[tracing::instrument(skip_all, fields(meters = meters.len(), from = %from))]
    async fn live_since_each(
        &self,
        meters: &[MeterNumber],
        from: Period,
    ) -> Result<Vec<Reading>, StoreError> {
        let numbers: Vec<&str> = meters.iter().map(MeterNumber::as_str).collect();
        let numbers = serde_json::to_string(&numbers)
            .map_err(|e| StoreError::Corrupt(format!("meter numbers: {e}")))?;
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings \
             WHERE meter_number IN (SELECT value FROM json_each(?1)) \
             AND period >= ?2 AND voided_at IS NULL"
        ))
        .bind(numbers)
        .bind(codec::period(from))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?
        .iter()
        .map(reading)
        .collect()
    }

    #[tracing::instrument(skip_all, fields(meter = %meter))]
    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings WHERE meter_number = ? AND voided_at IS NULL \
             ORDER BY period DESC LIMIT 1"
        ))
        .bind(meter.as_str())
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?;
        row.as_ref().map(reading).transpose()
    }

    /// One statement for the whole batch, its rows a JSON array (`json_each`), in the group
    /// commit (`group.rs`); with an answer, the two statements in a savepoint of it. Either
    /// way all the readings are stored or none. Each statement on SQLite is a round trip to
    /// the connection's thread, which costs more than the statement.
    #[tracing::instrument(skip_all, fields(count = readings.len()))]
    async fn save_all(
        &self,
        readings: &[Reading],
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let rows = serde_json::to_string(&readings.iter().map(json_row).collect::<Vec<_>>())
            .map_err(|e| StoreError::Corrupt(format!("readings: {e}")))?;
        self.group
            .write(
                undo(answer.as_ref()),
                work(move |connection| {
                    Box::pin(async move {
                        sqlx::query::<Sqlite>(&UPSERT_EACH)
                            .bind(rows)
                            .execute(&mut *connection)
                            .await
                            .map_err(store_error)?;
                        match &answer {
                            Some(answer) => store_answer(connection, answer).await,
                            None => Ok(()),
                        }
                    })
                }),
            )
            .await
    }

    /// One upsert whose `DO UPDATE ... WHERE` applies the rule: a row written or none, decided
    /// under SQLite's write lock, in the group commit; with an answer, the two statements in
    /// a savepoint of it.
    #[tracing::instrument(skip_all)]
    async fn save(&self, reading: &Reading, answer: Option<Answer>) -> Result<Saved, StoreError> {
        let reading = reading.clone();
        self.group
            .write(
                undo(answer.as_ref()),
                work(move |connection| {
                    Box::pin(async move {
                        if write(&mut *connection, &UPSERT_REPLACING, &reading).await? == 0 {
                            return Ok(Saved::NotReplaced);
                        }
                        if let Some(answer) = &answer {
                            store_answer(connection, answer).await?;
                        }
                        Ok(Saved::Stored)
                    })
                }),
            )
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn void(
        &self,
        meter: &MeterNumber,
        period: Period,
        voided: &Voided,
    ) -> Result<Option<Reading>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE readings SET voided_at = ?, void_reason = ? \
             WHERE meter_number = ? AND period = ? AND voided_at IS NULL \
             RETURNING {COLUMNS}"
        ))
        .bind(instant(voided.at))
        .bind(voided.reason.as_str())
        .bind(meter.as_str())
        .bind(codec::period(period))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(reading).transpose()
    }

    #[tracing::instrument(skip_all, fields(account = %account, limit))]
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM readings \
             WHERE account_number = ?1 AND (?2 IS NULL OR submitted_at < ?2) \
             ORDER BY submitted_at DESC, id DESC LIMIT ?3"
        ))
        .bind(account.as_str())
        .bind(before.map(instant))
        .bind(i64::from(limit))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter().map(reading).collect()
    }

    async fn export_count(&self, period: Period) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM readings \
             WHERE period = ? AND source <> 'registry' AND voided_at IS NULL",
        )
        .bind(codec::period(period))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed page by page in `(submitted_at, id)` order.
    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>> {
        let pool = self.pool.clone();
        let period = codec::period(period);
        paged(move |after: Option<(String, String)>, page| {
            let pool = pool.clone();
            async move {
                let (at, id) = after.unwrap_or_default();
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM readings \
                     WHERE period = ? AND source <> 'registry' AND voided_at IS NULL \
                     AND (submitted_at, id) > (?, ?) \
                     ORDER BY submitted_at, id LIMIT ?"
                ))
                .bind(period)
                .bind(at)
                .bind(id)
                .bind(page)
                .fetch_all(&pool)
                .await
                .map_err(store_error)?;
                rows.iter()
                    .map(|row| {
                        let item = reading(row)?;
                        let key = (instant(item.submitted_at), item.id.to_string());
                        Ok((item, key))
                    })
                    .collect()
            }
        })
    }
}
