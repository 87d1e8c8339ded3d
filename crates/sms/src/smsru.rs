//! [`SmsRuGateway`]: SMS through SMS.ru, `POST {base}/sms/send` as a form with `json=1`.
//!
//! A reply names a status code for the request and one per recipient; the recipient's decides
//! when present. Codes 220 and 500, transport errors and HTTP 5xx are tried again (at most twice,
//! with a doubling pause); every other refusal is final. The number refused (202, 207) is
//! `InvalidNumber`; the provider's limits (206, 230–233, 501–508, 550) are `RateLimited`;
//! everything else is `Unavailable`, logged with `tracing::error!` as a line that tells the
//! operator what to do. The phone is logged masked; the `api_id` never.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use tracing::{error, info, warn};
use vodokanal_app::Secret;
use vodokanal_app::ports::{SmsError, SmsGateway};
use vodokanal_domain::MobilePhone;

/// The most tries after the first: SMS.ru has no idempotency key, so a retry may send twice.
pub const MAX_RETRIES: u32 = 2;

/// How to reach SMS.ru. The defaults keep the worst case (three tries that each time out, and
/// the pauses between them) under the HTTP front's 15-second request timeout.
#[derive(Debug, Clone)]
pub struct SmsRuConfig {
    /// `https://sms.ru`, or a mock server's address in tests; a trailing slash is ignored.
    pub base_url: String,
    /// The account's API key: a secret, never logged.
    pub api_id: Secret,
    /// An approved sender name (`from`); the account's default when `None`.
    pub sender: Option<String>,
    /// The most one try may take, connection included.
    pub timeout: Duration,
    /// The most the connection may take.
    pub connect_timeout: Duration,
    /// Tries after the first, at most [`MAX_RETRIES`].
    pub retries: u32,
    /// The pause before the first retry; doubled before each next one.
    pub backoff: Duration,
}

impl SmsRuConfig {
    /// The defaults: 4 s per try, 2 s to connect, 2 retries after 300 ms and 600 ms.
    pub fn new(base_url: impl Into<String>, api_id: impl Into<Secret>) -> Self {
        Self {
            base_url: base_url.into(),
            api_id: api_id.into(),
            sender: None,
            timeout: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(2),
            retries: MAX_RETRIES,
            backoff: Duration::from_millis(300),
        }
    }
}

/// The gateway can't be built.
#[derive(Debug, thiserror::Error)]
pub enum SmsRuSetupError {
    /// The TLS roots or the HTTP client can't be set up.
    #[error("the HTTP client for SMS.ru can't be built: {0}")]
    Client(String),
}

/// Sends through SMS.ru: see the module documentation.
#[derive(Debug)]
pub struct SmsRuGateway {
    client: reqwest::Client,
    endpoint: String,
    api_id: Secret,
    sender: Option<String>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl SmsRuGateway {
    pub fn new(config: SmsRuConfig) -> Result<Self, SmsRuSetupError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirect would carry the api_id and the code to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vodokanal/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SmsRuSetupError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            endpoint: format!("{}/sms/send", config.base_url.trim_end_matches('/')),
            api_id: config.api_id,
            sender: config.sender,
            timeout: config.timeout,
            retries: config.retries.min(MAX_RETRIES),
            backoff: config.backoff,
        })
    }

    /// One POST, and what its answer means.
    async fn try_once(&self, form: &[(&str, &str)], recipient: &Recipient) -> Verdict {
        let response = match self.client.post(&self.endpoint).form(form).send().await {
            Ok(response) => response,
            Err(e) => return Verdict::Again(self.transport_failure(&e)),
        };
        let status = response.status();
        if status.is_server_error() {
            return Verdict::Again(format!("SMS.ru answered HTTP {status}"));
        }
        if !status.is_success() {
            return Verdict::Unavailable(format!(
                "SMS.ru answered HTTP {status}; check VODOKANAL_SMSRU_URL"
            ));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Verdict::Again(self.transport_failure(&e)),
        };
        match serde_json::from_slice::<Reply>(&body) {
            Ok(reply) => reply.verdict(recipient),
            Err(e) => Verdict::Unavailable(recipient.scrub(&format!(
                "SMS.ru sent a reply that is not the expected JSON ({content_type}, {} bytes: {e})",
                body.len()
            ))),
        }
    }

    fn transport_failure(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("SMS.ru did not answer within {:?}", self.timeout)
        } else {
            format!("SMS.ru can't be reached: {}", error_chain(e))
        }
    }
}

#[async_trait]
impl SmsGateway for SmsRuGateway {
    async fn send(
        &self,
        to: &MobilePhone,
        text: &str,
        client_ip: Option<IpAddr>,
    ) -> Result<(), SmsError> {
        let recipient = Recipient::new(to);
        let ip = client_ip.map(|ip| ip.to_string());
        let mut form = vec![
            ("api_id", self.api_id.expose()),
            ("to", recipient.number.as_str()),
            ("msg", text),
            ("json", "1"),
        ];
        if let Some(sender) = &self.sender {
            form.push(("from", sender));
        }
        if let Some(ip) = &ip {
            form.push(("ip", ip));
        }
        let mut retried = 0;
        loop {
            let reason = match self.try_once(&form, &recipient).await {
                Verdict::Sent { sms_id, balance } => {
                    info!(to = %recipient.masked, sms_id = sms_id.as_deref().unwrap_or("-"), balance = balance.as_deref().unwrap_or("-"), "SMS accepted by SMS.ru");
                    return Ok(());
                }
                Verdict::Refused(code, error) => {
                    info!(to = %recipient.masked, code, "SMS.ru refused the message: {error}");
                    return Err(error);
                }
                Verdict::Unavailable(reason) => reason,
                Verdict::Again(reason) if retried < self.retries => {
                    let pause = self.backoff.saturating_mul(1 << retried);
                    retried += 1;
                    warn!(to = %recipient.masked, retry = retried, pause_ms = pause.as_millis(), "{reason}; trying again");
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Verdict::Again(reason) => format!("{reason} (tried {} times)", retried + 1),
            };
            error!(to = %recipient.masked, "{reason}");
            return Err(SmsError::Unavailable(reason));
        }
    }
}

/// The recipient as SMS.ru writes it (`7XXXXXXXXXX`) and as the log may show it.
struct Recipient {
    number: String,
    masked: String,
}

impl Recipient {
    fn new(to: &MobilePhone) -> Self {
        Self {
            number: format!("7{}", to.phone().national()),
            masked: to.phone().masked(),
        }
    }

