use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::CodeRepository;
use vodokanal_domain::{CodeDigest, CodePurpose, PendingCode, Phone};

use crate::codec::{corrupt, get, get_instant, instant, parse, parse_optional};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `CodeRepository` on SQLite.
    SqliteCodeRepository
);

fn code(row: &SqliteRow) -> Result<PendingCode, StoreError> {
    let purpose: String = get(row, "purpose")?;
    let digest: Option<Vec<u8>> = get(row, "digest")?;
    let failed: i64 = get(row, "failed_attempts")?;
    Ok(PendingCode {
        phone: parse(row, "phone")?,
        purpose: CodePurpose::from_code(&purpose)
            .ok_or_else(|| corrupt("purpose", format!("unknown purpose {purpose:?}")))?,
        digest: digest
            .map(|bytes| {
                <[u8; 32]>::try_from(bytes)
                    .map(CodeDigest)
                    .map_err(|_| corrupt("digest", "not 32 bytes"))
            })
            .transpose()?,
        email: parse_optional(row, "email")?,
        sent_at: get_instant(row, "sent_at")?,
        expires_at: get_instant(row, "expires_at")?,
        failed_attempts: u32::try_from(failed).map_err(|e| corrupt("failed_attempts", e))?,
    })
}

/// Stores `code`, replacing the earlier one of its phone and purpose (also in the outbox's
/// transaction).
pub(crate) async fn put_code<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    code: &PendingCode,
) -> Result<(), StoreError> {
    upsert(executor, code, None).await.map(|_| ())
}

/// Stores `code` unless the earlier code of its phone and purpose was sent after
/// `pause_since`: whether it was stored.
pub(crate) async fn put_code_after_pause<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    code: &PendingCode,
    pause_since: DateTime<Utc>,
) -> Result<bool, StoreError> {
    upsert(executor, code, Some(pause_since)).await
}

async fn upsert<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    code: &PendingCode,
    pause_since: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let guard = if pause_since.is_some() {
        " WHERE pending_codes.sent_at <= ?"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO pending_codes \
                 (phone, purpose, digest, email, sent_at, expires_at, failed_attempts) \
             VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (phone, purpose) DO UPDATE SET \
                 digest = excluded.digest, email = excluded.email, sent_at = excluded.sent_at, \
                 expires_at = excluded.expires_at, failed_attempts = excluded.failed_attempts\
             {guard}"
    );
    let mut query = sqlx::query(&sql)
        .bind(code.phone.as_str())
        .bind(code.purpose.code())
        .bind(code.digest.map(|d| d.0.to_vec()))
        .bind(code.email.as_ref().map(vodokanal_domain::Email::as_str))
        .bind(instant(code.sent_at))
        .bind(instant(code.expires_at))
        .bind(i64::from(code.failed_attempts));
    if let Some(since) = pause_since {
        query = query.bind(instant(since));
    }
    let done = query.execute(executor).await.map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

#[async_trait]
impl CodeRepository for SqliteCodeRepository {
    #[tracing::instrument(skip_all, fields(phone = %code.phone.masked(), purpose = code.purpose.code()))]
    async fn put(&self, code: &PendingCode) -> Result<(), StoreError> {
        put_code(&self.pool, code).await
    }

    #[tracing::instrument(skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn find(
        &self,
        phone: &Phone,
        purpose: CodePurpose,
    ) -> Result<Option<PendingCode>, StoreError> {
        let row = sqlx::query(
            "SELECT phone, purpose, digest, email, sent_at, expires_at, failed_attempts \
             FROM pending_codes WHERE phone = ? AND purpose = ?",
        )
        .bind(phone.as_str())
        .bind(purpose.code())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(code).transpose()
    }

    /// One `UPDATE … RETURNING`: concurrent tries are each counted.
    #[tracing::instrument(skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn record_try(&self, phone: &Phone, purpose: CodePurpose) -> Result<u32, StoreError> {
        let failed: Option<i64> = sqlx::query_scalar(
            "UPDATE pending_codes SET failed_attempts = failed_attempts + 1 \
             WHERE phone = ? AND purpose = ? RETURNING failed_attempts",
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

    /// One `DELETE`: only the call that removed the row sees it removed.
    #[tracing::instrument(skip_all, fields(phone = %phone.masked(), purpose = purpose.code()))]
    async fn consume(&self, phone: &Phone, purpose: CodePurpose) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM pending_codes WHERE phone = ? AND purpose = ?")
            .bind(phone.as_str())
            .bind(purpose.code())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
