//! Values to and from SQLite's columns. Every row becomes a domain value through the domain's
//! own constructors; a column the domain refuses is `StoreError::Corrupt`.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_domain::{Period, ReadingValue};

use crate::store_error;

pub(crate) fn corrupt(column: &str, reason: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {reason}"))
}

/// An instant as stored: RFC 3339 UTC with six fractional digits, so that text order is time
/// order.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(crate) fn time(at: NaiveTime) -> String {
    at.format("%H:%M").to_string()
}

pub(crate) fn period(period: Period) -> i64 {
    i64::from(period.year()) * 100 + i64::from(period.month())
}

pub(crate) fn litres(value: ReadingValue) -> i64 {
    i64::try_from(value.litres()).unwrap_or(i64::MAX)
}

/// Reads a column, failing as corrupt.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(store_error)
}

/// Reads a text column and parses it with the domain's `FromStr`.
pub(crate) fn parse<T>(row: &SqliteRow, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: String = get(row, column)?;
    text.parse().map_err(|e| corrupt(column, e))
}

pub(crate) fn parse_optional<T>(row: &SqliteRow, column: &str) -> Result<Option<T>, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: Option<String> = get(row, column)?;
    text.map(|t| t.parse().map_err(|e| corrupt(column, e)))
        .transpose()
}

pub(crate) fn parse_instant(column: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(column, e))
}

pub(crate) fn get_instant(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    let text: String = get(row, column)?;
    parse_instant(column, &text)
}

pub(crate) fn get_optional_instant(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = get(row, column)?;
    text.map(|t| parse_instant(column, &t)).transpose()
}

pub(crate) fn parse_date(column: &str, text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| corrupt(column, e))
}

pub(crate) fn get_date(row: &SqliteRow, column: &str) -> Result<NaiveDate, StoreError> {
    let text: String = get(row, column)?;
    parse_date(column, &text)
}

pub(crate) fn get_optional_date(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> = get(row, column)?;
    text.map(|t| parse_date(column, &t)).transpose()
}

pub(crate) fn get_time(row: &SqliteRow, column: &str) -> Result<NaiveTime, StoreError> {
    let text: String = get(row, column)?;
    NaiveTime::parse_from_str(&text, "%H:%M").map_err(|e| corrupt(column, e))
}

pub(crate) fn get_period(row: &SqliteRow, column: &str) -> Result<Period, StoreError> {
    let number: i64 = get(row, column)?;
    format!("{:04}-{:02}", number / 100, number % 100)
        .parse()
        .map_err(|e| corrupt(column, e))
}

pub(crate) fn to_value(column: &str, litres: i64) -> Result<ReadingValue, StoreError> {
    u64::try_from(litres)
        .map_err(|e| corrupt(column, e))
        .and_then(|l| ReadingValue::from_litres(l).map_err(|e| corrupt(column, e)))
}

pub(crate) fn get_value(row: &SqliteRow, column: &str) -> Result<ReadingValue, StoreError> {
    let litres: i64 = get(row, column)?;
    to_value(column, litres)
}

pub(crate) fn get_optional_value(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<ReadingValue>, StoreError> {
    let litres: Option<i64> = get(row, column)?;
    litres.map(|l| to_value(column, l)).transpose()
}

pub(crate) fn get_digest(row: &SqliteRow, column: &str) -> Result<[u8; 32], StoreError> {
    let bytes: Vec<u8> = get(row, column)?;
    bytes
        .try_into()
        .map_err(|_| corrupt(column, "not 32 bytes"))
}

/// How many rows an export reads at a time.
const PAGE: usize = 1000;

/// A stream read page by page in the order of a unique key (keyset pagination): memory stays
/// constant whatever the size, no read transaction stays open between pages, and the stream
/// owns what it needs (`'static`). `fetch(after)` reads the next page after the key `after`
/// (`None`: from the start), at most [`PAGE`] rows, each with its key.
pub(crate) fn paged<T, K, F, Fut>(fetch: F) -> BoxStream<'static, Result<T, StoreError>>
where
    T: Send + 'static,
    K: Send + 'static,
    F: FnMut(Option<K>, i64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<(T, K)>, StoreError>> + Send + 'static,
{
    struct State<F, K> {
        fetch: F,
        after: Option<K>,
        done: bool,
    }
    let page = i64::try_from(PAGE).unwrap_or(i64::MAX);
    stream::unfold(
        State {
            fetch,
            after: None,
            done: false,
        },
        move |mut state| async move {
            if state.done {
                return None;
            }
            match (state.fetch)(state.after.take(), page).await {
                Err(e) => {
                    state.done = true;
                    Some((stream::iter(vec![Err(e)]), state))
                }
                Ok(rows) => {
                    state.done = rows.len() < PAGE;
                    let mut items = Vec::with_capacity(rows.len());
                    for (item, key) in rows {
                        items.push(Ok(item));
                        state.after = Some(key);
                    }
                    if items.is_empty() {
                        return None;
                    }
                    Some((stream::iter(items), state))
                }
            }
        },
    )
    .flatten()
    .boxed()
}
