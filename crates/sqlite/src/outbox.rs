//! The SMS outbox on SQLite. SQLite lets one writer in at a time, so a claim (one `UPDATE …
//! RETURNING` over the due rows) can't hand a message to two senders; the lease it writes
//! keeps the message from the next claims until the sender records its outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{NewSms, OutboxEntry, SmsOutbox, SmsOutcome, SmsPurpose, SmsState};
use vodokanal_domain::{PendingCode, Phone};

use crate::codec::{corrupt, get, get_instant, get_optional_instant, instant, parse};
use crate::codes::put_code_after_pause;
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `SmsOutbox` on SQLite.
    SqliteSmsOutbox
);

/// What an expired message's `last_error` says.
const EXPIRED: &str = "expired before the gateway took it";

pub(crate) const OUTBOX_COLUMNS: &str = "id, phone, text, purpose, client_ip, state, attempts, \
     created_at, next_attempt_at, expires_at, last_error, sent_at";

fn entry(row: &SqliteRow) -> Result<OutboxEntry, StoreError> {
    let purpose: String = get(row, "purpose")?;
    let state: String = get(row, "state")?;
    let attempts: i64 = get(row, "attempts")?;
    let client_ip: Option<String> = get(row, "client_ip")?;
    Ok(OutboxEntry {
        id: get(row, "id")?,
        phone: parse(row, "phone")?,
        text: get(row, "text")?,
        purpose: SmsPurpose::from_code(&purpose)
            .ok_or_else(|| corrupt("purpose", format!("unknown purpose {purpose:?}")))?,
        client_ip: client_ip
            .map(|ip| ip.parse().map_err(|e| corrupt("client_ip", e)))
            .transpose()?,
        state: SmsState::from_code(&state)
            .ok_or_else(|| corrupt("state", format!("unknown state {state:?}")))?,
        attempts: u32::try_from(attempts).map_err(|e| corrupt("attempts", e))?,
        created_at: get_instant(row, "created_at")?,
        next_attempt_at: get_instant(row, "next_attempt_at")?,
        expires_at: get_instant(row, "expires_at")?,
        last_error: get(row, "last_error")?,
        sent_at: get_optional_instant(row, "sent_at")?,
    })
}

/// Queues `message`, due at once.
pub(crate) async fn queue<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    message: &NewSms,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sms_outbox \
             (phone, text, purpose, client_ip, created_at, next_attempt_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(message.phone.as_str())
    .bind(&message.text)
    .bind(message.purpose.code())
    .bind(message.client_ip.map(|ip| ip.to_string()))
    .bind(instant(message.created_at))
    .bind(instant(message.created_at))
    .bind(instant(message.expires_at))
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(())
}

#[async_trait]
impl SmsOutbox for SqliteSmsOutbox {
    #[tracing::instrument(skip_all, fields(phone = %code.phone.masked(), purpose = code.purpose.code()))]
    async fn store_code(
        &self,
        code: &PendingCode,
        message: Option<NewSms>,
        pause_since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        if !put_code_after_pause(&mut *tx, code, pause_since).await? {
            return Ok(false);
        }
        if let Some(message) = message {
            queue(&mut *tx, &message).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        // A read first, so that an idle outbox never takes the single writer's lock.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM sms_outbox \
             WHERE state = 'pending' AND next_attempt_at <= ? AND expires_at > ? LIMIT 1",
        )
        .bind(instant(now))
        .bind(instant(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "UPDATE sms_outbox SET attempts = attempts + 1, next_attempt_at = ? \
             WHERE id IN (SELECT id FROM sms_outbox \
                 WHERE state = 'pending' AND next_attempt_at <= ? AND expires_at > ? \
                 ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(instant(lease_until))
        .bind(instant(now))
        .bind(instant(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let mut claimed = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn record(&self, id: i64, outcome: &SmsOutcome) -> Result<(), StoreError> {
        let query = match outcome {
            SmsOutcome::Sent { at } => sqlx::query(
                "UPDATE sms_outbox SET state = 'sent', sent_at = ?, text = '' WHERE id = ?",
            )
            .bind(instant(*at)),
            SmsOutcome::Retry { at, error } => sqlx::query(
                "UPDATE sms_outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?",
            )
            .bind(instant(*at))
            .bind(error),
            SmsOutcome::Failed { error } => sqlx::query(
                "UPDATE sms_outbox SET state = 'failed', last_error = ?, text = '' WHERE id = ?",
            )
            .bind(error),
        };
        query
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn expire(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        sqlx::query(
            "UPDATE sms_outbox SET state = 'failed', last_error = ?, text = '' \
             WHERE state = 'pending' AND expires_at <= ?",
        )
        .bind(EXPIRED)
        .bind(instant(now))
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
    }

    async fn to_phone(&self, phone: &Phone) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM sms_outbox WHERE phone = ? ORDER BY id"
        ))
        .bind(phone.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }
}
