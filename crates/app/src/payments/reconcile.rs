//! Reconciliation: `vodokanal reconcile-payments`, and the same job in the background of
//! `serve`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{info, warn};
use vodokanal_domain::{Outcome, Payment, PaymentStatus, Settlement};

use crate::StoreError;
use crate::payments::settle::SettlePayment;
use crate::ports::{Clock, PaymentCursor, PaymentProvider, PaymentRepository};

/// How many pending payments are read from the store at a time.
pub const BATCH: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcilePaymentsCommand {
    /// Only payments created longer ago than this are checked (`VODOKANAL_RECONCILE_AFTER`).
    pub older_than: TimeDelta,
}

/// What a run did, counted by the state each checked payment ended in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconciliationReport {
    /// Pending payments looked at.
    pub checked: u64,
    pub succeeded: u64,
    pub canceled: u64,
    /// Still pending at the provider.
    pub still_pending: u64,
    /// Could not be settled (provider down, amount mismatch, store failure): logged, retried
    /// on the next run.
    pub failed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcilePaymentsError {
    /// The pending payments could not be listed (the command exits non-zero).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Asks the provider once about every payment still pending `older_than` after its creation,
/// and settles what it reports through the same path as a notification ([`SettlePayment`]).
///
/// A pending payment that old without a provider id never reached the provider (the provider
/// failed and the cancel failed too, or the process died in between): it is settled canceled.
/// One payment's failure is logged and counted, never fatal; only failing to list the pending
/// payments is.
///
/// The pending payments are read [`BATCH`] at a time in `(created_at, id)` order, each page
/// after the last payment of the one before (keyset pagination), so every payment is checked
/// once per run, whether it settles or stays pending, and no page reads again what an earlier
/// one held.
#[derive(Debug)]
pub struct ReconcilePayments {
    payments: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    settle: SettlePayment,
}

impl ReconcilePayments {
    pub fn new(
        payments: Arc<dyn PaymentRepository>,
        provider: Arc<dyn PaymentProvider>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            settle: SettlePayment::new(payments.clone(), provider),
            payments,
            clock,
        }
    }

    pub async fn execute(
        &self,
        command: ReconcilePaymentsCommand,
    ) -> Result<ReconciliationReport, ReconcilePaymentsError> {
        let reconciled = self.run(command).await;
        crate::metrics::reconciled(reconciled.as_ref().ok());
        reconciled
    }

    async fn run(
        &self,
        command: ReconcilePaymentsCommand,
    ) -> Result<ReconciliationReport, ReconcilePaymentsError> {
        let before = self
            .clock
            .now()
            .checked_sub_signed(command.older_than)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut report = ReconciliationReport::default();
        let mut after: Option<PaymentCursor> = None;
        loop {
            let page = self
                .payments
                .pending_created_before(before, after, BATCH)
                .await?;
            for payment in &page {
                report.checked += 1;
                match self.reconcile(payment).await {
                    Some(PaymentStatus::Succeeded) => report.succeeded += 1,
                    Some(PaymentStatus::Canceled) => report.canceled += 1,
                    Some(PaymentStatus::Pending) => report.still_pending += 1,
                    None => report.failed += 1,
                }
            }
            let full = u32::try_from(page.len()).is_ok_and(|n| n >= BATCH);
            match page.last() {
                Some(last) if full => after = Some(PaymentCursor::from(last)),
                _ => break,
            }
        }
        info!(?report, "payments reconciled");
        Ok(report)
    }

    /// The state the payment ended in, `None` when it could not be settled (logged).
    async fn reconcile(&self, payment: &Payment) -> Option<PaymentStatus> {
        if payment.provider_payment_id.is_none() {
            return match self.payments.settle(payment.id, Outcome::Canceled).await {
                Ok(Some(settlement)) => {
                    if let Settlement::Moved(moved) = settlement {
                        crate::metrics::payment_settled(&payment.provider, moved);
                    }
                    Some(status(settlement))
                }
                Ok(None) => {
                    warn!(payment_id = %payment.id, "a pending payment vanished while reconciling");
                    None
                }
                Err(error) => {
                    warn!(payment_id = %payment.id, %error, "could not cancel a payment that never reached the provider");
                    None
                }
            };
        }
        match self.settle.settle(payment).await {
            Ok(settlement) => Some(status(settlement)),
            Err(error) => {
                warn!(payment_id = %payment.id, %error, "could not reconcile a payment");
                None
            }
        }
    }
}

