//! [`YooKassaProvider`]: YooKassa API v3 (`https://api.yookassa.ru/v3`), HTTP Basic auth
//! `shop_id:secret_key`, JSON.
//!
//! - `create`: `POST /payments` with `Idempotence-Key` = our payment id, so that a retry (ours,
//!   after a timeout or a 5xx) can't create a second payment; one-stage (`capture: true`),
//!   `confirmation.type = redirect`, `metadata` `{account, purpose, payment_id}`, and a 54-FZ
//!   `receipt` when the request carries a receipt contact.
//! - `report`: `GET /payments/{id}`.
//! - `read_notification`: the source address must be in the configured networks (the
//!   provider's published ones by default); the body only names the payment.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tracing::{instrument, warn};
use vodokanal_app::Secret;
use vodokanal_app::ports::{
    CreatedPayment, Notification, NotificationError, PaymentProvider, PaymentRequest,
    ProviderError, ProviderReport,
};
use vodokanal_app::receipts::{ReceiptRules, TaxSystem, VatRate};
use vodokanal_domain::{Money, Outcome, ReceiptContact};

use crate::http::{Api, BuildError, HttpPolicy, Reply, at_most, refused};

/// The notification networks YooKassa publishes (its SDK's `SecurityHelper`, and the IPv6
/// allocation `2a02:5180::/32` of its documentation).
pub const PUBLISHED_NETWORKS: [&str; 7] = [
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.154.128/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "2a02:5180::/32",
];

/// The provider's limit on `description`, in characters.
const DESCRIPTION_MAX: usize = 128;

/// What the adapter needs. `Debug` never shows the secret key.
#[derive(Debug, Clone)]
pub struct YooKassaConfig {
    /// E.g. `https://api.yookassa.ru/v3` (no trailing slash needed).
    pub base_url: String,
    pub shop_id: String,
    pub secret_key: Secret,
    /// Where notifications may come from.
    pub notify_networks: Vec<IpNet>,
    pub receipt_rules: ReceiptRules,
    pub http: HttpPolicy,
}

impl YooKassaConfig {
    /// [`PUBLISHED_NETWORKS`], parsed.
    pub fn published_networks() -> Vec<IpNet> {
        PUBLISHED_NETWORKS
            .iter()
            .filter_map(|net| net.parse().ok())
            .collect()
    }
}

/// The YooKassa adapter (`name()` = `yookassa`).
#[derive(Debug)]
pub struct YooKassaProvider {
    api: Api,
    base_url: String,
    shop_id: String,
    secret_key: Secret,
    notify_networks: Vec<IpNet>,
    receipt_rules: ReceiptRules,
}

#[derive(Debug, Serialize, Deserialize)]
struct Amount {
    value: String,
    currency: String,
}

impl Amount {
    fn rub(money: Money) -> Self {
        Self {
            value: money.to_string(),
            currency: "RUB".into(),
        }
    }
}

#[derive(Serialize)]
struct CreateBody<'a> {
    amount: Amount,
    capture: bool,
    confirmation: RedirectConfirmation<'a>,
    description: String,
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt: Option<Receipt>,
}

#[derive(Serialize)]
struct RedirectConfirmation<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    return_url: &'a str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    account: &'a str,
    purpose: &'static str,
    payment_id: String,
}

