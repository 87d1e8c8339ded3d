//! Payments and their one-way settlement.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{PaymentCursor, PaymentRepository};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    AccountNumber, Email, Money, Payment, PaymentId, PaymentStatus, Phone, ReceiptContact,
    Settlement, UserId,
};

use crate::error::store_error;
use crate::idempotency::store_answer;
use crate::pg_store;
use crate::rows::{corrupt, get, parse, parse_optional, signed, unsigned};

pg_store!(
    /// `PaymentRepository` on PostgreSQL: the `payments` table.
    PgPaymentRepository
);

const COLUMNS: &str = "id, account_number, purpose, amount_kopecks, status, provider, \
     provider_payment_id, confirmation_url, receipt_email, receipt_phone, created_at, paid_at, \
     user_id";

fn money(column: &str, kopecks: i64) -> Result<Money, StoreError> {
    Money::from_kopecks(unsigned(column, kopecks)?).map_err(|e| corrupt(column, e))
}

fn payment_from_row(row: &PgRow) -> Result<Payment, StoreError> {
    let email: Option<Email> = parse_optional(row, "receipt_email")?;
    let phone: Option<Phone> = parse_optional(row, "receipt_phone")?;
    let receipt_contact = match (email, phone) {
        (Some(email), None) => Some(ReceiptContact::Email(email)),
        (None, Some(phone)) => Some(ReceiptContact::Phone(phone)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(corrupt("receipt_email", "both an e-mail and a phone"));
        }
    };
    let user_id: Option<uuid::Uuid> = get(row, "user_id")?;
    Ok(Payment {
        id: PaymentId::from_uuid(get(row, "id")?),
        account_number: parse(row, "account_number")?,
        purpose: parse(row, "purpose")?,
        amount: money("amount_kopecks", get(row, "amount_kopecks")?)?,
        status: parse(row, "status")?,
        provider: get(row, "provider")?,
        provider_payment_id: get(row, "provider_payment_id")?,
        confirmation_url: get(row, "confirmation_url")?,
        receipt_contact,
        created_at: get(row, "created_at")?,
        paid_at: get(row, "paid_at")?,
        user_id: user_id.map(UserId::from_uuid),
    })
}

fn payments_from_rows(rows: &[PgRow]) -> Result<Vec<Payment>, StoreError> {
    rows.iter().map(payment_from_row).collect()
}

#[async_trait]
impl PaymentRepository for PgPaymentRepository {
    #[instrument(level = "debug", skip_all, fields(payment = %payment.id))]
    async fn create(&self, payment: &Payment) -> Result<(), StoreError> {
        let (email, phone) = match &payment.receipt_contact {
            Some(ReceiptContact::Email(email)) => (Some(email.as_str()), None),
            Some(ReceiptContact::Phone(phone)) => (None, Some(phone.as_str())),
            None => (None, None),
        };
        sqlx::query(&format!(
            "INSERT INTO payments ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(payment.id.as_uuid())
        .bind(payment.account_number.as_str())
        .bind(payment.purpose.code())
        .bind(signed("amount_kopecks", payment.amount.kopecks())?)
        .bind(payment.status.code())
        .bind(&payment.provider)
        .bind(payment.provider_payment_id.as_deref())
        .bind(payment.confirmation_url.as_deref())
        .bind(email)
        .bind(phone)
        .bind(payment.created_at)
        .bind(payment.paid_at)
        .bind(payment.user_id.as_ref().map(UserId::as_uuid))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(payment = %id))]
    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .as_ref()
            .map(payment_from_row)
            .transpose()
    }

    #[instrument(level = "debug", skip_all, fields(provider))]
    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE provider = $1 AND provider_payment_id = $2"
        ))
        .bind(provider)
        .bind(provider_payment_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(payment_from_row)
        .transpose()
    }

    #[instrument(level = "debug", skip_all, fields(payment = %id))]
    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE payments SET provider_payment_id = $2, confirmation_url = $3 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(provider_payment_id)
        .bind(confirmation_url)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if let Some(answer) = &answer {
            store_answer(&mut tx, answer).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    /// One conditional `UPDATE ... WHERE status = 'pending'`: of concurrent settlements, the
    /// one whose update touched the row moved it; the others then read the final status.
    #[instrument(level = "debug", skip_all, fields(payment = %id))]
    async fn settle(
        &self,
        id: PaymentId,
        outcome: Outcome,
    ) -> Result<Option<Settlement>, StoreError> {
        let (status, paid_at) = match outcome {
            Outcome::Succeeded { paid_at } => (PaymentStatus::Succeeded, Some(paid_at)),
            Outcome::Canceled => (PaymentStatus::Canceled, None),
        };
        let moved = sqlx::query(
            "UPDATE payments SET status = $2, paid_at = $3 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id.as_uuid())
        .bind(status.code())
        .bind(paid_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if moved.rows_affected() > 0 {
            return Ok(Some(Settlement::Moved(status)));
        }
        let current: Option<String> =
            sqlx::query_scalar("SELECT status FROM payments WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        current
            .map(|s| {
                s.parse::<PaymentStatus>()
                    .map(Settlement::Unchanged)
                    .map_err(|e| corrupt("status", e))
            })
            .transpose()
    }

    #[instrument(level = "debug", skip_all, fields(account = %account, limit))]
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE account_number = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(account.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        payments_from_rows(&rows)
    }

    #[instrument(level = "debug", skip_all, fields(account = %account))]
    async fn succeeded_since(
        &self,
        account: &AccountNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<Money>, StoreError> {
        let amounts: Vec<i64> = sqlx::query_scalar(
            "SELECT amount_kopecks FROM payments WHERE account_number = $1 \
             AND status = 'succeeded' AND paid_at >= $2 ORDER BY paid_at, id",
        )
        .bind(account.as_str())
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        amounts
            .into_iter()
            .map(|k| money("amount_kopecks", k))
            .collect()
    }

    #[instrument(level = "debug", skip_all, fields(limit))]
    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE status = 'pending' AND created_at < $1 \
             AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) \
             ORDER BY created_at, id LIMIT $4"
        ))
        .bind(before)
        .bind(after.map(|after| after.created_at))
        .bind(after.map(|after| *after.id.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        payments_from_rows(&rows)
    }

    async fn export_count(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed from the database row by row, oldest first.
    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>> {
        sqlx::query(EXPORT)
            .bind(from)
            .bind(to)
            .fetch(&self.pool)
            .map(|row| row.map_err(store_error).and_then(|r| payment_from_row(&r)))
            .boxed()
    }
}

const EXPORT: &str = "SELECT id, account_number, purpose, amount_kopecks, status, provider, \
     provider_payment_id, confirmation_url, receipt_email, receipt_phone, created_at, paid_at, \
     user_id FROM payments WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id";