fn status(settlement: Settlement) -> PaymentStatus {
    match settlement {
        Settlement::Moved(status) | Settlement::Unchanged(status) => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::{amount, payment};
    use crate::ports::{MockPaymentProvider, MockPaymentRepository, ProviderError, ProviderReport};
    use crate::testing::down;
    use crate::testing::{self, now};
    use mockall::predicate::eq;
    use vodokanal_domain::PaymentId;

    fn command() -> ReconcilePaymentsCommand {
        ReconcilePaymentsCommand {
            older_than: TimeDelta::minutes(10),
        }
    }

    fn cutoff() -> DateTime<Utc> {
        now() - TimeDelta::minutes(10)
    }

    /// A pending payment with id bytes `n` and provider id `prov-{n}`.
    fn pending(n: u8) -> Payment {
        let mut p = payment();
        p.id = PaymentId::from_random_bytes([n; 16]);
        p.provider_payment_id = Some(format!("prov-{n}"));
        p
    }

    fn id(n: u8) -> PaymentId {
        PaymentId::from_random_bytes([n; 16])
    }

    fn use_case(
        payments: MockPaymentRepository,
        provider: MockPaymentProvider,
    ) -> ReconcilePayments {
        ReconcilePayments::new(Arc::new(payments), Arc::new(provider), testing::clock())
    }

    /// The configured provider, `sandbox`.
    fn sandbox() -> MockPaymentProvider {
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
    }

    fn report(outcome: Option<Outcome>) -> ProviderReport {
        ProviderReport {
            outcome,
            amount: amount(),
        }
    }

    #[tokio::test]
    async fn each_old_pending_payment_is_settled_with_its_providers_report() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(None), eq(BATCH))
            .times(1)
            .returning(|_, _, _| Ok(vec![pending(1), pending(2), pending(3), pending(4)]));
        let paid = Outcome::Succeeded { paid_at: now() };
        payments
            .expect_settle()
            .with(eq(id(1)), eq(paid))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Succeeded))));
        payments
            .expect_settle()
            .with(eq(id(2)), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let mut provider = sandbox();
        provider
            .expect_report()
            .with(eq("prov-1"))
            .times(1)
            .returning(move |_| Ok(report(Some(paid))));
        provider
            .expect_report()
            .with(eq("prov-2"))
            .times(1)
            .returning(|_| Ok(report(Some(Outcome::Canceled))));
        provider
            .expect_report()
            .with(eq("prov-3"))
            .times(1)
            .returning(|_| Ok(report(None)));
        provider
            .expect_report()
            .with(eq("prov-4"))
            .times(1)
            .returning(|_| Err(ProviderError::Unavailable("timeout".into())));

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReconciliationReport {
                checked: 4,
                succeeded: 1,
                canceled: 1,
                still_pending: 1,
                failed: 1,
            }
        );
    }

    #[tokio::test]
    async fn an_old_payment_that_never_reached_the_provider_is_canceled() {
        let mut unsent = pending(1);
        unsent.provider_payment_id = None;
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .return_once(move |_, _, _| Ok(vec![unsent]));
        payments
            .expect_settle()
            .with(eq(id(1)), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let mut provider = sandbox();
        provider.expect_report().never();

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReconciliationReport {
                checked: 1,
                canceled: 1,
                ..ReconciliationReport::default()
            }
        );
    }

    #[tokio::test]
    async fn a_failing_cancel_or_store_is_counted_and_the_run_goes_on() {
        let mut unsent = pending(1);
        unsent.provider_payment_id = None;
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .return_once(move |_, _, _| Ok(vec![unsent, pending(2), pending(3)]));
        payments
            .expect_settle()
            .with(eq(id(1)), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Err(down()));
        payments
            .expect_settle()
            .with(eq(id(2)), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Err(down()));
        payments
            .expect_settle()
            .with(eq(id(3)), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let mut provider = sandbox();
        provider
            .expect_report()
            .times(2)
            .returning(|_| Ok(report(Some(Outcome::Canceled))));

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReconciliationReport {
                checked: 3,
                canceled: 1,
                failed: 2,
                ..ReconciliationReport::default()
            }
        );
    }

    #[tokio::test]
    async fn a_payment_gone_before_its_cancel_is_counted_as_failed() {
        let mut unsent = pending(1);
        unsent.provider_payment_id = None;
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .return_once(move |_, _, _| Ok(vec![unsent]));
        payments.expect_settle().times(1).returning(|_, _| Ok(None));

        let outcome = use_case(payments, MockPaymentProvider::new())
            .execute(command())
            .await
            .unwrap();
        assert_eq!(outcome.failed, 1);
        assert_eq!(outcome.canceled, 0);
    }

    #[tokio::test]
    async fn an_amount_mismatch_is_counted_as_failed_and_not_settled() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .returning(|_, _, _| Ok(vec![pending(1)]));
        payments.expect_settle().never();
        let mut provider = sandbox();
        provider.expect_report().times(1).returning(|_| {
            Ok(ProviderReport {
                outcome: Some(Outcome::Canceled),
                amount: "9.99".parse().unwrap(),
            })
        });

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(outcome.failed, 1);
        assert_eq!(outcome.checked, 1);
    }

    #[tokio::test]
    async fn a_full_page_is_followed_by_the_page_after_its_last_payment() {
        let first: Vec<Payment> = (0..100).map(pending).collect();
        let last = PaymentCursor::from(&first[99]);
        // Payment 0 stays pending: the next page starts after the first page's last payment
        // all the same, so nothing of the first page is read again.
        let second = vec![pending(100), pending(101)];
        let mut payments = MockPaymentRepository::new();
        let mut seq = mockall::Sequence::new();
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(None), eq(BATCH))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _| Ok(first));
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(Some(last)), eq(BATCH))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _| Ok(second));
        payments
            .expect_settle()
            .times(101)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let mut provider = sandbox();
        provider
            .expect_report()
            .with(eq("prov-0"))
            .times(1)
            .returning(|_| Ok(report(None)));
        provider
            .expect_report()
            .times(101)
            .returning(|_| Ok(report(Some(Outcome::Canceled))));

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReconciliationReport {
                checked: 102,
                canceled: 101,
                still_pending: 1,
                ..ReconciliationReport::default()
            }
        );
    }

    #[tokio::test]
    async fn pages_that_stay_pending_are_each_read_once() {
        let first: Vec<Payment> = (0..100).map(pending).collect();
        let second: Vec<Payment> = (100..200).map(pending).collect();
        let (after_first, after_second) = (
            PaymentCursor::from(&first[99]),
            PaymentCursor::from(&second[99]),
        );
        let mut payments = MockPaymentRepository::new();
        let mut seq = mockall::Sequence::new();
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(None), eq(BATCH))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _| Ok(first));
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(Some(after_first)), eq(BATCH))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _| Ok(second));
        payments
            .expect_pending_created_before()
            .with(eq(cutoff()), eq(Some(after_second)), eq(BATCH))
            .times(1)
            .in_sequence(&mut seq)
            .return_once(move |_, _, _| Ok(vec![]));
        let mut provider = sandbox();
        provider
            .expect_report()
            .times(200)
            .returning(|_| Ok(report(None)));

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(outcome.checked, 200);
        assert_eq!(outcome.still_pending, 200);
    }

    #[tokio::test]
    async fn nothing_pending_checks_nothing() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let outcome = use_case(payments, MockPaymentProvider::new())
            .execute(command())
            .await
            .unwrap();
        assert_eq!(outcome, ReconciliationReport::default());
    }

    #[tokio::test]
    async fn a_store_down_when_listing_stops_the_run() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .times(1)
            .returning(|_, _, _| Err(down()));
        let outcome = use_case(payments, MockPaymentProvider::new())
            .execute(command())
            .await;
        assert!(
            matches!(
                outcome,
                Err(ReconcilePaymentsError::Store(StoreError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
    }
}
