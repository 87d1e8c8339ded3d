use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{IdempotencyRecordKey, StoredResponse};
use vodokanal_app::ports::{Claim, IdempotencyStore};

use crate::codec::{corrupt, get, get_digest, get_instant, instant};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `IdempotencyStore` on SQLite.
    SqliteIdempotencyStore
);

/// How many times a claim is retried when another request changed the record between two of
/// its statements (released it, or replaced an expired one).
const CLAIM_ROUNDS: usize = 5;

#[async_trait]
impl IdempotencyStore for SqliteIdempotencyStore {
    /// `INSERT … ON CONFLICT DO NOTHING` decides between concurrent claims of a new key (one
    /// row is inserted, once); an expired record is replaced by a conditional `UPDATE` on its
    /// creation time, which again only one claim can win.
    #[tracing::instrument(skip_all, fields(endpoint = %key.endpoint))]
    async fn claim(
        &self,
        key: &IdempotencyRecordKey,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        for _ in 0..CLAIM_ROUNDS {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_records (caller, endpoint, key, fingerprint, created_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .bind(fingerprint.as_slice())
            .bind(instant(now))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Started);
            }
            let Some(row) = sqlx::query(
                "SELECT fingerprint, created_at, response_status, response_body \
                 FROM idempotency_records WHERE caller = ? AND endpoint = ? AND key = ?",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            else {
                continue;
            };
            if get_instant(&row, "created_at")? < expired_before {
                let created_at: String = get(&row, "created_at")?;
                let replaced = sqlx::query(
                    "UPDATE idempotency_records SET fingerprint = ?, created_at = ?, \
                         response_status = NULL, response_body = NULL \
                     WHERE caller = ? AND endpoint = ? AND key = ? AND created_at = ?",
                )
                .bind(fingerprint.as_slice())
                .bind(instant(now))
                .bind(&key.caller)
                .bind(&key.endpoint)
                .bind(&key.key)
                .bind(created_at)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                if replaced.rows_affected() == 1 {
                    return Ok(Claim::Started);
                }
                continue;
            }
            if &get_digest(&row, "fingerprint")? != fingerprint {
                return Ok(Claim::Mismatch);
            }
            let status: Option<i64> = get(&row, "response_status")?;
            let Some(status) = status else {
                return Ok(Claim::InProgress);
            };
            let body: Option<Vec<u8>> = get(&row, "response_body")?;
            return Ok(Claim::Completed(StoredResponse {
                status: u16::try_from(status).map_err(|e| corrupt("response_status", e))?,
                body: body.unwrap_or_default(),
            }));
        }
        Err(StoreError::Unavailable(
            "the idempotency record kept changing under the claim".into(),
        ))
    }

    #[tracing::instrument(skip_all, fields(endpoint = %key.endpoint, status = response.status))]
    async fn complete(
        &self,
        key: &IdempotencyRecordKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_records SET response_status = ?, response_body = ? \
             WHERE caller = ? AND endpoint = ? AND key = ?",
        )
        .bind(i64::from(response.status))
        .bind(response.body.as_slice())
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(endpoint = %key.endpoint))]
    async fn release(&self, key: &IdempotencyRecordKey) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_records WHERE caller = ? AND endpoint = ? AND key = ?",
        )
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}
