//! [`SandboxProvider`]: a payment provider inside the server, for development and demos.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::info;
use vodokanal_app::ports::{
    CreatedPayment, Notification, NotificationError, PaymentProvider, PaymentRequest,
    ProviderError, ProviderReport,
};
use vodokanal_domain::{Money, Outcome};

/// What the sandbox knows of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPayment {
    pub amount: Money,
    /// What the payer was told ("Вода, л/с 123456").
    pub description: String,
    /// Where the payer goes back to.
    pub return_url: String,
    /// `None` until the payer decides.
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    /// The sandbox never created this payment (or the server restarted since: the sandbox
    /// keeps its payments in memory).
    #[error("the sandbox does not know the payment")]
    UnknownPayment,
}

/// The sandbox payment provider (`name()` = `sandbox`). `create` answers with our own payment
/// id as the provider's id and `{public_url}/sandbox/pay/{id}` as the confirmation URL, and
/// remembers the payment; [`SandboxProvider::decide`] records the payer's choice on that page;
/// `report` tells it (`outcome: None` until then). The state is in memory, and bounded: the
/// sandbox remembers the last [`SandboxProvider::CAPACITY`] payments it created and forgets the
/// oldest past them. A payment created before a restart, or forgotten, is unknown (`report`
/// answers `UnknownPayment`, and reconciliation leaves it pending), which is acceptable for a
/// sandbox.
pub struct SandboxProvider {
    public_url: String,
    payments: Mutex<Payments>,
}

/// The payments, and their ids in the order they were created (the oldest first).
struct Payments {
    by_id: HashMap<String, SandboxPayment>,
    created: VecDeque<String>,
    capacity: usize,
}

impl Payments {
    /// Remembers `payment` under `id` unless `id` is known, forgetting the oldest payments
    /// past the capacity.
    fn insert(&mut self, id: &str, payment: impl FnOnce() -> SandboxPayment) {
        if self.by_id.contains_key(id) {
            return;
        }
        self.by_id.insert(id.to_owned(), payment());
        self.created.push_back(id.to_owned());
        while self.created.len() > self.capacity {
            if let Some(oldest) = self.created.pop_front() {
                self.by_id.remove(&oldest);
            }
        }
    }

    fn len(&self) -> usize {
        self.by_id.len()
    }
}

impl fmt::Debug for SandboxProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxProvider")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// The sandbox page's own notification body.
#[derive(Deserialize)]
struct NotificationBody {
    payment_id: String,
}

impl SandboxProvider {
    /// The provider's name, stored with each of its payments.
    pub const NAME: &'static str = "sandbox";

    /// How many payments the sandbox remembers (a few MB): the soak of issue 16 started 85,000
    /// in ten minutes, and remembering each of them was the server's growing memory.
    pub const CAPACITY: usize = 10_000;

    /// A sandbox whose pages are under `public_url` (the server's public base URL).
    pub fn new(public_url: &str) -> Self {
        Self::remembering(public_url, Self::CAPACITY)
    }

    /// A sandbox that remembers the last `capacity` payments (at least one).
    pub fn remembering(public_url: &str, capacity: usize) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            payments: Mutex::new(Payments {
                by_id: HashMap::new(),
                created: VecDeque::new(),
                capacity: capacity.max(1),
            }),
        }
    }

    /// How many payments the sandbox remembers now.
    pub fn remembered(&self) -> usize {
        self.payments().len()
    }

    fn payments(&self) -> std::sync::MutexGuard<'_, Payments> {
        // No update panics halfway (an insert, a removal, a field set), so a poisoned lock
        // still guards a consistent state.
        self.payments.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The confirmation page of a payment.
    pub fn confirmation_url(&self, provider_payment_id: &str) -> String {
        format!("{}/sandbox/pay/{provider_payment_id}", self.public_url)
    }

    /// What the sandbox knows of a payment.
    pub fn payment(&self, provider_payment_id: &str) -> Option<SandboxPayment> {
        self.payments().by_id.get(provider_payment_id).cloned()
    }

    /// Records the payer's choice on the sandbox page: paid at `at`, or canceled. The first
    /// choice stands: a later one (a second click, another tab) changes nothing. Returns the
    /// outcome that stands.
    pub fn decide(
        &self,
        provider_payment_id: &str,
        succeeded: bool,
        at: DateTime<Utc>,
    ) -> Result<Outcome, SandboxError> {
        let mut payments = self.payments();
        let payment = payments
            .by_id
            .get_mut(provider_payment_id)
            .ok_or(SandboxError::UnknownPayment)?;
        if let Some(outcome) = payment.outcome {
            return Ok(outcome);
        }
        let outcome = if succeeded {
            Outcome::Succeeded { paid_at: at }
        } else {
            Outcome::Canceled
        };
        payment.outcome = Some(outcome);
        info!(provider_payment_id, ?outcome, "sandbox payment decided");
        Ok(outcome)
    }
}

