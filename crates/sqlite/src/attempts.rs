use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::SqliteExecutor;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{AttemptCounter, Limit, LimitState};

use crate::codec::{corrupt, instant};
use crate::group::{Undo, work};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `AttemptCounter` on SQLite: one row per attempt.
    SqliteAttemptCounter
);

/// How many times `acquire` counts when the window moves on between its count and its read.
const ACQUIRE_ROUNDS: usize = 3;

/// The attempts under `key` within the window ending at `now`.
async fn state<'e>(
    executor: impl SqliteExecutor<'e>,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<LimitState, StoreError> {
    let (count, oldest): (i64, Option<String>) =
        sqlx::query_as("SELECT COUNT(*), MIN(at) FROM attempts WHERE key = ? AND at > ?")
            .bind(key)
            .bind(instant(now - limit.window))
            .fetch_one(executor)
            .await
            .map_err(store_error)?;
    if count < i64::from(limit.max) {
        return Ok(LimitState::Allowed);
    }
    let oldest = oldest
        .as_deref()
        .map(DateTime::parse_from_rfc3339)
        .transpose()
        .map_err(|e| corrupt("at", e))?
        .map_or(now, |t| t.with_timezone(&Utc));
    Ok(LimitState::Exceeded {
        retry_after: oldest + limit.window - now,
    })
}

async fn insert<'e>(
    executor: impl SqliteExecutor<'e>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO attempts (key, at) VALUES (?, ?)")
        .bind(key)
        .bind(instant(now))
        .execute(executor)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[async_trait]
impl AttemptCounter for SqliteAttemptCounter {
    #[tracing::instrument(skip_all, fields(max = limit.max))]
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        state(&self.pool, key, limit, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn count(
        &self,
        key: &str,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let counted: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM attempts WHERE key = ? AND at > ?")
                .bind(key)
                .bind(instant(now - window))
                .fetch_one(&self.reads)
                .await
                .map_err(store_error)?;
        Ok(u32::try_from(counted).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(skip_all)]
    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        insert(&self.pool, key, now).await
    }

    /// Counts and inserts in one statement, in the group commit (`group.rs`): SQLite lets one
    /// writer in at a time and the group runs its writes one after another, so no two callers
    /// can count the same attempts. Refused, a second read tells when the limit frees up;
    /// should the window have moved on in between, it counts again (at most `ACQUIRE_ROUNDS`
    /// times).
    #[tracing::instrument(skip_all, fields(max = limit.max))]
    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let mut found = LimitState::Exceeded {
            retry_after: TimeDelta::zero(),
        };
        for _ in 0..ACQUIRE_ROUNDS {
            let (key_owned, at, since) =
                (key.to_owned(), instant(now), instant(now - limit.window));
            let inserted = self
                .group
                .write(
                    Undo::Statement,
                    work(move |connection| {
                        Box::pin(async move {
                            sqlx::query(
                                "INSERT INTO attempts (key, at) SELECT ?1, ?2 \
                                 WHERE (SELECT COUNT(*) FROM attempts \
                                 WHERE key = ?1 AND at > ?3) < ?4",
                            )
                            .bind(key_owned)
                            .bind(at)
                            .bind(since)
                            .bind(i64::from(limit.max))
                            .execute(connection)
                            .await
                            .map(|done| done.rows_affected())
                            .map_err(store_error)
                        })
                    }),
                )
                .await?;
            if inserted == 1 {
                return Ok(LimitState::Allowed);
            }
            found = state(&self.reads, key, limit, now).await?;
            if found != LimitState::Allowed {
                break;
            }
        }
        Ok(found)
    }

    #[tracing::instrument(skip_all)]
    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM attempts WHERE rowid = \
             (SELECT rowid FROM attempts WHERE key = ? AND at = ? LIMIT 1)",
        )
        .bind(key)
        .bind(instant(at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM attempts WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
