//! Attempt counters behind the abuse limits: one row per counted attempt.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgConnection, Row};
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{AttemptCounter, Limit, LimitState};

use crate::error::store_error;
use crate::pg_store;

pg_store!(
    /// `AttemptCounter` on PostgreSQL: the `attempts` table.
    PgAttemptCounter
);

/// Attempts older than this are deleted, opportunistically, when their key is counted again.
const KEPT_FOR: TimeDelta = TimeDelta::days(1);

/// Counts the key's attempts within the window ending at `now`.
async fn state(
    conn: &mut PgConnection,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<LimitState, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n, min(at) AS oldest FROM attempts WHERE key = $1 AND at > $2",
    )
    .bind(key)
    .bind(now - limit.window)
    .fetch_one(conn)
    .await
    .map_err(store_error)?;
    limit_state(&row, limit, now)
}

/// The state of a limit from a row of `n` (the attempts in the window) and `oldest`.
fn limit_state(
    row: &sqlx::postgres::PgRow,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<LimitState, StoreError> {
    let counted: i64 = row.try_get("n").map_err(store_error)?;
    if counted < i64::from(limit.max) {
        return Ok(LimitState::Allowed);
    }
    let oldest: Option<DateTime<Utc>> = row.try_get("oldest").map_err(store_error)?;
    let retry_after = oldest.map_or(limit.window, |oldest| oldest + limit.window - now);
    Ok(LimitState::Exceeded {
        retry_after: retry_after.max(TimeDelta::zero()),
    })
}

async fn insert(conn: &mut PgConnection, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM attempts WHERE key = $1 AND at < $2")
        .bind(key)
        .bind(now - KEPT_FOR)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    sqlx::query("INSERT INTO attempts (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[async_trait]
impl AttemptCounter for PgAttemptCounter {
    #[instrument(level = "debug", skip_all, fields(max = limit.max))]
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        let found = state(&mut conn, key, limit, now).await?;
        conn.done().await.map_err(store_error)?;
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn count(
        &self,
        key: &str,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let counted: i64 =
            sqlx::query_scalar("SELECT count(*) FROM attempts WHERE key = $1 AND at > $2")
                .bind(key)
                .bind(now - window)
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(u32::try_from(counted).unwrap_or(u32::MAX))
    }

    #[instrument(level = "debug", skip_all)]
    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        insert(&mut tx, key, now).await?;
        tx.commit().await.map_err(store_error)
    }

    /// In one transaction that first takes a transaction-scoped advisory lock on the key, so
    /// concurrent callers under one key count one after another: `BEGIN`, the lock, one
    /// statement that counts and adds, `COMMIT`.
    #[instrument(level = "debug", skip_all, fields(max = limit.max))]
    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // After the lock, one statement counts, prunes and adds: its snapshot is taken with
        // the lock held, so it sees every attempt committed before.
        let row = sqlx::query(
            "WITH expired AS (DELETE FROM attempts WHERE key = $1 AND at < $3), \
             counted AS (SELECT count(*) AS n, min(at) AS oldest FROM attempts \
                 WHERE key = $1 AND at > $2), \
             added AS (INSERT INTO attempts (key, at) SELECT $1, $4 FROM counted WHERE n < $5) \
             SELECT n, oldest FROM counted",
        )
        .bind(key)
        .bind(now - limit.window)
        .bind(now - KEPT_FOR)
        .bind(now)
        .bind(i64::from(limit.max))
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        let found = limit_state(&row, limit, now)?;
        tx.commit().await.map_err(store_error)?;
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM attempts WHERE ctid = \
             (SELECT ctid FROM attempts WHERE key = $1 AND at = $2 LIMIT 1)",
        )
        .bind(key)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[instrument(level = "debug", skip_all)]
    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM attempts WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