#[async_trait]
impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Remembers the payment (forgetting the oldest past [`SandboxProvider::CAPACITY`]);
    /// creating the same payment again (a retry with the same id) keeps what was there, as a
    /// provider's idempotence key would.
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
        let id = request.payment_id.to_string();
        self.payments().insert(&id, || SandboxPayment {
            amount: request.amount,
            description: request.description.clone(),
            return_url: request.return_url.clone(),
            outcome: None,
        });
        Ok(CreatedPayment {
            confirmation_url: self.confirmation_url(&id),
            provider_payment_id: id,
        })
    }

    async fn report(&self, provider_payment_id: &str) -> Result<ProviderReport, ProviderError> {
        let payment = self
            .payment(provider_payment_id)
            .ok_or(ProviderError::UnknownPayment)?;
        Ok(ProviderReport {
            outcome: payment.outcome,
            amount: payment.amount,
        })
    }

    /// The sandbox's notification is `{"payment_id": "..."}`; like any notification it names
    /// the payment only, and the state is then asked with `report`.
    fn read_notification(&self, notification: &Notification) -> Result<String, NotificationError> {
        let body: NotificationBody = serde_json::from_slice(&notification.body)
            .map_err(|e| NotificationError::Malformed(e.to_string()))?;
        let id = body.payment_id.trim();
        if id.is_empty() {
            return Err(NotificationError::Malformed("payment_id is empty".into()));
        }
        Ok(id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vodokanal_domain::{PaymentId, PaymentPurpose};

    fn request(amount: &str) -> PaymentRequest {
        PaymentRequest {
            payment_id: PaymentId::from_random_bytes([7; 16]),
            account_number: "123456".parse().unwrap(),
            purpose: PaymentPurpose::Water,
            amount: amount.parse().unwrap(),
            description: "Вода, л/с 123456".into(),
            return_url: "http://127.0.0.1:8080/payments/x".into(),
            receipt_contact: None,
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-16T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[tokio::test]
    async fn create_answers_with_our_id_and_the_servers_own_page() {
        let sandbox = SandboxProvider::new("http://127.0.0.1:8080/");
        let created = sandbox.create(&request("150.50")).await.unwrap();
        let id = PaymentId::from_random_bytes([7; 16]).to_string();
        assert_eq!(created.provider_payment_id, id);
        assert_eq!(
            created.confirmation_url,
            format!("http://127.0.0.1:8080/sandbox/pay/{id}")
        );
        assert_eq!(sandbox.name(), "sandbox");
    }

    #[tokio::test]
    async fn report_is_pending_until_the_payer_decides() {
        let sandbox = SandboxProvider::new("http://x");
        let id = sandbox
            .create(&request("150.50"))
            .await
            .unwrap()
            .provider_payment_id;
        let report = sandbox.report(&id).await.unwrap();
        assert_eq!(report.outcome, None);
        assert_eq!(report.amount, "150.50".parse().unwrap());

        let outcome = sandbox.decide(&id, true, at()).unwrap();
        assert_eq!(outcome, Outcome::Succeeded { paid_at: at() });
        assert_eq!(sandbox.report(&id).await.unwrap().outcome, Some(outcome));
    }

    #[tokio::test]
    async fn the_first_choice_stands() {
        let sandbox = SandboxProvider::new("http://x");
        let id = sandbox
            .create(&request("1.00"))
            .await
            .unwrap()
            .provider_payment_id;
        assert_eq!(sandbox.decide(&id, false, at()), Ok(Outcome::Canceled));
        assert_eq!(sandbox.decide(&id, true, at()), Ok(Outcome::Canceled));
        assert_eq!(
            sandbox.report(&id).await.unwrap().outcome,
            Some(Outcome::Canceled)
        );
    }

    #[tokio::test]
    async fn a_retried_create_keeps_the_first_payment() {
        let sandbox = SandboxProvider::new("http://x");
        let id = sandbox
            .create(&request("1.00"))
            .await
            .unwrap()
            .provider_payment_id;
        sandbox.decide(&id, true, at()).unwrap();
        sandbox.create(&request("2.00")).await.unwrap();
        let report = sandbox.report(&id).await.unwrap();
        assert_eq!(report.amount, "1.00".parse().unwrap());
        assert!(report.outcome.is_some());
    }

    fn request_numbered(n: u128) -> PaymentRequest {
        PaymentRequest {
            payment_id: PaymentId::from_random_bytes(n.to_be_bytes()),
            ..request("1.00")
        }
    }

    #[tokio::test]
    async fn past_its_capacity_the_sandbox_forgets_the_oldest_payment() {
        let sandbox = SandboxProvider::remembering("http://x", 2);
        let mut ids = Vec::new();
        for n in 1..=3 {
            let created = sandbox.create(&request_numbered(n)).await.unwrap();
            ids.push(created.provider_payment_id);
        }
        assert_eq!(sandbox.remembered(), 2);
        assert_eq!(
            sandbox.report(&ids[0]).await,
            Err(ProviderError::UnknownPayment)
        );
        assert_eq!(
            sandbox.decide(&ids[0], true, at()),
            Err(SandboxError::UnknownPayment)
        );
        assert!(sandbox.report(&ids[1]).await.is_ok());
        assert!(sandbox.report(&ids[2]).await.is_ok());
        // A retried create is no new payment: nothing more is forgotten.
        sandbox.create(&request_numbered(2)).await.unwrap();
        sandbox.create(&request_numbered(3)).await.unwrap();
        assert_eq!(sandbox.remembered(), 2);
        assert!(sandbox.report(&ids[1]).await.is_ok());
    }

    #[tokio::test]
    async fn the_default_sandbox_remembers_its_capacity_and_no_more() {
        let sandbox = SandboxProvider::new("http://x");
        for n in 0..=SandboxProvider::CAPACITY {
            let n = u128::try_from(n).unwrap();
            sandbox.create(&request_numbered(n)).await.unwrap();
        }
        assert_eq!(sandbox.remembered(), SandboxProvider::CAPACITY);
    }

    #[tokio::test]
    async fn unknown_payments_are_refused() {
        let sandbox = SandboxProvider::new("http://x");
        assert_eq!(
            sandbox.report("nope").await,
            Err(ProviderError::UnknownPayment)
        );
        assert_eq!(
            sandbox.decide("nope", true, at()),
            Err(SandboxError::UnknownPayment)
        );
        assert_eq!(sandbox.payment("nope"), None);
    }

    #[test]
    fn a_notification_names_the_payment() {
        let sandbox = SandboxProvider::new("http://x");
        let notification = |body: &str| Notification {
            body: body.as_bytes().to_vec(),
            remote_addr: None,
        };
        assert_eq!(
            sandbox.read_notification(&notification(r#"{"payment_id": "abc"}"#)),
            Ok("abc".to_owned())
        );
        assert!(matches!(
            sandbox.read_notification(&notification("not json")),
            Err(NotificationError::Malformed(_))
        ));
        assert!(matches!(
            sandbox.read_notification(&notification(r#"{"payment_id": " "}"#)),
            Err(NotificationError::Malformed(_))
        ));
        assert!(matches!(
            sandbox.read_notification(&notification(r#"{"id": "abc"}"#)),
            Err(NotificationError::Malformed(_))
        ));
    }
}
