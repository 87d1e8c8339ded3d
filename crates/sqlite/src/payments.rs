use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{PaymentCursor, PaymentRepository};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    AccountNumber, Email, Money, Payment, PaymentId, PaymentStatus, Phone, ReceiptContact,
    Settlement,
};

use crate::codec::{
    corrupt, get, get_instant, get_optional_instant, instant, paged, parse, parse_optional,
};
use crate::idempotency::store_answer;
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `PaymentRepository` on SQLite.
    SqlitePaymentRepository
);

const COLUMNS: &str = "id, account_number, purpose, amount_kopecks, status, provider, \
     provider_payment_id, confirmation_url, receipt_email, receipt_phone, created_at, paid_at, \
     user_id";

fn amount(kopecks: i64) -> Result<Money, StoreError> {
    u64::try_from(kopecks)
        .map_err(|e| corrupt("amount_kopecks", e))
        .and_then(|k| Money::from_kopecks(k).map_err(|e| corrupt("amount_kopecks", e)))
}

fn payment(row: &SqliteRow) -> Result<Payment, StoreError> {
    let email: Option<Email> = parse_optional(row, "receipt_email")?;
    let phone: Option<Phone> = parse_optional(row, "receipt_phone")?;
    Ok(Payment {
        id: parse(row, "id")?,
        account_number: parse(row, "account_number")?,
        purpose: parse(row, "purpose")?,
        amount: amount(get(row, "amount_kopecks")?)?,
        status: parse(row, "status")?,
        provider: get(row, "provider")?,
        provider_payment_id: get(row, "provider_payment_id")?,
        confirmation_url: get(row, "confirmation_url")?,
        receipt_contact: match (email, phone) {
            (Some(email), None) => Some(ReceiptContact::Email(email)),
            (None, Some(phone)) => Some(ReceiptContact::Phone(phone)),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(corrupt("receipt_email", "both an e-mail and a phone"));
            }
        },
        created_at: get_instant(row, "created_at")?,
        paid_at: get_optional_instant(row, "paid_at")?,
        user_id: parse_optional(row, "user_id")?,
    })
}

fn kopecks(money: Money) -> i64 {
    i64::try_from(money.kopecks()).unwrap_or(i64::MAX)
}

impl SqlitePaymentRepository {
    async fn many<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<Vec<Payment>, StoreError> {
        let rows = query.fetch_all(&self.pool).await.map_err(store_error)?;
        rows.iter().map(payment).collect()
    }
}

#[async_trait]
impl PaymentRepository for SqlitePaymentRepository {
    #[tracing::instrument(skip_all, fields(payment = %payment.id))]
    async fn create(&self, payment: &Payment) -> Result<(), StoreError> {
        let (email, phone) = match &payment.receipt_contact {
            Some(ReceiptContact::Email(email)) => (Some(email.as_str()), None),
            Some(ReceiptContact::Phone(phone)) => (None, Some(phone.as_str())),
            None => (None, None),
        };
        sqlx::query(&format!(
            "INSERT INTO payments ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(payment.id.to_string())
        .bind(payment.account_number.as_str())
        .bind(payment.purpose.code())
        .bind(kopecks(payment.amount))
        .bind(payment.status.code())
        .bind(&payment.provider)
        .bind(payment.provider_payment_id.as_deref())
        .bind(payment.confirmation_url.as_deref())
        .bind(email)
        .bind(phone)
        .bind(instant(payment.created_at))
        .bind(payment.paid_at.map(instant))
        .bind(payment.user_id.map(|u| u.to_string()))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(payment = %id))]
    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(payment).transpose()
    }

    #[tracing::instrument(skip_all, fields(provider))]
    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE provider = ? AND provider_payment_id = ?"
        ))
        .bind(provider)
        .bind(provider_payment_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(payment).transpose()
    }

    #[tracing::instrument(skip_all, fields(payment = %id))]
    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(
            "UPDATE payments SET provider_payment_id = ?, confirmation_url = ? WHERE id = ?",
        )
        .bind(provider_payment_id)
        .bind(confirmation_url)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if let Some(answer) = &answer {
            store_answer(&mut tx, answer).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    /// One conditional `UPDATE … WHERE status = 'pending'`: of concurrent calls, one moves the
    /// payment; the others then read the final status.
    #[tracing::instrument(skip_all, fields(payment = %id))]
    async fn settle(
        &self,
        id: PaymentId,
        outcome: Outcome,
    ) -> Result<Option<Settlement>, StoreError> {
        let (status, paid_at) = match outcome {
            Outcome::Succeeded { paid_at } => (PaymentStatus::Succeeded, Some(instant(paid_at))),
            Outcome::Canceled => (PaymentStatus::Canceled, None),
        };
        let moved = sqlx::query(
            "UPDATE payments SET status = ?, paid_at = COALESCE(?, paid_at) \
             WHERE id = ? AND status = 'pending'",
        )
        .bind(status.code())
        .bind(paid_at)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if moved.rows_affected() == 1 {
            return Ok(Some(Settlement::Moved(status)));
        }
        let current: Option<String> =
            sqlx::query_scalar("SELECT status FROM payments WHERE id = ?")
                .bind(id.to_string())
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

    #[tracing::instrument(skip_all, fields(account = %account, limit))]
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        self.many(
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM payments WHERE account_number = ? \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ))
            .bind(account.as_str())
            .bind(i64::from(limit)),
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(account = %account))]
    async fn succeeded_since(
        &self,
        account: &AccountNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<Money>, StoreError> {
        let amounts: Vec<i64> = sqlx::query_scalar(
            "SELECT amount_kopecks FROM payments \
             WHERE account_number = ? AND status = 'succeeded' AND paid_at >= ?",
        )
        .bind(account.as_str())
        .bind(instant(since))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        amounts.into_iter().map(amount).collect()
    }

    #[tracing::instrument(skip_all, fields(limit))]
    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        // No cursor: ("", "") is before every row.
        let (at, id) = after.map_or_else(Default::default, |after| {
            (instant(after.created_at), after.id.to_string())
        });
        self.many(
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM payments WHERE status = 'pending' AND created_at < ? \
                 AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?"
            ))
            .bind(instant(before))
            .bind(at)
            .bind(id)
            .bind(i64::from(limit)),
        )
        .await
    }

    async fn export_count(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payments WHERE created_at >= ? AND created_at < ?",
        )
        .bind(instant(from))
        .bind(instant(to))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u64::try_from(count).map_err(|e| corrupt("count", e))
    }

    /// Streamed page by page in `(created_at, id)` order.
    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>> {
        let pool = self.pool.clone();
        let (from, to) = (instant(from), instant(to));
        paged(move |after: Option<(String, String)>, page| {
            let pool = pool.clone();
            let (from, to) = (from.clone(), to.clone());
            async move {
                let (at, id) = after.unwrap_or_default();
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM payments \
                     WHERE created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?) \
                     ORDER BY created_at, id LIMIT ?"
                ))
                .bind(from)
                .bind(to)
                .bind(at)
                .bind(id)
                .bind(page)
                .fetch_all(&pool)
                .await
                .map_err(store_error)?;
                rows.iter()
                    .map(|row| {
                        let item = payment(row)?;
                        let key = (instant(item.created_at), item.id.to_string());
                        Ok((item, key))
                    })
                    .collect()
            }
        })
    }
}