    /// `text` from outside (the provider's words, a parser's message) with the number masked.
    fn scrub(&self, text: &str) -> String {
        text.replace(&self.number, &self.masked)
            .replace(&self.number[1..], &self.masked)
    }
}

/// What one try came to.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Sent {
        sms_id: Option<String>,
        balance: Option<String>,
    },
    /// Final: the number refused, or the provider's limit (with SMS.ru's code).
    Refused(u32, SmsError),
    /// Final: the operator must act.
    Unavailable(String),
    /// Worth another try.
    Again(String),
}

/// `{"status", "status_code", "status_text"?, "sms"?: {"7XXXXXXXXXX": {...}}, "balance"?}`.
#[derive(Debug, Deserialize)]
struct Reply {
    status_code: Code,
    status_text: Option<String>,
    #[serde(default)]
    sms: BTreeMap<String, NumberReply>,
    balance: Option<Decimal>,
}

/// One recipient's part of a reply.
#[derive(Debug, Deserialize)]
struct NumberReply {
    status_code: Code,
    status_text: Option<String>,
    sms_id: Option<String>,
}

impl Reply {
    fn verdict(self, recipient: &Recipient) -> Verdict {
        let Reply {
            status_code,
            status_text,
            mut sms,
            balance,
        } = self;
        let own = match sms.remove(&recipient.number) {
            Some(own) => Some(own),
            None if sms.len() == 1 => sms.into_values().next(),
            None => None,
        };
        let (code, text, sms_id) = match own {
            Some(own) if status_code.0 == ACCEPTED => {
                (own.status_code.0, own.status_text, own.sms_id)
            }
            _ => (status_code.0, status_text, None),
        };
        match code {
            ACCEPTED..=DELIVERED => Verdict::Sent {
                sms_id,
                balance: balance.map(|b| b.0),
            },
            202 | 207 => Verdict::Refused(code, SmsError::InvalidNumber),
            206 | 230..=233 | 501..=508 | 550 => Verdict::Refused(code, SmsError::RateLimited),
            220 | 500 => Verdict::Again(refusal(code, text.as_deref(), recipient)),
            _ => Verdict::Unavailable(refusal(code, text.as_deref(), recipient)),
        }
    }
}

/// The request is accepted.
const ACCEPTED: u32 = 100;
/// The last of the delivery states that are not a failure (101 with the operator, 102 on its
/// way, 103 delivered).
const DELIVERED: u32 = 103;

/// The operator's line for a refusal: what it means and what to do, then SMS.ru's own words.
fn refusal(code: u32, text: Option<&str>, recipient: &Recipient) -> String {
    let meaning = match code {
        200 | 301 => "the api_id is not valid; check VODOKANAL_SMSRU_API_ID",
        201 => "not enough money on the account; top it up in the SMS.ru cabinet",
        203 => "the message text is empty",
        204 => {
            "the sender name is not approved; approve it in the SMS.ru cabinet or unset \
             VODOKANAL_SMSRU_SENDER"
        }
        205 => "the message is longer than 8 parts",
        209 | 215 => "the number is in a stop list; remove it in the SMS.ru cabinet",
        210 => "GET was used where POST is required",
        212 => "the message is not in UTF-8",
        213 => "too many numbers in one request",
        220 => "the service is temporarily unavailable",
        500 => "a server error on the SMS.ru side",
        _ => "an unexpected status",
    };
    let said = text
        .filter(|t| !t.trim().is_empty())
        .map(|t| format!(" ({})", recipient.scrub(t.trim())))
        .unwrap_or_default();
    format!("SMS.ru refused: {meaning} (code {code}){said}")
}

/// A status code, sent as a number or a numeric string.
#[derive(Debug, Deserialize)]
#[serde(try_from = "NumberOrText")]
struct Code(u32);

/// The balance, a number or a string: kept as the decimal text it came as.
#[derive(Debug, Deserialize)]
#[serde(from = "NumberOrText")]
struct Decimal(String);

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(serde_json::Number),
    Text(String),
}

impl TryFrom<NumberOrText> for Code {
    type Error = String;

    fn try_from(raw: NumberOrText) -> Result<Self, Self::Error> {
        let text = match raw {
            NumberOrText::Number(n) => n.to_string(),
            NumberOrText::Text(t) => t,
        };
        text.trim()
            .parse()
            .map(Code)
            .map_err(|_| format!("status_code {text:?} is not a whole number"))
    }
}

impl From<NumberOrText> for Decimal {
    fn from(raw: NumberOrText) -> Self {
        match raw {
            NumberOrText::Number(n) => Self(n.to_string()),
            NumberOrText::Text(t) => Self(t),
        }
    }
}

/// An error and its causes on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests;
