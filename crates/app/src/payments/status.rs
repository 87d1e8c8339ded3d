//! A payment's state: `GET /payments/{id}`, open to anyone who holds the unguessable id.

use std::sync::Arc;

use vodokanal_domain::{Payment, PaymentId};

use crate::StoreError;
use crate::ports::PaymentRepository;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetPaymentStatusCommand {
    pub id: PaymentId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetPaymentStatusError {
    /// We have no such payment.
    #[error("no such payment")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shows a payment as stored. It never asks the provider: the state changes only through
/// notifications and reconciliation (`SettlePayment`).
#[derive(Debug)]
pub struct GetPaymentStatus {
    payments: Arc<dyn PaymentRepository>,
}

impl GetPaymentStatus {
    pub fn new(payments: Arc<dyn PaymentRepository>) -> Self {
        Self { payments }
    }

    pub async fn execute(
        &self,
        command: GetPaymentStatusCommand,
    ) -> Result<Payment, GetPaymentStatusError> {
        self.payments
            .find(command.id)
            .await?
            .ok_or(GetPaymentStatusError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::{payment, payment_id};
    use crate::ports::MockPaymentRepository;
    use crate::testing::down;
    use mockall::predicate::eq;

    fn use_case(result: Result<Option<Payment>, StoreError>) -> GetPaymentStatus {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_find()
            .with(eq(payment_id()))
            .times(1)
            .return_once(move |_| result);
        GetPaymentStatus::new(Arc::new(payments))
    }

    fn command() -> GetPaymentStatusCommand {
        GetPaymentStatusCommand { id: payment_id() }
    }

    #[tokio::test]
    async fn a_known_payment_is_shown_as_stored() {
        let outcome = use_case(Ok(Some(payment()))).execute(command()).await;
        assert_eq!(outcome.unwrap(), payment());
    }

    #[tokio::test]
    async fn an_unknown_payment_is_not_found() {
        let outcome = use_case(Ok(None)).execute(command()).await;
        assert!(
            matches!(outcome, Err(GetPaymentStatusError::NotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let outcome = use_case(Err(down())).execute(command()).await;
        assert!(
            matches!(
                outcome,
                Err(GetPaymentStatusError::Store(StoreError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
    }
}
