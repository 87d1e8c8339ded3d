//! [`TBankProvider`]: T-Bank (Tinkoff) Acquiring API v2 (`https://securepay.tinkoff.ru/v2`).
//! Every method is a JSON `POST` authenticated by `TerminalKey` and a [`token`] in the body.
//!
//! - `create`: `Init` with `OrderId` = our payment id, the amount in kopecks, `SuccessURL` and
//!   `FailURL` = the return URL, `NotificationURL` when configured, `DATA` `{account, purpose,
//!   payment_id}`, and a `Receipt` (FFD 1.05) when the request carries a receipt contact.
//! - `report`: `GetState`.
//! - `read_notification`: the notification's `TerminalKey` must be ours and its `Token` must
//!   verify with our password; the body only names the payment (`PaymentId`), whose state is
//!   then asked with `GetState`. The HTTP layer answers `OK`, as T-Bank requires.
//!
//! T-Bank has no idempotence key: a repeated `Init` (after a timeout or a 5xx) may open a
//! second payment form for the same `OrderId`, but only the reply we read is shown to the
//! payer, so nothing can be paid twice; an unused form expires at the provider.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tracing::{instrument, warn};
use vodokanal_app::Secret;
use vodokanal_app::ports::{
    Clock, CreatedPayment, Notification, NotificationError, PaymentProvider, PaymentRequest,
    ProviderError, ProviderReport,
};
use vodokanal_app::receipts::{PaymentMode, ReceiptRules, TaxSystem, VatRate};
use vodokanal_domain::{Money, Outcome, ReceiptContact};

use crate::http::{Api, BuildError, HttpPolicy, Reply, at_most, refused};

/// The provider's limits, in characters.
const DESCRIPTION_MAX: usize = 140;
const ITEM_NAME_MAX: usize = 128;

/// `ErrorCode`s that say the provider failed, not our request: 3 "internal error" and 9999
/// "internal system error". The rest are refusals.
const PROVIDER_FAILURES: [&str; 2] = ["3", "9999"];

/// What the adapter needs. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct TBankConfig {
    /// E.g. `https://securepay.tinkoff.ru/v2` (no trailing slash needed).
    pub base_url: String,
    pub terminal_key: String,
    pub password: Secret,
    /// Our notification endpoint (`{public_url}/api/v1/payments/notifications/tbank`), sent
    /// with each `Init`; `None` leaves the one set in the merchant cabinet.
    pub notification_url: Option<String>,
    pub receipt_rules: ReceiptRules,
    pub http: HttpPolicy,
}

/// The T-Bank adapter (`name()` = `tbank`). `GetState` gives no time of payment: a confirmed
/// payment is paid at the moment we learn it, by the clock.
#[derive(Debug)]
pub struct TBankProvider {
    api: Api,
    base_url: String,
    terminal_key: String,
    password: Secret,
    notification_url: Option<String>,
    receipt_rules: ReceiptRules,
    clock: Arc<dyn Clock>,
}

/// The `Token` of a request or a notification: SHA-256, in lowercase hex, of the values of the
/// root-level scalar fields (nested objects and arrays, such as `DATA` and `Receipt`, and
/// `Token` itself left out) with `Password` added, sorted by key and joined without a
/// separator; booleans are `true`/`false`, numbers as written, nulls left out.
pub fn token(fields: &Map<String, Value>, password: &str) -> String {
    let mut pairs: Vec<(&str, String)> = fields
        .iter()
        .filter(|(key, _)| key.as_str() != "Token")
        .filter_map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Null | Value::Array(_) | Value::Object(_) => return None,
            };
            Some((key.as_str(), text))
        })
        .collect();
    pairs.push(("Password", password.to_owned()));
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut digest = Sha256::new();
    for (_, value) in &pairs {
        digest.update(value.as_bytes());
    }
    digest
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// T-Bank's `Tax`. `vat22` and `vat122` (from 2026) are not in the OpenAPI file we read.
fn tax(vat: VatRate) -> &'static str {
    match vat {
        VatRate::None => "none",
        VatRate::Vat0 => "vat0",
        VatRate::Vat5 => "vat5",
        VatRate::Vat7 => "vat7",
        VatRate::Vat10 => "vat10",
        VatRate::Vat20 => "vat20",
        VatRate::Vat22 => "vat22",
        VatRate::Vat5Of105 => "vat105",
        VatRate::Vat7Of107 => "vat107",
        VatRate::Vat10Of110 => "vat110",
        VatRate::Vat20Of120 => "vat120",
        VatRate::Vat22Of122 => "vat122",
    }
}

