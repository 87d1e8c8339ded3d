//! Payments and their settlement.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::{PaymentCursor, PaymentRepository};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{AccountNumber, Money, Payment, PaymentId, PaymentStatus, Settlement};

use super::{InMemoryStore, foreign_key};

#[async_trait]
impl PaymentRepository for InMemoryStore {
    async fn create(&self, payment: &Payment) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.accounts.contains_key(&payment.account_number) {
            return Err(foreign_key("payments.account_number"));
        }
        if let Some(user) = payment.user_id
            && !state.user_exists(user)
        {
            return Err(foreign_key("payments.user_id"));
        }
        if state.payments.iter().any(|p| {
            p.id == payment.id
                || (p.provider == payment.provider
                    && p.provider_payment_id.is_some()
                    && p.provider_payment_id == payment.provider_payment_id)
        }) {
            return Err(StoreError::Corrupt("duplicate payment".into()));
        }
        state.payments.push(payment.clone());
        Ok(())
    }

    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.payments.iter().find(|p| p.id == id).cloned())
    }

    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .payments
            .iter()
            .find(|p| {
                p.provider == provider
                    && p.provider_payment_id.as_deref() == Some(provider_payment_id)
            })
            .cloned())
    }

    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.check_answer(answer.as_ref())?;
        if let Some(payment) = state.payments.iter_mut().find(|p| p.id == id) {
            payment.provider_payment_id = Some(provider_payment_id.to_owned());
            payment.confirmation_url = Some(confirmation_url.to_owned());
        }
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn settle(
        &self,
        id: PaymentId,
        outcome: Outcome,
    ) -> Result<Option<Settlement>, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state
            .payments
            .iter_mut()
            .find(|p| p.id == id)
            .map(|payment| payment.settle(outcome)))
    }

    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<Payment> = state
            .payments
            .iter()
            .filter(|p| &p.account_number == account)
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn succeeded_since(
        &self,
        account: &AccountNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<Money>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .payments
            .iter()
            .filter(|p| {
                &p.account_number == account
                    && p.status == PaymentStatus::Succeeded
                    && p.paid_at.is_some_and(|paid| paid >= since)
            })
            .map(|p| p.amount)
            .collect())
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let state = self.state.lock().await;
        let after = after.map(|after| (after.created_at, after.id));
        let mut found: Vec<Payment> = state
            .payments
            .iter()
            .filter(|p| p.status == PaymentStatus::Pending && p.created_at < before)
            .filter(|p| after.is_none_or(|after| (p.created_at, p.id) > after))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    /// What `export` streams, counted: the one filter.
    async fn export_count(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let exported = self.export(from, to).count().await;
        Ok(u64::try_from(exported).unwrap_or(u64::MAX))
    }

    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<Payment> = state
                .payments
                .iter()
                .filter(|p| p.created_at >= from && p.created_at < to)
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}
