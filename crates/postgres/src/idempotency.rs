//! `Idempotency-Key` records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{IdempotencyRecordKey, StoredResponse};
use vodokanal_app::ports::{Claim, IdempotencyStore};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::corrupt;

pg_store!(
    /// `IdempotencyStore` on PostgreSQL: the `idempotency_records` table.
    PgIdempotencyStore
);

/// A claim races at most with a `release` or an expiry replacement between its steps; after
/// this many rounds the store is considered overloaded.
const CLAIM_ROUNDS: usize = 5;

#[async_trait]
impl IdempotencyStore for PgIdempotencyStore {
    /// `INSERT ... ON CONFLICT DO NOTHING` decides between concurrent claims: the one whose
    /// row went in gets `Started`. An expired record is replaced by a conditional `UPDATE`,
    /// which again only one claimer wins.
    #[instrument(skip_all, fields(endpoint = %key.endpoint))]
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
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .bind(&fingerprint[..])
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Started);
            }
            let row = sqlx::query(
                "SELECT fingerprint, created_at, response_status, response_body \
                 FROM idempotency_records WHERE caller = $1 AND endpoint = $2 AND key = $3",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
            // Released between the two statements: claim again.
            let Some(row) = row else { continue };
            let created_at: DateTime<Utc> = row.try_get("created_at").map_err(store_error)?;
            if created_at < expired_before {
                let replaced = sqlx::query(
                    "UPDATE idempotency_records SET fingerprint = $4, created_at = $5, \
                     response_status = NULL, response_body = NULL \
                     WHERE caller = $1 AND endpoint = $2 AND key = $3 AND created_at < $6",
                )
                .bind(&key.caller)
                .bind(&key.endpoint)
                .bind(&key.key)
                .bind(&fingerprint[..])
                .bind(now)
                .bind(expired_before)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
                if replaced.rows_affected() == 1 {
                    return Ok(Claim::Started);
                }
                // Another claimer replaced it first: look again.
                continue;
            }
            let stored: Vec<u8> = row.try_get("fingerprint").map_err(store_error)?;
            if stored.as_slice() != fingerprint.as_slice() {
                return Ok(Claim::Mismatch);
            }
            let status: Option<i32> = row.try_get("response_status").map_err(store_error)?;
            let Some(status) = status else {
                return Ok(Claim::InProgress);
            };
            let body: Option<Vec<u8>> = row.try_get("response_body").map_err(store_error)?;
            return Ok(Claim::Completed(StoredResponse {
                status: u16::try_from(status).map_err(|e| corrupt("response_status", e))?,
                body: body.unwrap_or_default(),
            }));
        }
        Err(StoreError::Unavailable(
            "the idempotency key kept changing under the claim".into(),
        ))
    }

    #[instrument(skip_all, fields(endpoint = %key.endpoint, status = response.status))]
    async fn complete(
        &self,
        key: &IdempotencyRecordKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_records SET response_status = $4, response_body = $5 \
             WHERE caller = $1 AND endpoint = $2 AND key = $3",
        )
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .bind(i32::from(response.status))
        .bind(&response.body)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[instrument(skip_all, fields(endpoint = %key.endpoint))]
    async fn release(&self, key: &IdempotencyRecordKey) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_records WHERE caller = $1 AND endpoint = $2 AND key = $3",
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
