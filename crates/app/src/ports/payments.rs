use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{AccountNumber, Money, Payment, PaymentId, Settlement};

use crate::StoreError;
use crate::idempotency::Answer;

/// Where a walk through the pending payments stopped: the last payment read, by its place in
/// the `(created_at, id)` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentCursor {
    pub created_at: DateTime<Utc>,
    pub id: PaymentId,
}

impl From<&Payment> for PaymentCursor {
    fn from(payment: &Payment) -> Self {
        Self {
            created_at: payment.created_at,
            id: payment.id,
        }
    }
}

/// Payments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentRepository: std::fmt::Debug + Send + Sync {
    async fn create(&self, payment: &Payment) -> Result<(), StoreError>;
    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError>;
    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError>;
    /// Records the provider's id and confirmation URL once the provider created the payment,
    /// with `answer` in the same transaction when given.
    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
        answer: Option<Answer>,
    ) -> Result<(), StoreError>;
    /// Applies the outcome atomically: a pending payment moves once, whatever the concurrency;
    /// a final one is left as it is (`Settlement::Unchanged`). `None` when there is no such payment.
    async fn settle(
        &self,
        id: PaymentId,
        outcome: Outcome,
    ) -> Result<Option<Settlement>, StoreError>;
    /// The account's payments, newest first.
    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError>;
    /// The amounts of the account's payments that succeeded at or after `since`.
    async fn succeeded_since(
        &self,
        account: &AccountNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<Money>, StoreError>;
    /// One page of the candidates for reconciliation: at most `limit` pending payments created
    /// before `before`, in `(created_at, id)` order, and after `after` in that order when
    /// given (keyset pagination: a walk reads each payment once, whatever the pages hold).
    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError>;
    /// Payments created in `[from, to)`, streamed.
    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>>;
    /// How many payments `export(from, to)` would stream now (the export's progress).
    async fn export_count(&self, from: DateTime<Utc>, to: DateTime<Utc>)
    -> Result<u64, StoreError>;
}
