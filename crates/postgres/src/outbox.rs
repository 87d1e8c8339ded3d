//! The SMS outbox on PostgreSQL. A claim is one `UPDATE … RETURNING` over the due rows picked
//! `FOR UPDATE SKIP LOCKED`: two processes claiming at once take different messages, and the
//! lease it writes keeps a message from the next claims until the sender records its outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{NewSms, OutboxEntry, SmsOutbox, SmsOutcome, SmsPurpose, SmsState};
use vodokanal_domain::{PendingCode, Phone};

use crate::codes::put_code_after_pause;
use crate::error::store_error;
use crate::pg_store;
use crate::rows::{corrupt, get, parse};

pg_store!(
    /// `SmsOutbox` on PostgreSQL: the `sms_outbox` table.
    PgSmsOutbox
);

/// What an expired message's `last_error` says.
const EXPIRED: &str = "expired before the gateway took it";

const OUTBOX_COLUMNS: &str = "id, phone, text, purpose, client_ip, state, attempts, \
     created_at, next_attempt_at, expires_at, last_error, sent_at";

fn entry(row: &PgRow) -> Result<OutboxEntry, StoreError> {
    let purpose: String = get(row, "purpose")?;
    let state: String = get(row, "state")?;
    let attempts: i32 = get(row, "attempts")?;
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
        created_at: get(row, "created_at")?,
        next_attempt_at: get(row, "next_attempt_at")?,
        expires_at: get(row, "expires_at")?,
        last_error: get(row, "last_error")?,
        sent_at: get(row, "sent_at")?,
    })
}

/// Queues `message`, due at once.
async fn queue(conn: &mut sqlx::PgConnection, message: &NewSms) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sms_outbox \
             (phone, text, purpose, client_ip, created_at, next_attempt_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(message.phone.as_str())
    .bind(&message.text)
    .bind(message.purpose.code())
    .bind(message.client_ip.map(|ip| ip.to_string()))
    .bind(message.created_at)
    .bind(message.expires_at)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

#[async_trait]
impl SmsOutbox for PgSmsOutbox {
    #[tracing::instrument(skip_all, fields(phone = %code.phone.masked(), purpose = code.purpose.code()))]
    async fn store_code(
        &self,
        code: &PendingCode,
        message: Option<NewSms>,
        pause_since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        if !put_code_after_pause(&mut tx, code, pause_since).await? {
            return Ok(false);
        }
        if let Some(message) = message {
            queue(&mut tx, &message).await?;
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
        let rows = sqlx::query(&format!(
            "UPDATE sms_outbox SET attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM sms_outbox \
                 WHERE state = 'pending' AND next_attempt_at <= $2 AND expires_at > $2 \
                 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(lease_until)
        .bind(now)
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
                "UPDATE sms_outbox SET state = 'sent', sent_at = $1, text = '' WHERE id = $2",
            )
            .bind(*at),
            SmsOutcome::Retry { at, error } => sqlx::query(
                "UPDATE sms_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
            )
            .bind(*at)
            .bind(error),
            SmsOutcome::Failed { error } => sqlx::query(
                "UPDATE sms_outbox SET state = 'failed', last_error = $1, text = '' WHERE id = $2",
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
            "UPDATE sms_outbox SET state = 'failed', last_error = $1, text = '' \
             WHERE state = 'pending' AND expires_at <= $2",
        )
        .bind(EXPIRED)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
    }

    async fn to_phone(&self, phone: &Phone) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM sms_outbox WHERE phone = $1 ORDER BY id"
        ))
        .bind(phone.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }
}
