//! One-time codes waiting for confirmation, one per phone and purpose.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::CodeRepository;
use vodokanal_domain::{CodeDigest, CodePurpose, PendingCode, Phone};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::{corrupt, digest, get, parse, parse_optional};

pg_store!(
    /// `CodeRepository` on PostgreSQL: the `pending_codes` table.
    PgCodeRepository
);

fn code_from_row(row: &PgRow) -> Result<PendingCode, StoreError> {
    let purpose: String = get(row, "purpose")?;
    let stored_digest: Option<Vec<u8>> = get(row, "digest")?;
    let failed: i32 = get(row, "failed_attempts")?;
    Ok(PendingCode {
        phone: parse(row, "phone")?,
        purpose: CodePurpose::from_code(&purpose)
            .ok_or_else(|| corrupt("purpose", format!("unknown purpose {purpose:?}")))?,
        digest: stored_digest
            .map(|d| digest("digest", d).map(CodeDigest))
            .transpose()?,
        email: parse_optional(row, "email")?,
        sent_at: get(row, "sent_at")?,
        expires_at: get(row, "expires_at")?,
        failed_attempts: u32::try_from(failed).map_err(|e| corrupt("failed_attempts", e))?,
    })
}

/// Stores `code`, replacing the earlier one of its phone and purpose (also in the outbox's
/// transaction).
pub(crate) async fn put_code(
    conn: &mut sqlx::PgConnection,
    code: &PendingCode,
) -> Result<(), StoreError> {
    upsert(conn, code, None).await.map(|_| ())
}

/// Stores `code` unless the earlier code of its phone and purpose was sent after
/// `pause_since`: whether it was stored. A request at the same moment waits for the other's
/// row and then sees it.
pub(crate) async fn put_code_after_pause(
    conn: &mut sqlx::PgConnection,
    code: &PendingCode,
    pause_since: DateTime<Utc>,
) -> Result<bool, StoreError> {
    upsert(conn, code, Some(pause_since)).await
}

async fn upsert(
    conn: &mut sqlx::PgConnection,
    code: &PendingCode,
    pause_since: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let failed = i32::try_from(code.failed_attempts).unwrap_or(i32::MAX);
    let guard = if pause_since.is_some() {
        " WHERE pending_codes.sent_at <= $8"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO pending_codes \
         (phone, purpose, digest, email, sent_at, expires_at, failed_attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (phone, purpose) DO UPDATE SET digest = EXCLUDED.digest, \
         email = EXCLUDED.email, sent_at = EXCLUDED.sent_at, \
         expires_at = EXCLUDED.expires_at, failed_attempts = EXCLUDED.failed_attempts{guard}"
    );
    let mut query = sqlx::query(&sql)
        .bind(code.phone.as_str())
        .bind(code.purpose.code())
        .bind(code.digest.map(|d| d.0.to_vec()))
        .bind(code.email.as_ref().map(vodokanal_domain::Email::as_str))
        .bind(code.sent_at)
        .bind(code.expires_at)
        .bind(failed);
    if let Some(since) = pause_since {
        query = query.bind(since);
    }
    let done = query.execute(conn).await.map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

#[async_trait]
impl CodeRepository for PgCodeRepository {
    #[instrument(level = "debug", skip_all, fields(phone = %code.phone.masked(), purpose = code.purpose.code()))]
    async fn put(&self, code: &PendingCode) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        put_code(&mut conn, code).await?;
        conn.done().await.map_err(store_error)
    }

    #[instrument(level = "debug", skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn find(
        &self,
        phone: &Phone,
        purpose: CodePurpose,
    ) -> Result<Option<PendingCode>, StoreError> {
        sqlx::query(
            "SELECT phone, purpose, digest, email, sent_at, expires_at, failed_attempts \
             FROM pending_codes WHERE phone = $1 AND purpose = $2",
        )
        .bind(phone.as_str())
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(code_from_row)
        .transpose()
    }

    /// One `UPDATE ... RETURNING`: concurrent tries each count. With no code waiting,
    /// nothing is counted and 0 comes back.
    #[instrument(level = "debug", skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn record_try(&self, phone: &Phone, purpose: CodePurpose) -> Result<u32, StoreError> {
        let failed: Option<i32> = sqlx::query_scalar(
            "UPDATE pending_codes SET failed_attempts = failed_attempts + 1 \
             WHERE phone = $1 AND purpose = $2 RETURNING failed_attempts",
        )
        .bind(phone.as_str())
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        failed
            .map_or(Ok(0), u32::try_from)
            .map_err(|e| corrupt("failed_attempts", e))
    }

    /// `DELETE ... RETURNING`: of concurrent calls, only the one that deleted the row sees it.
    #[instrument(level = "debug", skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn consume(&self, phone: &Phone, purpose: CodePurpose) -> Result<bool, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM pending_codes WHERE phone = $1 AND purpose = $2 RETURNING phone",
        )
        .bind(phone.as_str())
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(deleted.is_some())
    }
}
