use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{AccountNumber, Money, Payment, PaymentId, Settlement};

use crate::StoreError;

/// Payments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    async fn create(&self, payment: &Payment) -> Result<(), StoreError>;
    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError>;
    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError>;
    /// Records the provider's id and confirmation URL once the provider created the payment.
    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
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
    /// Pending payments created before `before`, oldest first: candidates for reconciliation.
    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError>;
    /// Payments created in `[from, to)`, streamed.
    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>>;
}
