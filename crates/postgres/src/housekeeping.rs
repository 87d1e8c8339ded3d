//! The hourly purge of expired records; each table in its own statement, so that one slow
//! delete holds no lock on the others.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{Housekeeping, PurgeCutoffs, Purged};

use crate::error::store_error;
use crate::pg_store;

pg_store!(
    /// `Housekeeping` on PostgreSQL.
    PgHousekeeping
);

impl PgHousekeeping {
    /// Runs one `DELETE ... WHERE <column> < $1` and counts the rows.
    async fn delete_before(
        &self,
        sql: &'static str,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sqlx::query(sql)
            .bind(before)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(store_error)
    }
}

#[async_trait]
impl Housekeeping for PgHousekeeping {
    #[instrument(level = "debug", skip_all)]
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        Ok(Purged {
            sessions: self
                .delete_before(
                    "DELETE FROM sessions WHERE expires_at < $1",
                    cutoffs.expired_before,
                )
                .await?,
            codes: self
                .delete_before(
                    "DELETE FROM pending_codes WHERE expires_at < $1",
                    cutoffs.expired_before,
                )
                .await?,
            idempotency_records: self
                .delete_before(
                    "DELETE FROM idempotency_records WHERE created_at < $1",
                    cutoffs.idempotency_before,
                )
                .await?,
            attempts: self
                .delete_before(
                    "DELETE FROM attempts WHERE at < $1",
                    cutoffs.attempts_before,
                )
                .await?,
            outbox: self
                .delete_before(
                    "DELETE FROM sms_outbox WHERE expires_at < $1",
                    cutoffs.outbox_before,
                )
                .await?,
            // The finished deliveries first, then the notices with whatever they still have.
            notice_deliveries: self
                .delete_before(
                    "DELETE FROM notice_deliveries WHERE state <> 'pending' AND created_at < $1",
                    cutoffs.notices_before,
                )
                .await?,
            notices: self
                .delete_before(
                    "DELETE FROM notices WHERE created_at < $1",
                    cutoffs.notices_before,
                )
                .await?,
        })
    }
}