#[derive(Serialize)]
struct Receipt {
    customer: Customer,
    items: [ReceiptItem; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_system_code: Option<u8>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Customer {
    Email { email: String },
    Phone { phone: String },
}

#[derive(Serialize)]
struct ReceiptItem {
    description: String,
    quantity: &'static str,
    amount: Amount,
    vat_code: u8,
    payment_subject: &'static str,
    payment_mode: &'static str,
}

/// The provider's payment object, the fields we read.
#[derive(Deserialize)]
struct PaymentObject {
    id: String,
    status: String,
    amount: Amount,
    confirmation: Option<ConfirmationReply>,
    captured_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ConfirmationReply {
    confirmation_url: Option<String>,
}

/// The error body: `{"type": "error", "id", "code", "description", "parameter"}`. Only `code`
/// and `parameter` are repeated in our errors: a description may quote what we sent.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<String>,
    parameter: Option<String>,
}

#[derive(Deserialize)]
struct NotificationBody {
    event: String,
    object: NotificationObject,
}

#[derive(Deserialize)]
struct NotificationObject {
    id: String,
}

/// YooKassa's `vat_code`.
fn vat_code(vat: VatRate) -> u8 {
    match vat {
        VatRate::None => 1,
        VatRate::Vat0 => 2,
        VatRate::Vat10 => 3,
        VatRate::Vat20 => 4,
        VatRate::Vat10Of110 => 5,
        VatRate::Vat20Of120 => 6,
        VatRate::Vat5 => 7,
        VatRate::Vat7 => 8,
        VatRate::Vat5Of105 => 9,
        VatRate::Vat7Of107 => 10,
        VatRate::Vat22 => 11,
        VatRate::Vat22Of122 => 12,
    }
}

/// YooKassa's `tax_system_code`.
fn tax_system_code(tax: TaxSystem) -> u8 {
    match tax {
        TaxSystem::Osn => 1,
        TaxSystem::UsnIncome => 2,
        TaxSystem::UsnIncomeOutcome => 3,
        TaxSystem::Esn => 5,
        TaxSystem::Patent => 6,
    }
}

impl YooKassaProvider {
    /// The provider's name, stored with each of its payments.
    pub const NAME: &'static str = "yookassa";

    pub fn new(config: YooKassaConfig) -> Result<Self, BuildError> {
        Ok(Self {
            api: Api::new(config.http)?,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            shop_id: config.shop_id,
            secret_key: config.secret_key,
            notify_networks: config.notify_networks,
            receipt_rules: config.receipt_rules,
        })
    }

    fn receipt(&self, request: &PaymentRequest, description: &str) -> Option<Receipt> {
        let customer = match request.receipt_contact.as_ref()? {
            ReceiptContact::Email(email) => Customer::Email {
                email: email.to_string(),
            },
            // ITU-T E.164 without the plus: 79109845003.
            ReceiptContact::Phone(phone) => Customer::Phone {
                phone: phone.to_string().trim_start_matches('+').to_owned(),
            },
        };
        let rule = self.receipt_rules.item(request.purpose);
        Some(Receipt {
            customer,
            items: [ReceiptItem {
                description: description.to_owned(),
                quantity: "1.00",
                amount: Amount::rub(request.amount),
                vat_code: vat_code(rule.vat),
                // YooKassa spells every subject and mode as we do.
                payment_subject: rule.payment_subject.code(),
                payment_mode: rule.payment_mode.code(),
            }],
            tax_system_code: self.receipt_rules.tax_system.map(tax_system_code),
        })
    }
}

/// The error of a reply that is not a success: its status class, with the provider's code.
fn error_of(reply: &Reply) -> ProviderError {
    let detail = serde_json::from_slice::<ErrorBody>(&reply.body)
        .map(|body| match (body.code, body.parameter) {
            (Some(code), Some(parameter)) => format!("{code} ({parameter})"),
            (Some(code), None) => code,
            (None, _) => String::new(),
        })
        .unwrap_or_default();
    refused(reply.status, &detail)
}

/// The amount of a reply, in roubles and RUB only.
fn money(amount: &Amount) -> Result<Money, ProviderError> {
    if amount.currency != "RUB" {
        return Err(ProviderError::Rejected(format!(
            "the payment is in {}, not RUB",
            at_most(&amount.currency, 8)
        )));
    }
    amount
        .value
        .parse::<Money>()
        .map_err(|e| ProviderError::Unavailable(format!("unreadable amount in the reply: {e}")))
}

#[async_trait]
impl PaymentProvider for YooKassaProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[instrument(skip_all, fields(provider = Self::NAME, payment_id = %request.payment_id))]
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
        let description = at_most(&request.description, DESCRIPTION_MAX);
        let body = CreateBody {
            amount: Amount::rub(request.amount),
            capture: true,
            confirmation: RedirectConfirmation {
                kind: "redirect",
                return_url: &request.return_url,
            },
            metadata: Metadata {
                account: request.account_number.as_str(),
                purpose: request.purpose.code(),
                payment_id: request.payment_id.to_string(),
            },
            receipt: self.receipt(request, &description),
            description,
        };
        let key = request.payment_id.to_string();
        let url = format!("{}/payments", self.base_url);
        let reply = self
            .api
            .send(|client| {
                client
                    .post(&url)
                    .basic_auth(&self.shop_id, Some(self.secret_key.expose()))
                    .header("Idempotence-Key", &key)
                    .json(&body)
            })
            .await?;
        if !reply.status.is_success() {
            return Err(error_of(&reply));
        }
        let payment: PaymentObject = reply.json()?;
        match payment.confirmation.and_then(|c| c.confirmation_url) {
            Some(confirmation_url) => Ok(CreatedPayment {
                provider_payment_id: payment.id,
                confirmation_url,
            }),
            None if payment.status == "canceled" => Err(ProviderError::Rejected(
                "the provider canceled the payment at once".into(),
            )),
            None => Err(ProviderError::Unavailable(format!(
                "the reply (status {}) has no confirmation_url",
                at_most(&payment.status, 32)
            ))),
        }
    }