/// T-Bank's `PaymentMethod` calls a partial prepayment `prepayment`.
fn payment_method(mode: PaymentMode) -> &'static str {
    match mode {
        PaymentMode::PartialPrepayment => "prepayment",
        other => other.code(),
    }
}

/// The fields of a reply we read. `PaymentId` (and, to be safe, `ErrorCode`) is a string in
/// some replies and a number in others.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplyBody {
    success: bool,
    error_code: Option<Value>,
    message: Option<String>,
    status: Option<String>,
    payment_id: Option<Value>,
    amount: Option<u64>,
    #[serde(rename = "PaymentURL")]
    payment_url: Option<String>,
}

/// An id or a code as text, whether sent as a string or a number.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The state a status means: `Ok(None)` while the payment may still go either way.
///
/// Only `CONFIRMED` is money that stays with us. A payment still pending with us that T-Bank
/// reports returned is settled by what is left of it: `REFUNDED` or `REVERSED` (all of it
/// went back) is canceled, so that the debt does not go down by money the payer got back;
/// `REFUNDING` waits for the refund's end; `PARTIAL_REFUNDED` and `PARTIAL_REVERSED` (part of
/// it stayed) can't be either, and are left pending for an operator (a refusal, logged at
/// every reconciliation). A payment already settled is never changed by a later refund:
/// refunds are handled outside the cabinet.
fn outcome(status: &str, clock: &dyn Clock) -> Result<Option<Outcome>, ProviderError> {
    match status {
        "NEW" | "FORM_SHOWED" | "AUTHORIZING" | "3DS_CHECKING" | "3DS_CHECKED" | "AUTHORIZED"
        | "CONFIRMING" | "REFUNDING" => Ok(None),
        "CONFIRMED" => Ok(Some(Outcome::Succeeded {
            paid_at: clock.now(),
        })),
        "CANCELED" | "DEADLINE_EXPIRED" | "ATTEMPTS_EXPIRED" | "REJECTED" | "AUTH_FAIL"
        | "REVERSING" | "REVERSED" | "REFUNDED" => Ok(Some(Outcome::Canceled)),
        "PARTIAL_REFUNDED" | "PARTIAL_REVERSED" => Err(ProviderError::Rejected(format!(
            "GetState: {status}: part of the payment went back to the payer; an operator must \
             settle it"
        ))),
        other => Err(ProviderError::Unavailable(format!(
            "unknown payment status {:?}",
            at_most(other, 32)
        ))),
    }
}

/// Statuses a notification is not worth acting on: the payment's refunds.
fn is_refund(status: &str) -> bool {
    matches!(status, "REFUNDING" | "PARTIAL_REFUNDED" | "REFUNDED")
}

impl TBankProvider {
    /// The provider's name, stored with each of its payments.
    pub const NAME: &'static str = "tbank";

    pub fn new(config: TBankConfig, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        Ok(Self {
            api: Api::new(config.http)?,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            terminal_key: config.terminal_key,
            password: config.password,
            notification_url: config.notification_url,
            receipt_rules: config.receipt_rules,
            clock,
        })
    }

    /// Calls `method` with `fields` and our `TerminalKey` and `Token`; a reply with
    /// `Success: false` is an error.
    async fn call(
        &self,
        method: &str,
        mut fields: Map<String, Value>,
    ) -> Result<ReplyBody, ProviderError> {
        fields.insert("TerminalKey".into(), self.terminal_key.clone().into());
        let signed = token(&fields, self.password.expose());
        fields.insert("Token".into(), signed.into());
        let url = format!("{}/{method}", self.base_url);
        let reply = self
            .api
            .send(|client| client.post(&url).json(&fields))
            .await?;
        if !reply.status.is_success() {
            return Err(refused(reply.status, &message(&reply)));
        }
        let body: ReplyBody = reply.json()?;
        if body.success {
            return Ok(body);
        }
        let code = id_text(body.error_code.as_ref()).unwrap_or_default();
        let detail = format!(
            "{method}: ErrorCode {code}{}",
            body.message
                .map(|m| format!(" ({})", at_most(&m, 100)))
                .unwrap_or_default()
        );
        if PROVIDER_FAILURES.contains(&code.as_str()) {
            Err(ProviderError::Unavailable(detail))
        } else {
            Err(ProviderError::Rejected(detail))
        }
    }

