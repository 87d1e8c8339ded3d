use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, Claimed, StoredResponse};
use vodokanal_app::ports::{Claim, ClaimCutoffs, IdempotencyStore};

use crate::codec::{corrupt, get, get_digest, get_instant, instant};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `IdempotencyStore` on SQLite.
    SqliteIdempotencyStore
);

/// How many times a claim is retried when another request changed the record between two of
/// its statements (released it, answered it, replaced an expired one or took it over).
const CLAIM_ROUNDS: usize = 5;

/// Writes a request's answer on `conn`, inside the transaction of the write it answers: only
/// while the request still holds its claim (its token) and the key has no answer yet.
pub(crate) async fn store_answer(
    conn: &mut SqliteConnection,
    answer: &Answer,
) -> Result<(), StoreError> {
    let key = &answer.claim.record;
    let stored = sqlx::query(
        "UPDATE idempotency_records SET response_status = ?, response_body = ? \
         WHERE caller = ? AND endpoint = ? AND key = ? AND claim_token = ? \
         AND response_status IS NULL",
    )
    .bind(i64::from(answer.response.status))
    .bind(answer.response.body.as_slice())
    .bind(&key.caller)
    .bind(&key.endpoint)
    .bind(&key.key)
    .bind(answer.claim.token.as_bytes().as_slice())
    .execute(conn)
    .await
    .map_err(store_error)?;
    if stored.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::ClaimLost)
    }
}

impl SqliteIdempotencyStore {
    /// Gives the key's record, as read (`created_at` is `seen`), to `claim`: the caller found
    /// it `expired`, or else an abandoned claim, which only goes while it has no answer.
    /// `false` when it changed meanwhile (another claimer replaced it, or the abandoned claim
    /// got its answer after all).
    async fn replace(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        seen: &str,
        expired: bool,
    ) -> Result<bool, StoreError> {
        let key = &claim.record;
        let replaced = sqlx::query(
            "UPDATE idempotency_records SET fingerprint = ?, created_at = ?, \
                 response_status = NULL, response_body = NULL, claim_token = ? \
             WHERE caller = ? AND endpoint = ? AND key = ? AND created_at = ? \
             AND (response_status IS NULL OR ?)",
        )
        .bind(fingerprint.as_slice())
        .bind(instant(now))
        .bind(claim.token.as_bytes().as_slice())
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .bind(seen)
        .bind(expired)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(replaced.rows_affected() == 1)
    }
}

#[async_trait]
impl IdempotencyStore for SqliteIdempotencyStore {
    /// `INSERT … ON CONFLICT DO NOTHING` decides between concurrent claims of a new key (one
    /// row is inserted, once); an expired record or an abandoned claim is replaced by a
    /// conditional `UPDATE` on its creation time, which again only one claim can win.
    #[tracing::instrument(skip_all, fields(endpoint = %claim.record.endpoint))]
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError> {
        let key = &claim.record;
        let token = claim.token.as_bytes().as_slice();
        for _ in 0..CLAIM_ROUNDS {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_records \
                 (caller, endpoint, key, fingerprint, created_at, claim_token) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&key.caller)
            .bind(&key.endpoint)
            .bind(&key.key)
            .bind(fingerprint.as_slice())
            .bind(instant(now))
            .bind(token)
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
            let created_at = get_instant(&row, "created_at")?;
            let created_text: String = get(&row, "created_at")?;
            if created_at < cutoffs.expired_before {
                if self
                    .replace(claim, fingerprint, now, &created_text, true)
                    .await?
                {
                    return Ok(Claim::Started);
                }
                continue;
            }
            if &get_digest(&row, "fingerprint")? != fingerprint {
                return Ok(Claim::Mismatch);
            }
            let status: Option<i64> = get(&row, "response_status")?;
            if let Some(status) = status {
                let body: Option<Vec<u8>> = get(&row, "response_body")?;
                return Ok(Claim::Completed(StoredResponse {
                    status: u16::try_from(status).map_err(|e| corrupt("response_status", e))?,
                    body: body.unwrap_or_default(),
                }));
            }
            if created_at >= cutoffs.abandoned_before {
                return Ok(Claim::InProgress);
            }
            if self
                .replace(claim, fingerprint, now, &created_text, false)
                .await?
            {
                return Ok(Claim::TakenOver);
            }
            // Answered, released or taken over by another retry meanwhile: look again.
        }
        Err(StoreError::Unavailable(
            "the idempotency record kept changing under the claim".into(),
        ))
    }

    #[tracing::instrument(skip_all, fields(endpoint = %answer.claim.record.endpoint, status = answer.response.status))]
    async fn complete(&self, answer: &Answer) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        store_answer(&mut conn, answer).await
    }

    #[tracing::instrument(skip_all, fields(endpoint = %claim.record.endpoint))]
    async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        let key = &claim.record;
        sqlx::query(
            "DELETE FROM idempotency_records WHERE caller = ? AND endpoint = ? AND key = ? \
             AND claim_token = ? AND response_status IS NULL",
        )
        .bind(&key.caller)
        .bind(&key.endpoint)
        .bind(&key.key)
        .bind(claim.token.as_bytes().as_slice())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}