    #[instrument(skip_all, fields(provider = Self::NAME, provider_payment_id = %provider_payment_id))]
    async fn report(&self, provider_payment_id: &str) -> Result<ProviderReport, ProviderError> {
        let url = format!("{}/payments/{provider_payment_id}", self.base_url);
        let reply = self
            .api
            .send(|client| {
                client
                    .get(&url)
                    .basic_auth(&self.shop_id, Some(self.secret_key.expose()))
            })
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(ProviderError::UnknownPayment);
        }
        if !reply.status.is_success() {
            return Err(error_of(&reply));
        }
        let payment: PaymentObject = reply.json()?;
        let amount = money(&payment.amount)?;
        let outcome = match payment.status.as_str() {
            "pending" => None,
            // Only a two-stage payment waits for capture, and ours are one-stage: the money
            // is held, not ours; left pending for an operator to look at.
            "waiting_for_capture" => {
                warn!(
                    provider_payment_id,
                    "a payment waits for capture, which one-stage payments never do"
                );
                None
            }
            "succeeded" => {
                let paid_at = payment.captured_at.or(payment.created_at).ok_or_else(|| {
                    ProviderError::Unavailable("a succeeded payment without captured_at".into())
                })?;
                Some(Outcome::Succeeded { paid_at })
            }
            "canceled" => Some(Outcome::Canceled),
            other => {
                return Err(ProviderError::Unavailable(format!(
                    "unknown payment status {:?}",
                    at_most(other, 32)
                )));
            }
        };
        Ok(ProviderReport { outcome, amount })
    }

    /// Refuses a notification from outside the configured networks (`Untrusted`), names the
    /// payment of a `payment.*` event, and ignores the rest (`refund.*`, `deal.*`, `payout.*`).
    fn read_notification(&self, notification: &Notification) -> Result<String, NotificationError> {
        let Some(source) = notification.remote_addr.map(|ip| ip.to_canonical()) else {
            return Err(NotificationError::Untrusted("no source address".into()));
        };
        if !self.notify_networks.iter().any(|net| net.contains(&source)) {
            return Err(NotificationError::Untrusted(format!(
                "{source} is not in the provider's networks"
            )));
        }
        let body: NotificationBody = serde_json::from_slice(&notification.body).map_err(|e| {
            NotificationError::Malformed(format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if !body.event.starts_with("payment.") {
            return Err(NotificationError::Irrelevant);
        }
        let id = body.object.id.trim();
        if id.is_empty() {
            return Err(NotificationError::Malformed("object.id is empty".into()));
        }
        Ok(id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_codes_follow_the_providers_table() {
        let codes: Vec<u8> = VatRate::ALL.iter().map(|vat| vat_code(*vat)).collect();
        // none, 0, 5, 7, 10, 20, 22, 5/105, 7/107, 10/110, 20/120, 22/122
        assert_eq!(codes, [1, 2, 7, 8, 3, 4, 11, 9, 10, 5, 6, 12]);
        assert_eq!(tax_system_code(TaxSystem::Patent), 6);
    }

    #[test]
    fn the_published_networks_all_parse() {
        assert_eq!(
            YooKassaConfig::published_networks().len(),
            PUBLISHED_NETWORKS.len()
        );
    }

    #[test]
    fn the_secret_key_never_shows() {
        let config = YooKassaConfig {
            base_url: "https://api.yookassa.ru/v3".into(),
            shop_id: "123".into(),
            secret_key: "test_s3cret".into(),
            notify_networks: Vec::new(),
            receipt_rules: ReceiptRules::default(),
            http: HttpPolicy::default(),
        };
        assert!(!format!("{config:?}").contains("s3cret"));
        let provider = YooKassaProvider::new(config).unwrap();
        assert!(!format!("{provider:?}").contains("s3cret"));
    }
}
