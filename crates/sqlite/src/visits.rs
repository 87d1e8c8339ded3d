use async_trait::async_trait;
use futures::stream::BoxStream;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::VisitRequestRepository;
use vodokanal_domain::{UserId, VisitRequest, VisitSlot, VisitStatus};

use crate::codec::{
    corrupt, date, get_date, get_instant, get_time, instant, paged, parse, parse_optional, time,
};
use crate::idempotency::store_answer;
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `VisitRequestRepository` on SQLite.
    SqliteVisitRequestRepository
);

const COLUMNS: &str = "id, kind, account_number, meter_number, phone, visit_date, visit_time, \
     notes, status, created_at, user_id";

fn visit(row: &SqliteRow) -> Result<VisitRequest, StoreError> {
    Ok(VisitRequest {
        id: parse(row, "id")?,
        kind: parse(row, "kind")?,
        account_number: parse(row, "account_number")?,
        meter_number: parse_optional(row, "meter_number")?,
        phone: parse(row, "phone")?,
        // Checked when booked; not checked again.
        slot: VisitSlot::restore(get_date(row, "visit_date")?, get_time(row, "visit_time")?),
        notes: parse_optional(row, "notes")?,
        status: parse(row, "status")?,
        created_at: get_instant(row, "created_at")?,
        user_id: parse_optional(row, "user_id")?,
    })
}

#[async_trait]
impl VisitRequestRepository for SqliteVisitRequestRepository {
    #[tracing::instrument(skip_all, fields(visit = %request.id))]
    async fn create(
        &self,
        request: &VisitRequest,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(&format!(
            "INSERT INTO visit_requests ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(request.id.to_string())
        .bind(request.kind.code())
        .bind(request.account_number.as_str())
        .bind(request.meter_number.as_ref().map(|m| m.as_str().to_owned()))
        .bind(request.phone.as_str())
        .bind(date(request.slot.date()))
        .bind(time(request.slot.time()))
        .bind(request.notes.as_ref().map(|n| n.as_str().to_owned()))
        .bind(request.status.code())
        .bind(instant(request.created_at))
        .bind(request.user_id.map(|u| u.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if let Some(answer) = &answer {
            store_answer(&mut tx, answer).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn for_user(&self, user: UserId) -> Result<Vec<VisitRequest>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM visit_requests WHERE user_id = ? \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(visit).collect()
    }

    async fn export_count(&self, status: Option<VisitStatus>) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM visit_requests WHERE ?1 IS NULL OR status = ?1",
        )
        .bind(status.map(VisitStatus::code))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed page by page in `(created_at, id)` order.
    fn export(
        &self,
        status: Option<VisitStatus>,
    ) -> BoxStream<'static, Result<VisitRequest, StoreError>> {
        let pool = self.pool.clone();
        let status = status.map(VisitStatus::code);
        paged(move |after: Option<(String, String)>, page| {
            let pool = pool.clone();
            async move {
                let (at, id) = after.unwrap_or_default();
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM visit_requests \
                     WHERE (?1 IS NULL OR status = ?1) AND (created_at, id) > (?2, ?3) \
                     ORDER BY created_at, id LIMIT ?4"
                ))
                .bind(status)
                .bind(at)
                .bind(id)
                .bind(page)
                .fetch_all(&pool)
                .await
                .map_err(store_error)?;
                rows.iter()
                    .map(|row| {
                        let item = visit(row)?;
                        let key = (instant(item.created_at), item.id.to_string());
                        Ok((item, key))
                    })
                    .collect()
            }
        })
    }
}
