//! Settling a payment with what its provider reports: the one path that changes a payment's
//! status, shared by notifications ([`crate::payments::HandleNotification`]), the sandbox's
//! pay page and reconciliation ([`crate::payments::ReconcilePayments`]).

use std::sync::Arc;

use tracing::{error, info, warn};
use vodokanal_domain::{Money, Payment, PaymentId, PaymentStatus, Settlement};

use crate::StoreError;
use crate::ports::{PaymentProvider, PaymentRepository, ProviderError};

/// Which payment to settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRef {
    /// Our id.
    Ours(PaymentId),
    /// The provider's id (of the configured provider).
    Provider(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlePaymentCommand {
    pub payment: PaymentRef,
}

#[derive(Debug, thiserror::Error)]
pub enum SettlePaymentError {
    /// We have no such payment.
    #[error("no such payment")]
    NotFound,
    /// The provider holds another amount than ours; nothing is settled and an error line is
    /// logged for an operator.
    #[error("the provider reports {reported} for a payment of {ours}")]
    AmountMismatch { ours: Money, reported: Money },
    /// The payment belongs to a provider other than the configured one (the configuration
    /// changed), so there is no one to ask; logged.
    #[error("the payment belongs to the provider {0}, which is not configured")]
    OtherProvider(String),
    /// The provider could not be asked (or does not know the payment); nothing changed, a
    /// later notification or reconciliation will retry.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Settles a payment with the provider's own report (`PaymentProvider::report`), never with
/// what a caller claims:
///
/// - a payment already final is left as it is (`Settlement::Unchanged`) without asking;
/// - a pending payment the provider never created (no provider id yet) and one the provider
///   still reports pending are left pending: `Settlement::Unchanged(PaymentStatus::Pending)`;
/// - a payment of another provider than the configured one is refused (`OtherProvider`);
/// - a report whose amount differs from ours is refused (`AmountMismatch`, logged);
/// - otherwise the outcome is applied atomically by `PaymentRepository::settle`, which moves a
///   pending payment once whatever the concurrency, so a repeated notification changes nothing.
#[derive(Debug)]
pub struct SettlePayment {
    payments: Arc<dyn PaymentRepository>,
    provider: Arc<dyn PaymentProvider>,
}

impl SettlePayment {
    pub fn new(payments: Arc<dyn PaymentRepository>, provider: Arc<dyn PaymentProvider>) -> Self {
        Self { payments, provider }
    }

    pub async fn execute(
        &self,
        command: SettlePaymentCommand,
    ) -> Result<Settlement, SettlePaymentError> {
        let found = match &command.payment {
            PaymentRef::Ours(id) => self.payments.find(*id).await?,
            PaymentRef::Provider(provider_payment_id) => {
                self.payments
                    .find_by_provider_id(self.provider.name(), provider_payment_id)
                    .await?
            }
        };
        let payment = found.ok_or(SettlePaymentError::NotFound)?;
        self.settle(&payment).await
    }

    /// The settle path for a payment already loaded.
    pub(crate) async fn settle(&self, payment: &Payment) -> Result<Settlement, SettlePaymentError> {
        if payment.status.is_final() {
            return Ok(Settlement::Unchanged(payment.status));
        }
        let Some(provider_payment_id) = payment.provider_payment_id.as_deref() else {
            return Ok(Settlement::Unchanged(PaymentStatus::Pending));
        };
        if payment.provider != self.provider.name() {
            warn!(
                payment_id = %payment.id,
                provider = %payment.provider,
                configured = self.provider.name(),
                "a pending payment of a provider that is not configured can't be settled"
            );
            return Err(SettlePaymentError::OtherProvider(payment.provider.clone()));
        }
        let report = self.provider.report(provider_payment_id).await?;
        let Some(outcome) = report.outcome else {
            return Ok(Settlement::Unchanged(PaymentStatus::Pending));
        };
        if report.amount != payment.amount {
            error!(
                payment_id = %payment.id,
                provider = %payment.provider,
                provider_payment_id,
                ours = %payment.amount,
                reported = %report.amount,
                "the provider reports another amount than ours: not settled, an operator must look"
            );
            return Err(SettlePaymentError::AmountMismatch {
                ours: payment.amount,
                reported: report.amount,
            });
        }
        let settlement = self
            .payments
            .settle(payment.id, outcome)
            .await?
            .ok_or(SettlePaymentError::NotFound)?;
        if let Settlement::Moved(status) = settlement {
            crate::metrics::payment_settled(&payment.provider, status);
        }
        info!(payment_id = %payment.id, ?settlement, "payment settled");
        Ok(settlement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::{amount, payment, payment_id};
    use crate::ports::{MockPaymentProvider, MockPaymentRepository, ProviderReport};
    use crate::testing::down;
    use crate::testing::now;
    use mockall::predicate::eq;
    use vodokanal_domain::Outcome;

    fn succeeded() -> Outcome {
        Outcome::Succeeded { paid_at: now() }
    }

    fn provider_reporting(result: Result<ProviderReport, ProviderError>) -> MockPaymentProvider {
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_report()
            .with(eq("prov-1"))
            .times(1)
            .return_once(move |_| result);
        provider
    }

    fn report(outcome: Option<Outcome>) -> ProviderReport {
        ProviderReport {
            outcome,
            amount: amount(),
        }
    }

    fn payments_finding(found: Option<Payment>) -> MockPaymentRepository {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_find()
            .with(eq(payment_id()))
            .times(1)
            .return_once(move |_| Ok(found));
        payments
    }

    fn by_our_id() -> SettlePaymentCommand {
        SettlePaymentCommand {
            payment: PaymentRef::Ours(payment_id()),
        }
    }

    fn use_case(payments: MockPaymentRepository, provider: MockPaymentProvider) -> SettlePayment {
        SettlePayment::new(Arc::new(payments), Arc::new(provider))
    }

    #[tokio::test]
    async fn a_payment_the_provider_reports_succeeded_is_settled_succeeded() {
        let mut payments = payments_finding(Some(payment()));
        payments
            .expect_settle()
            .with(eq(payment_id()), eq(succeeded()))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Succeeded))));
        let use_case = use_case(payments, provider_reporting(Ok(report(Some(succeeded())))));

        let outcome = use_case.execute(by_our_id()).await.unwrap();
        assert_eq!(outcome, Settlement::Moved(PaymentStatus::Succeeded));
    }

    #[tokio::test]
    async fn a_payment_is_found_by_the_providers_id_of_the_configured_provider() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_find_by_provider_id()
            .with(eq("sandbox"), eq("prov-1"))
            .times(1)
            .returning(|_, _| Ok(Some(payment())));
        payments
            .expect_settle()
            .with(eq(payment_id()), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let use_case = use_case(
            payments,
            provider_reporting(Ok(report(Some(Outcome::Canceled)))),
        );

        let outcome = use_case
            .execute(SettlePaymentCommand {
                payment: PaymentRef::Provider("prov-1".into()),
            })
            .await
            .unwrap();
        assert_eq!(outcome, Settlement::Moved(PaymentStatus::Canceled));
    }

    #[tokio::test]
    async fn a_payment_still_pending_at_the_provider_changes_nothing() {
        let mut payments = payments_finding(Some(payment()));
        payments.expect_settle().never();
        let use_case = use_case(payments, provider_reporting(Ok(report(None))));

        let outcome = use_case.execute(by_our_id()).await.unwrap();
        assert_eq!(outcome, Settlement::Unchanged(PaymentStatus::Pending));
    }

    #[tokio::test]
    async fn a_final_payment_is_left_as_it_is_without_asking_the_provider() {
        let mut done = payment();
        done.status = PaymentStatus::Succeeded;
        let mut payments = payments_finding(Some(done));
        payments.expect_settle().never();
        let mut provider = MockPaymentProvider::new();
        provider.expect_report().never();
        let use_case = use_case(payments, provider);

        let outcome = use_case.execute(by_our_id()).await.unwrap();
        assert_eq!(outcome, Settlement::Unchanged(PaymentStatus::Succeeded));
    }

    #[tokio::test]
    async fn a_payment_the_provider_never_created_stays_pending() {
        let mut unsent = payment();
        unsent.provider_payment_id = None;
        let mut payments = payments_finding(Some(unsent));
        payments.expect_settle().never();
        let mut provider = MockPaymentProvider::new();
        provider.expect_report().never();
        let use_case = use_case(payments, provider);

        let outcome = use_case.execute(by_our_id()).await.unwrap();
        assert_eq!(outcome, Settlement::Unchanged(PaymentStatus::Pending));
    }

    #[tokio::test]
    async fn a_store_that_already_settled_it_reports_unchanged() {
        let mut payments = payments_finding(Some(payment()));
        payments
            .expect_settle()
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Unchanged(PaymentStatus::Succeeded))));
        let use_case = use_case(payments, provider_reporting(Ok(report(Some(succeeded())))));

        let outcome = use_case.execute(by_our_id()).await.unwrap();
        assert_eq!(outcome, Settlement::Unchanged(PaymentStatus::Succeeded));
    }

    #[tokio::test]
    async fn another_amount_at_the_provider_is_refused_and_nothing_is_settled() {
        let mut payments = payments_finding(Some(payment()));
        payments.expect_settle().never();
        let reported: Money = "1.00".parse().unwrap();
        let use_case = use_case(
            payments,
            provider_reporting(Ok(ProviderReport {
                outcome: Some(succeeded()),
                amount: reported,
            })),
        );

        let outcome = use_case.execute(by_our_id()).await;
        assert!(
            matches!(
                outcome,
                Err(SettlePaymentError::AmountMismatch { ours, reported: r })
                    if ours == amount() && r == reported
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_payment_of_a_provider_no_longer_configured_is_not_asked_about() {
        let mut old = payment();
        old.provider = "yookassa".into();
        let mut payments = payments_finding(Some(old));
        payments.expect_settle().never();
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider.expect_report().never();
        let use_case = use_case(payments, provider);

        let outcome = use_case.execute(by_our_id()).await;
        assert!(
            matches!(outcome, Err(SettlePaymentError::OtherProvider(ref p)) if p == "yookassa"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_payment_is_not_found() {
        let mut provider = MockPaymentProvider::new();
        provider.expect_report().never();
        let use_case = use_case(payments_finding(None), provider);

        let outcome = use_case.execute(by_our_id()).await;
        assert!(
            matches!(outcome, Err(SettlePaymentError::NotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_payment_gone_when_settling_is_not_found() {
        let mut payments = payments_finding(Some(payment()));
        payments.expect_settle().times(1).returning(|_, _| Ok(None));
        let use_case = use_case(payments, provider_reporting(Ok(report(Some(succeeded())))));

        let outcome = use_case.execute(by_our_id()).await;
        assert!(
            matches!(outcome, Err(SettlePaymentError::NotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_down_changes_nothing() {
        let mut payments = payments_finding(Some(payment()));
        payments.expect_settle().never();
        let use_case = use_case(
            payments,
            provider_reporting(Err(ProviderError::Unavailable("timeout".into()))),
        );

        let outcome = use_case.execute(by_our_id()).await;
        assert!(
            matches!(
                outcome,
                Err(SettlePaymentError::Provider(ProviderError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> SettlePayment;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("find", || {
                let mut payments = MockPaymentRepository::new();
                payments.expect_find().times(1).returning(|_| Err(down()));
                use_case(payments, MockPaymentProvider::new())
            }),
            ("settle", || {
                let mut payments = payments_finding(Some(payment()));
                payments
                    .expect_settle()
                    .times(1)
                    .returning(|_, _| Err(down()));
                use_case(payments, provider_reporting(Ok(report(Some(succeeded())))))
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(by_our_id()).await;
            assert!(
                matches!(outcome, Err(SettlePaymentError::Store(ref e)) if *e == down()),
                "{step}: {outcome:?}"
            );
        }
    }
}
