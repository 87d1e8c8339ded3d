//! The provider's notifications: `POST /payments/notifications/{provider}`.

use std::sync::Arc;

use tracing::{info, warn};
use vodokanal_domain::{Money, Settlement};

use crate::StoreError;
use crate::payments::settle::{SettlePayment, SettlePaymentError};
use crate::ports::{
    Notification, NotificationError, PaymentProvider, PaymentRepository, ProviderError,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleNotificationCommand {
    pub notification: Notification,
}

/// What a notification led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// It was about something else than a payment's state (a refund, say): nothing was done.
    Ignored,
    /// The payment was checked with the provider: moved, or unchanged (a repeat, or still
    /// pending at the provider).
    Settled(Settlement),
}

#[derive(Debug, thiserror::Error)]
pub enum HandleNotificationError {
    /// Not from the provider (source address or signature); nothing changed.
    #[error("the notification is not from the provider: {0}")]
    Untrusted(String),
    /// The body can't be read.
    #[error("the notification can't be read: {0}")]
    Malformed(String),
    /// The provider's id matches none of our payments (logged).
    #[error("the notification is about a payment we do not know")]
    UnknownPayment,
    /// The provider holds another amount than ours; nothing settled (logged).
    #[error("the provider reports {reported} for a payment of {ours}")]
    AmountMismatch { ours: Money, reported: Money },
    /// The provider could not be asked; nothing changed, so the provider's next delivery of
    /// the notification retries.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SettlePaymentError> for HandleNotificationError {
    fn from(error: SettlePaymentError) -> Self {
        match error {
            // `OtherProvider` is not reached: the payment was found by the configured
            // provider's name.
            SettlePaymentError::NotFound | SettlePaymentError::OtherProvider(_) => {
                Self::UnknownPayment
            }
            SettlePaymentError::AmountMismatch { ours, reported } => {
                Self::AmountMismatch { ours, reported }
            }
            SettlePaymentError::Provider(e) => Self::Provider(e),
            SettlePaymentError::Store(e) => Self::Store(e),
        }
    }
}

/// Handles a notification: the provider adapter checks where it comes from and names the
/// provider's payment id; the body is trusted for nothing more. The payment is then settled
/// through [`SettlePayment`], which asks the provider for the state, so a forged or repeated
/// notification changes nothing.
#[derive(Debug)]
pub struct HandleNotification {
    payments: Arc<dyn PaymentRepository>,
    provider: Arc<dyn PaymentProvider>,
    settle: SettlePayment,
}

impl HandleNotification {
    pub fn new(payments: Arc<dyn PaymentRepository>, provider: Arc<dyn PaymentProvider>) -> Self {
        Self {
            settle: SettlePayment::new(payments.clone(), provider.clone()),
            payments,
            provider,
        }
    }

