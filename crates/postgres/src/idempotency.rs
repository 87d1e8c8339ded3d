//! `Idempotency-Key` records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, Claimed, StoredResponse};
use vodokanal_app::ports::{Claim, ClaimCutoffs, IdempotencyStore};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::corrupt;

pg_store!(
    /// `IdempotencyStore` on PostgreSQL: the `idempotency_records` table.
    PgIdempotencyStore
);

/// A claim races at most with a `release`, an expiry replacement or a takeover between its
/// steps; after this many rounds the store is considered overloaded.
const CLAIM_ROUNDS: usize = 5;

/// Writes a request's answer on `conn`, inside the transaction of the write it answers: only
/// while the request still holds its claim (its token) and the key has no answer yet.
pub(crate) async fn store_answer(
    conn: &mut PgConnection,
    answer: &Answer,
) -> Result<(), StoreError> {
    let key = &answer.claim.record;
    let stored = sqlx::query(
        "UPDATE idempotency_records SET response_status = $4, response_body = $5 \
         WHERE caller = $1 AND endpoint = $2 AND key = $3 AND claim_token = $6 \
         AND response_status IS NULL",
    )
    .bind(&key.caller)
    .bind(&key.endpoint)
    .bind(&key.key)
    .bind(i32::from(answer.response.status))
    .bind(&answer.response.body)
    .bind(&answer.claim.token.as_bytes()[..])
    .execute(conn)
    .await
    .map_err(store_error)?;
    if stored.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::ClaimLost)
    }
}

impl PgIdempotencyStore {
    /// Gives the key's record to `claim` if it expired or is an abandoned claim (no answer),
    /// decided in the `UPDATE` itself: of concurrent claimers, one replaces it.
    async fn replace(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<bool, StoreError> {
        let key = &claim.record;
        let replaced = sqlx::query(
            "UPDATE idempotency_records SET fingerprint = $4, created_at = $5, \
             response_status = NULL, response_body = NULL, claim_token = $6 \
             WHERE caller = $1 AND endpoint = $2 AND key = $3 \
             AND (created_at < $7 OR (created_at < $8 AND response_status IS NULL))",
        )
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .bind(&fingerprint[..])
        .bind(now)
        .bind(&claim.token.as_bytes()[..])
        .bind(cutoffs.expired_before)
        .bind(cutoffs.abandoned_before)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(replaced.rows_affected() == 1)
    }
}

#[async_trait]
impl IdempotencyStore for PgIdempotencyStore {
    /// `INSERT ... ON CONFLICT DO NOTHING` decides between concurrent claims: the one whose
    /// row went in gets `Started`. An expired record or an abandoned claim is replaced by a
    /// conditional `UPDATE`, which again only one claimer wins.
    #[instrument(level = "debug", skip_all, fields(endpoint = %claim.record.endpoint))]
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError> {
        let key = &claim.record;
        let token = &claim.token.as_bytes()[..];
        for _ in 0..CLAIM_ROUNDS {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_records \
                 (caller, endpoint, key, fingerprint, created_at, claim_token) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .bind(&fingerprint[..])
            .bind(now)
            .bind(token)
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
            if created_at < cutoffs.expired_before {
                if self.replace(claim, fingerprint, now, cutoffs).await? {
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
            if let Some(status) = status {
                let body: Option<Vec<u8>> = row.try_get("response_body").map_err(store_error)?;
                return Ok(Claim::Completed(StoredResponse {
                    status: u16::try_from(status).map_err(|e| corrupt("response_status", e))?,
                    body: body.unwrap_or_default(),
                }));
            }
            if created_at >= cutoffs.abandoned_before {
                return Ok(Claim::InProgress);
            }
            if self.replace(claim, fingerprint, now, cutoffs).await? {
                return Ok(Claim::TakenOver);
            }
            // Answered, released or taken over by another retry meanwhile: look again.
        }
        Err(StoreError::Unavailable(
            "the idempotency key kept changing under the claim".into(),
        ))
    }

    #[instrument(level = "debug", skip_all, fields(endpoint = %answer.claim.record.endpoint, status = answer.response.status))]
    async fn complete(&self, answer: &Answer) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        store_answer(&mut conn, answer).await?;
        conn.done().await.map_err(store_error)
    }

    #[instrument(level = "debug", skip_all, fields(endpoint = %claim.record.endpoint))]
    async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        let key = &claim.record;
        sqlx::query(
            "DELETE FROM idempotency_records WHERE caller = $1 AND endpoint = $2 AND key = $3 \
             AND claim_token = $4 AND response_status IS NULL",
        )
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .bind(&claim.token.as_bytes()[..])
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}