    fn receipt(&self, request: &PaymentRequest, name: &str) -> Option<Value> {
        let (key, contact) = match request.receipt_contact.as_ref()? {
            ReceiptContact::Email(email) => ("Email", email.as_str()),
            ReceiptContact::Phone(phone) => ("Phone", phone.as_str()),
        };
        let rule = self.receipt_rules.item(request.purpose);
        let kopecks = request.amount.kopecks();
        let mut receipt = Map::new();
        receipt.insert(key.into(), contact.into());
        receipt.insert(
            "Taxation".into(),
            self.receipt_rules
                .tax_system
                .unwrap_or(TaxSystem::Osn)
                .code()
                .into(),
        );
        receipt.insert(
            "Items".into(),
            json!([{
                "Name": at_most(name, ITEM_NAME_MAX),
                "Price": kopecks,
                "Quantity": 1,
                "Amount": kopecks,
                "Tax": tax(rule.vat),
                "PaymentMethod": payment_method(rule.payment_mode),
                "PaymentObject": rule.payment_subject.code(),
            }]),
        );
        Some(Value::Object(receipt))
    }
}

/// The `Message` of an error reply, when it is T-Bank's JSON.
fn message(reply: &Reply) -> String {
    serde_json::from_slice::<ReplyBody>(&reply.body)
        .ok()
        .and_then(|body| body.message)
        .map(|m| at_most(&m, 100))
        .unwrap_or_default()
}

