//! Visit requests.

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::VisitRequestRepository;
use vodokanal_domain::{Notes, UserId, VisitRequest, VisitRequestId, VisitSlot, VisitStatus};

use crate::error::store_error;
use crate::idempotency::store_answer;
use crate::pg_store;
use crate::rows::{corrupt, get, parse, parse_optional};

pg_store!(
    /// `VisitRequestRepository` on PostgreSQL: the `visit_requests` table.
    PgVisitRequestRepository
);

const COLUMNS: &str = "id, kind, account_number, meter_number, phone, visit_date, visit_time, \
     notes, status, created_at, user_id";

fn visit_from_row(row: &PgRow) -> Result<VisitRequest, StoreError> {
    let user_id: Option<uuid::Uuid> = get(row, "user_id")?;
    Ok(VisitRequest {
        id: VisitRequestId::from_uuid(get(row, "id")?),
        kind: parse(row, "kind")?,
        account_number: parse(row, "account_number")?,
        meter_number: parse_optional(row, "meter_number")?,
        phone: parse(row, "phone")?,
        slot: VisitSlot::restore(get(row, "visit_date")?, get(row, "visit_time")?),
        notes: parse_optional::<Notes>(row, "notes")?,
        status: parse(row, "status")?,
        created_at: get(row, "created_at")?,
        user_id: user_id.map(UserId::from_uuid),
    })
}

#[async_trait]
impl VisitRequestRepository for PgVisitRequestRepository {
    #[instrument(level = "debug", skip_all, fields(visit = %request.id))]
    async fn create(
        &self,
        request: &VisitRequest,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(&format!(
            "INSERT INTO visit_requests ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(request.id.as_uuid())
        .bind(request.kind.code())
        .bind(request.account_number.as_str())
        .bind(
            request
                .meter_number
                .as_ref()
                .map(vodokanal_domain::MeterNumber::as_str),
        )
        .bind(request.phone.as_str())
        .bind(request.slot.date())
        .bind(request.slot.time())
        .bind(request.notes.as_ref().map(Notes::as_str))
        .bind(request.status.code())
        .bind(request.created_at)
        .bind(request.user_id.as_ref().map(UserId::as_uuid))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if let Some(answer) = &answer {
            store_answer(&mut tx, answer).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    #[instrument(level = "debug", skip_all, fields(user = %user))]
    async fn for_user(&self, user: UserId) -> Result<Vec<VisitRequest>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM visit_requests WHERE user_id = $1 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(visit_from_row)
        .collect()
    }

    async fn export_count(&self, status: Option<VisitStatus>) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM visit_requests WHERE $1::text IS NULL OR status = $1",
        )
        .bind(status.map(VisitStatus::code))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed from the database row by row, oldest first.
    fn export(
        &self,
        status: Option<VisitStatus>,
    ) -> BoxStream<'static, Result<VisitRequest, StoreError>> {
        sqlx::query(EXPORT)
            .bind(status.map(VisitStatus::code))
            .fetch(&self.pool)
            .map(|row| row.map_err(store_error).and_then(|r| visit_from_row(&r)))
            .boxed()
    }
}

const EXPORT: &str = "SELECT id, kind, account_number, meter_number, phone, visit_date, \
     visit_time, notes, status, created_at, user_id FROM visit_requests \
     WHERE $1::text IS NULL OR status = $1 ORDER BY created_at, id";
