//! The hourly purge of expired records; each table in its own statement, so that the single
//! writer is held for one short delete at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{Housekeeping, PurgeCutoffs, Purged};

use crate::codec::instant;
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `Housekeeping` on SQLite.
    SqliteHousekeeping
);

impl SqliteHousekeeping {
    /// Runs one `DELETE ... WHERE <column> < ?` and counts the rows (instants are stored as
    /// fixed-width UTC text, so text order is time order).
    async fn delete_before(
        &self,
        sql: &'static str,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sqlx::query(sql)
            .bind(instant(before))
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(store_error)
    }
}

#[async_trait]
impl Housekeeping for SqliteHousekeeping {
    #[tracing::instrument(skip_all)]
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        Ok(Purged {
            sessions: self
                .delete_before(
                    "DELETE FROM sessions WHERE expires_at < ?",
                    cutoffs.expired_before,
                )
                .await?,
            codes: self
                .delete_before(
                    "DELETE FROM pending_codes WHERE expires_at < ?",
                    cutoffs.expired_before,
                )
                .await?,
            idempotency_records: self
                .delete_before(
                    "DELETE FROM idempotency_records WHERE created_at < ?",
                    cutoffs.idempotency_before,
                )
                .await?,
            attempts: self
                .delete_before("DELETE FROM attempts WHERE at < ?", cutoffs.attempts_before)
                .await?,
            outbox: self
                .delete_before(
                    "DELETE FROM sms_outbox WHERE expires_at < ?",
                    cutoffs.outbox_before,
                )
                .await?,
            // The finished deliveries first, then the notices with whatever they still have.
            notice_deliveries: self
                .delete_before(
                    "DELETE FROM notice_deliveries WHERE state <> 'pending' AND created_at < ?",
                    cutoffs.notices_before,
                )
                .await?,
            notices: self
                .delete_before(
                    "DELETE FROM notices WHERE created_at < ?",
                    cutoffs.notices_before,
                )
                .await?,
        })
    }
}
