//! Stored values back into domain values, always through the domain's own constructors: a
//! value the domain refuses is `StoreError::Corrupt`.

use std::fmt::Display;
use std::str::FromStr;

use sqlx::Row;
use sqlx::postgres::PgRow;
use vodokanal_app::StoreError;
use vodokanal_domain::{Period, ReadingValue};

use crate::error::store_error;

pub(crate) fn corrupt(column: &str, reason: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {reason}"))
}

/// Reads a column, translating a missing column or a type mismatch.
pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(store_error)
}

/// Reads a text column and parses it with the domain's `FromStr`.
pub(crate) fn parse<T>(row: &PgRow, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: String = get(row, column)?;
    text.parse().map_err(|e| corrupt(column, e))
}

/// Reads a nullable text column and parses it when present.
pub(crate) fn parse_optional<T>(row: &PgRow, column: &str) -> Result<Option<T>, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: Option<String> = get(row, column)?;
    text.map(|t| t.parse().map_err(|e| corrupt(column, e)))
        .transpose()
}

/// A `u64` from a `BIGINT`.
pub(crate) fn unsigned(column: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|e| corrupt(column, e))
}

/// A `BIGINT` from a `u64`; the domain's bounds keep every value in range.
pub(crate) fn signed(column: &str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|e| corrupt(column, e))
}

pub(crate) fn reading_value(column: &str, litres: i64) -> Result<ReadingValue, StoreError> {
    ReadingValue::from_litres(unsigned(column, litres)?).map_err(|e| corrupt(column, e))
}

pub(crate) fn optional_reading_value(
    row: &PgRow,
    column: &str,
) -> Result<Option<ReadingValue>, StoreError> {
    let litres: Option<i64> = get(row, column)?;
    litres.map(|l| reading_value(column, l)).transpose()
}

pub(crate) fn reading_litres(value: ReadingValue) -> Result<i64, StoreError> {
    signed("value_litres", value.litres())
}

/// A period as stored: `year * 100 + month`.
pub(crate) fn period_code(period: Period) -> i32 {
    i32::from(period.year()) * 100 + i32::from(period.month())
}

pub(crate) fn period_from_code(column: &str, code: i32) -> Result<Period, StoreError> {
    format!("{:04}-{:02}", code / 100, code % 100)
        .parse()
        .map_err(|e| corrupt(column, e))
}

/// A 32-byte digest from a `BYTEA`.
pub(crate) fn digest(column: &str, bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|b| corrupt(column, format!("{} bytes, not 32", b.len())))
}
