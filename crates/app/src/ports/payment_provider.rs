use std::net::IpAddr;

use async_trait::async_trait;
use vodokanal_domain::payment::{Outcome, ReceiptContact};
use vodokanal_domain::{AccountNumber, Money, PaymentId, PaymentPurpose};

/// What the provider needs to create a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Our id: also the provider's idempotence key, so that a retry can't pay twice.
    pub payment_id: PaymentId,
    pub account_number: AccountNumber,
    pub purpose: PaymentPurpose,
    pub amount: Money,
    /// Shown to the payer by the provider, e.g. "Вода, л/с 123456".
    pub description: String,
    /// Where the provider sends the payer back.
    pub return_url: String,
    /// Where the 54-FZ receipt goes, when receipts are on.
    pub receipt_contact: Option<ReceiptContact>,
}

/// The provider's answer to a created payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPayment {
    pub provider_payment_id: String,
    /// Where the payer confirms the payment.
    pub confirmation_url: String,
}

/// The provider's account of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReport {
    /// `None` while the payment is still pending at the provider.
    pub outcome: Option<Outcome>,
    /// The amount the provider holds for it, to compare with ours.
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Transport failure, timeout or a 5xx: try again later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (bad credentials, bad parameters): an operator must act.
    #[error("the payment provider refused the request: {0}")]
    Rejected(String),
    /// The provider does not know the payment.
    #[error("the payment provider does not know the payment")]
    UnknownPayment,
}

/// A notification as it arrived over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub body: Vec<u8>,
    /// The client address, after the trusted-proxy rules.
    pub remote_addr: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// Not from the provider: wrong source address or signature.
    #[error("the notification is not from the provider: {0}")]
    Untrusted(String),
    #[error("the notification can't be read: {0}")]
    Malformed(String),
    /// A notification about something other than a payment's state (a refund, say).
    #[error("the notification is not about a payment's state")]
    Irrelevant,
}

/// A payment provider (the sandbox, YooKassa, T-Bank).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentProvider: std::fmt::Debug + Send + Sync {
    /// The name stored with each payment (`sandbox`, `yookassa`, `tbank`).
    fn name(&self) -> &'static str;
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError>;
    /// Asks the provider for the payment's state: the only thing a settlement trusts.
    async fn report(&self, provider_payment_id: &str) -> Result<ProviderReport, ProviderError>;
    /// Checks that a notification comes from the provider and returns the provider payment id
    /// it is about. The body is a hint only: the state is then asked with `report`.
    fn read_notification(&self, notification: &Notification) -> Result<String, NotificationError>;
}