    /// The name of the provider whose notifications this handles (the configured one).
    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    pub async fn execute(
        &self,
        command: HandleNotificationCommand,
    ) -> Result<NotificationOutcome, HandleNotificationError> {
        let provider = self.provider.name();
        let provider_payment_id = match self.provider.read_notification(&command.notification) {
            Ok(id) => id,
            Err(NotificationError::Untrusted(reason)) => {
                warn!(provider, remote_addr = ?command.notification.remote_addr, %reason, "untrusted payment notification ignored");
                return Err(HandleNotificationError::Untrusted(reason));
            }
            Err(NotificationError::Malformed(reason)) => {
                warn!(provider, %reason, "unreadable payment notification");
                return Err(HandleNotificationError::Malformed(reason));
            }
            Err(NotificationError::Irrelevant) => return Ok(NotificationOutcome::Ignored),
        };
        let Some(payment) = self
            .payments
            .find_by_provider_id(provider, &provider_payment_id)
            .await?
        else {
            warn!(
                provider,
                provider_payment_id, "notification about a payment we do not know"
            );
            return Err(HandleNotificationError::UnknownPayment);
        };
        let settlement = self.settle.settle(&payment).await?;
        info!(payment_id = %payment.id, ?settlement, "payment notification handled");
        Ok(NotificationOutcome::Settled(settlement))
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
    use vodokanal_domain::{Outcome, Payment, PaymentStatus};

    fn notification() -> Notification {
        Notification {
            body: br#"{"event":"payment.succeeded","object":{"id":"prov-1"}}"#.to_vec(),
            remote_addr: Some("185.71.76.1".parse().unwrap()),
        }
    }

    fn command() -> HandleNotificationCommand {
        HandleNotificationCommand {
            notification: notification(),
        }
    }

    fn provider_reading(read: Result<String, NotificationError>) -> MockPaymentProvider {
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_read_notification()
            .with(eq(notification()))
            .times(1)
            .return_once(move |_| read);
        provider
    }

    fn reporting(
        mut provider: MockPaymentProvider,
        report: Result<ProviderReport, ProviderError>,
    ) -> MockPaymentProvider {
        provider
            .expect_report()
            .with(eq("prov-1"))
            .times(1)
            .return_once(move |_| report);
        provider
    }

    fn succeeded() -> Outcome {
        Outcome::Succeeded { paid_at: now() }
    }

    fn payments_finding(found: Result<Option<Payment>, StoreError>) -> MockPaymentRepository {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_find_by_provider_id()
            .with(eq("sandbox"), eq("prov-1"))
            .times(1)
            .return_once(move |_, _| found);
        payments
    }

    fn use_case(
        payments: MockPaymentRepository,
        provider: MockPaymentProvider,
    ) -> HandleNotification {
        HandleNotification::new(Arc::new(payments), Arc::new(provider))
    }

    #[tokio::test]
    async fn a_notification_settles_the_payment_with_the_providers_report() {
        let mut payments = payments_finding(Ok(Some(payment())));
        payments
            .expect_settle()
            .with(eq(payment_id()), eq(succeeded()))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Succeeded))));
        let provider = reporting(
            provider_reading(Ok("prov-1".into())),
            Ok(ProviderReport {
                outcome: Some(succeeded()),
                amount: amount(),
            }),
        );

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            NotificationOutcome::Settled(Settlement::Moved(PaymentStatus::Succeeded))
        );
    }

    #[tokio::test]
    async fn a_repeated_notification_changes_nothing() {
        let mut done = payment();
        done.status = PaymentStatus::Succeeded;
        done.paid_at = Some(now());
        let mut payments = payments_finding(Ok(Some(done)));
        payments.expect_settle().never();
        let mut provider = provider_reading(Ok("prov-1".into()));
        provider.expect_report().never();

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            NotificationOutcome::Settled(Settlement::Unchanged(PaymentStatus::Succeeded))
        );
    }

    #[tokio::test]
    async fn a_notification_while_the_provider_still_says_pending_changes_nothing() {
        let mut payments = payments_finding(Ok(Some(payment())));
        payments.expect_settle().never();
        let provider = reporting(
            provider_reading(Ok("prov-1".into())),
            Ok(ProviderReport {
                outcome: None,
                amount: amount(),
            }),
        );

        let outcome = use_case(payments, provider)
            .execute(command())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            NotificationOutcome::Settled(Settlement::Unchanged(PaymentStatus::Pending))
        );
    }

    #[tokio::test]
    async fn an_untrusted_notification_is_refused_without_touching_anything() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_find_by_provider_id().never();
        payments.expect_settle().never();
        let mut provider = provider_reading(Err(NotificationError::Untrusted("1.2.3.4".into())));
        provider.expect_report().never();

        let outcome = use_case(payments, provider).execute(command()).await;
        assert!(
            matches!(outcome, Err(HandleNotificationError::Untrusted(ref r)) if r == "1.2.3.4"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_malformed_notification_is_refused() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_find_by_provider_id().never();
        let provider = provider_reading(Err(NotificationError::Malformed("not json".into())));

        let outcome = use_case(payments, provider).execute(command()).await;
        assert!(
            matches!(outcome, Err(HandleNotificationError::Malformed(_))),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_irrelevant_notification_is_ignored() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_find_by_provider_id().never();
        let provider = provider_reading(Err(NotificationError::Irrelevant));

        let outcome = use_case(payments, provider).execute(command()).await;
        assert!(
            matches!(outcome, Ok(NotificationOutcome::Ignored)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_notification_about_an_unknown_payment_is_refused() {
        let mut provider = provider_reading(Ok("prov-1".into()));
        provider.expect_report().never();

        let outcome = use_case(payments_finding(Ok(None)), provider)
            .execute(command())
            .await;
        assert!(
            matches!(outcome, Err(HandleNotificationError::UnknownPayment)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn another_amount_at_the_provider_is_refused() {
        let mut payments = payments_finding(Ok(Some(payment())));
        payments.expect_settle().never();
        let provider = reporting(
            provider_reading(Ok("prov-1".into())),
            Ok(ProviderReport {
                outcome: Some(succeeded()),
                amount: "0.01".parse().unwrap(),
            }),
        );

        let outcome = use_case(payments, provider).execute(command()).await;
        assert!(
            matches!(outcome, Err(HandleNotificationError::AmountMismatch { ours, .. }) if ours == amount()),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_down_changes_nothing() {
        let mut payments = payments_finding(Ok(Some(payment())));
        payments.expect_settle().never();
        let provider = reporting(
            provider_reading(Ok("prov-1".into())),
            Err(ProviderError::Unavailable("timeout".into())),
        );

        let outcome = use_case(payments, provider).execute(command()).await;
        assert!(
            matches!(
                outcome,
                Err(HandleNotificationError::Provider(
                    ProviderError::Unavailable(_)
                ))
            ),
            "{outcome:?}"
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> HandleNotification;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("find", || {
                let provider = provider_reading(Ok("prov-1".into()));
                use_case(payments_finding(Err(down())), provider)
            }),
            ("settle", || {
                let mut payments = payments_finding(Ok(Some(payment())));
                payments
                    .expect_settle()
                    .times(1)
                    .returning(|_, _| Err(down()));
                let provider = reporting(
                    provider_reading(Ok("prov-1".into())),
                    Ok(ProviderReport {
                        outcome: Some(Outcome::Canceled),
                        amount: amount(),
                    }),
                );
                use_case(payments, provider)
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command()).await;
            assert!(
                matches!(
                    outcome,
                    Err(HandleNotificationError::Store(ref e)) if *e == down()
                ),
                "{step}: {outcome:?}"
            );
        }
    }
}