#[async_trait]
impl PaymentProvider for TBankProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[instrument(skip_all, fields(provider = Self::NAME, payment_id = %request.payment_id))]
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
        let mut fields = Map::new();
        fields.insert("Amount".into(), request.amount.kopecks().into());
        fields.insert("OrderId".into(), request.payment_id.to_string().into());
        fields.insert(
            "Description".into(),
            at_most(&request.description, DESCRIPTION_MAX).into(),
        );
        fields.insert("SuccessURL".into(), request.return_url.clone().into());
        fields.insert("FailURL".into(), request.return_url.clone().into());
        if let Some(url) = &self.notification_url {
            fields.insert("NotificationURL".into(), url.clone().into());
        }
        fields.insert(
            "DATA".into(),
            json!({
                "account": request.account_number.as_str(),
                "purpose": request.purpose.code(),
                "payment_id": request.payment_id.to_string(),
            }),
        );
        if let Some(receipt) = self.receipt(request, &request.description) {
            fields.insert("Receipt".into(), receipt);
        }
        let reply = self.call("Init", fields).await?;
        let provider_payment_id = id_text(reply.payment_id.as_ref())
            .ok_or_else(|| ProviderError::Unavailable("the Init reply has no PaymentId".into()))?;
        let confirmation_url = reply
            .payment_url
            .ok_or_else(|| ProviderError::Unavailable("the Init reply has no PaymentURL".into()))?;
        Ok(CreatedPayment {
            provider_payment_id,
            confirmation_url,
        })
    }

    #[instrument(skip_all, fields(provider = Self::NAME, provider_payment_id = %provider_payment_id))]
    async fn report(&self, provider_payment_id: &str) -> Result<ProviderReport, ProviderError> {
        let mut fields = Map::new();
        fields.insert("PaymentId".into(), provider_payment_id.into());
        let reply = self.call("GetState", fields).await?;
        let status = reply
            .status
            .ok_or_else(|| ProviderError::Unavailable("the GetState reply has no Status".into()))?;
        let amount = reply
            .amount
            .ok_or_else(|| ProviderError::Unavailable("the GetState reply has no Amount".into()))
            .and_then(|kopecks| {
                Money::from_kopecks(kopecks).map_err(|e| {
                    ProviderError::Unavailable(format!("unreadable Amount in the reply: {e}"))
                })
            })?;
        if status == "AUTHORIZED" {
            warn!(
                provider_payment_id,
                "a payment is authorized but not confirmed: is the terminal two-stage?"
            );
        }
        Ok(ProviderReport {
            outcome: outcome(&status, self.clock.as_ref())?,
            amount,
        })
    }

    /// A notification is T-Bank's when its `TerminalKey` is ours and its `Token` verifies with
    /// our password; it names the payment by `PaymentId`. A refund's notification is ignored.
    fn read_notification(&self, notification: &Notification) -> Result<String, NotificationError> {
        let body: Map<String, Value> = serde_json::from_slice(&notification.body).map_err(|e| {
            NotificationError::Malformed(format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let Some(Value::String(given)) = body.get("Token") else {
            return Err(NotificationError::Untrusted("no Token".into()));
        };
        if body.get("TerminalKey").and_then(Value::as_str) != Some(self.terminal_key.as_str()) {
            return Err(NotificationError::Untrusted(
                "TerminalKey is not ours".into(),
            ));
        }
        let expected = token(&body, self.password.expose());
        if !bool::from(
            expected
                .as_bytes()
                .ct_eq(given.trim().to_ascii_lowercase().as_bytes()),
        ) {
            return Err(NotificationError::Untrusted(
                "the Token does not verify".into(),
            ));
        }
        if body
            .get("Status")
            .and_then(Value::as_str)
            .is_some_and(is_refund)
        {
            return Err(NotificationError::Irrelevant);
        }
        id_text(body.get("PaymentId"))
            .ok_or_else(|| NotificationError::Malformed("no PaymentId".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vodokanal_test_support::fakes::FixedClock;

    /// The request example of the documentation: `DATA` and `Receipt` are left out.
    #[test]
    fn the_documented_request_vector() {
        let fields = json!({
            "TerminalKey": "MerchantTerminalKey",
            "Amount": 19200,
            "OrderId": "21090",
            "Description": "Подарочная карта на 1000 рублей",
            "DATA": {"Phone": "+71234567890", "Email": "a@test.com"},
            "Receipt": {"Email": "a@test.ru", "Taxation": "osn", "Items": []},
        });
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        assert_eq!(
            token(&fields, "usaf8fw8fsw21g"),
            "0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9"
        );
    }

    fn notification_example() -> Map<String, Value> {
        let Value::Object(fields) = json!({
            "TerminalKey": "1321054611234DEMO",
            "OrderId": "201709",
            "Success": true,
            "Status": "AUTHORIZED",
            "PaymentId": 8_742_591,
            "ErrorCode": "0",
            "Amount": 9855,
            "RebillId": 101_709,
            "CardId": 322_264,
            "Pan": "430000******0777",
            "ExpDate": "1122",
            "Token": "b906d28e76c6428e37b25fcf86c0adc52c63d503013fdd632e300593d165766b",
        }) else {
            unreachable!()
        };
        fields
    }

    /// The notification example of the documentation, `Token` itself left out.
    #[test]
    fn the_documented_notification_vector() {
        assert_eq!(
            token(&notification_example(), "Dfsfh56dgKl"),
            "b906d28e76c6428e37b25fcf86c0adc52c63d503013fdd632e300593d165766b"
        );
    }

    #[test]
    fn nulls_are_left_out_and_the_order_is_the_keys() {
        let Value::Object(with_null) = json!({"B": "2", "A": "1", "C": null}) else {
            unreachable!()
        };
        let Value::Object(without) = json!({"A": "1", "B": "2"}) else {
            unreachable!()
        };
        assert_eq!(token(&with_null, "p"), token(&without, "p"));
        // "1" + "2" + "p": A, B, Password.
        let Value::Object(renamed) = json!({"Q": "1", "R": "2"}) else {
            unreachable!()
        };
        assert_ne!(token(&renamed, "p"), token(&without, "p"));
    }

    #[test]
    fn taxes_and_methods_in_t_banks_spelling() {
        assert_eq!(tax(VatRate::Vat20Of120), "vat120");
        assert_eq!(tax(VatRate::None), "none");
        assert_eq!(payment_method(PaymentMode::PartialPrepayment), "prepayment");
        assert_eq!(payment_method(PaymentMode::FullPayment), "full_payment");
    }

    #[test]
    fn the_password_never_shows() {
        let config = TBankConfig {
            base_url: "https://securepay.tinkoff.ru/v2".into(),
            terminal_key: "1321054611234DEMO".into(),
            password: "Dfsfh56dgKl".into(),
            notification_url: None,
            receipt_rules: ReceiptRules::default(),
            http: HttpPolicy::default(),
        };
        assert!(!format!("{config:?}").contains("Dfsfh56dgKl"));
        let provider =
            TBankProvider::new(config, Arc::new(FixedClock(chrono::DateTime::UNIX_EPOCH))).unwrap();
        assert!(!format!("{provider:?}").contains("Dfsfh56dgKl"));
    }
}
