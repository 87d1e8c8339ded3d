//! [`WebPushSender`]: one POST per message to the subscription's endpoint.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use tracing::{info, instrument, warn};
use vodokanal_app::Secret;
use vodokanal_app::ports::{PushError, PushMessage, PushSender};
use vodokanal_domain::PushSubscription;
use web_push_native::Auth;
use web_push_native::p256::PublicKey;

use crate::vapid::{Vapid, WebPushSetupError};

/// The most one request may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a VAPID JWT is valid; RFC 8292 allows at most 24 hours.
const JWT_VALIDITY: Duration = Duration::from_secs(12 * 60 * 60);

/// The largest body push services must accept (RFC 8030 §7.2, RFC 8291 §4).
const MAX_BODY: usize = 4096;

/// The longest part of an error answer kept in a `PushError`.
const MAX_ANSWER: usize = 200;

/// Sends web push messages: the JSON `{"title","body","url"}` encrypted for the subscription
/// (RFC 8291, `aes128gcm`), signed with the server's VAPID key (RFC 8292), with the headers
/// `TTL`, `Topic`, `Urgency: normal`. The push service's answer: 2xx is `Ok`; 404 and 410
/// are `Gone`; 429, 5xx, transport errors and timeouts are `Unavailable`; anything else is
/// `Rejected`. Logs name the endpoint's host only: the endpoint is a capability URL.
#[derive(Debug)]
pub struct WebPushSender {
    vapid: Vapid,
    client: reqwest::Client,
    timeout: Duration,
}

impl WebPushSender {
    /// `private_key` is the 32-byte P-256 scalar in URL-safe base64, `subject` a `mailto:`
    /// address or an `https:` URL (the push service's contact for the operator). The client
    /// should not follow redirects: a push request is meant for the endpoint alone.
    pub fn new(
        private_key: &Secret,
        subject: &str,
        client: reqwest::Client,
    ) -> Result<Self, WebPushSetupError> {
        Ok(Self {
            vapid: Vapid::new(private_key, subject)?,
            client,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// Another per-request timeout than [`REQUEST_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request's body: the message's JSON encrypted for `to`.
    fn encrypt(to: &PushSubscription, message: &PushMessage) -> Result<Vec<u8>, PushError> {
        let receiver = PublicKey::from_sec1_bytes(to.p256dh()).map_err(|_| {
            PushError::Rejected("the subscription's p256dh is not a point of P-256".to_owned())
        })?;
        let json = serde_json::json!({
            "title": message.title,
            "body": message.body,
            "url": message.url,
        });
        let body = web_push_native::encrypt(
            json.to_string().into_bytes(),
            &receiver,
            &Auth::from(*to.auth()),
        )
        .map_err(|e| PushError::Rejected(format!("the message can't be encrypted: {e}")))?;
        if body.len() > MAX_BODY {
            return Err(PushError::Rejected(format!(
                "the message is {} bytes encrypted, over the {MAX_BODY} push services must accept",
                body.len()
            )));
        }
        Ok(body)
    }

    fn transport_failure(&self, error: reqwest::Error) -> PushError {
        if error.is_timeout() {
            PushError::Unavailable(format!(
                "the push service did not answer within {:?}",
                self.timeout
            ))
        } else {
            // Without the URL: it is the endpoint.
            PushError::Unavailable(format!(
                "the push service can't be reached: {}",
                error_chain(&error.without_url())
            ))
        }
    }
}

#[async_trait]
impl PushSender for WebPushSender {
    fn public_key(&self) -> String {
        self.vapid.public_key().to_owned()
    }

    #[instrument(skip_all, fields(host = %to.host(), topic = %message.topic))]
    async fn send(&self, to: &PushSubscription, message: &PushMessage) -> Result<(), PushError> {
        let result = self.try_send(to, message).await;
        match &result {
            Ok(()) => info!("push message accepted"),
            Err(PushError::Gone) => info!("push subscription gone"),
            Err(error) => warn!("{error}"),
        }
        result
    }
}

impl WebPushSender {
    async fn try_send(
        &self,
        to: &PushSubscription,
        message: &PushMessage,
    ) -> Result<(), PushError> {
        check_topic(&message.topic)?;
        let endpoint = reqwest::Url::parse(to.endpoint())
            .map_err(|_| PushError::Rejected("the endpoint is not a URL".to_owned()))?;
        let audience = endpoint.origin().ascii_serialization();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let authorization = self
            .vapid
            .authorization(&audience, (now + JWT_VALIDITY).as_secs());
        let body = Self::encrypt(to, message)?;

        let mut request = self
            .client
            .post(endpoint)
            .timeout(self.timeout)
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header("TTL", message.ttl_seconds)
            .header("Urgency", "normal");
        if !message.topic.is_empty() {
            request = request.header("Topic", &message.topic);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_failure(e))?;

        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(", retry after {v}"))
            .unwrap_or_default();
        let answer = response.text().await.unwrap_or_default();
        let answer = scrub(&answer, to.endpoint());
        Err(match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => PushError::Gone,
            StatusCode::TOO_MANY_REQUESTS => PushError::Unavailable(format!(
                "the push service answered HTTP {status}{retry_after}{answer}"
            )),
            _ if status.is_server_error() => PushError::Unavailable(format!(
                "the push service answered HTTP {status}{retry_after}{answer}"
            )),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => PushError::Rejected(format!(
                "the push service refuses the VAPID signature (HTTP {status}{answer}); was the \
                 subscription made with another VODOKANAL_VAPID_PRIVATE_KEY?"
            )),
            _ => PushError::Rejected(format!("the push service answered HTTP {status}{answer}")),
        })
    }
}

/// RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet; none means no header.
fn check_topic(topic: &str) -> Result<(), PushError> {
    let valid = topic.len() <= 32
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(PushError::Rejected(
            "the topic must be at most 32 characters of URL-safe base64".to_owned(),
        ))
    }
}

/// `: <the answer's first characters>`, with the endpoint and its path blanked out, or nothing.
fn scrub(answer: &str, endpoint: &str) -> String {
    let mut answer = answer.replace(endpoint, "<endpoint>");
    if let Some(path) = reqwest::Url::parse(endpoint)
        .ok()
        .map(|url| url.path().to_owned())
        .filter(|path| path.len() > 1)
    {
        answer = answer.replace(&path, "<endpoint>");
    }
    let answer: String = answer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_ANSWER)
        .collect();
    if answer.is_empty() {
        answer
    } else {
        format!(": {answer}")
    }
}

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
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert!(check_topic("").is_ok());
        assert!(check_topic("visit-2026-12-07_abc").is_ok());
        assert!(check_topic(&"a".repeat(32)).is_ok());
        assert!(check_topic(&"a".repeat(33)).is_err());
        assert!(check_topic("a b").is_err());
        assert!(check_topic("визит").is_err());
        assert!(check_topic("a=").is_err());
    }

    #[test]
    fn answers_are_scrubbed_of_the_endpoint() {
        let endpoint = "https://push.example.net/wpush/v2/SECRET-TOKEN";
        assert_eq!(
            scrub(
                "no such subscription: https://push.example.net/wpush/v2/SECRET-TOKEN",
                endpoint
            ),
            ": no such subscription: <endpoint>"
        );
        assert_eq!(
            scrub("unknown /wpush/v2/SECRET-TOKEN\n\n", endpoint),
            ": unknown <endpoint>"
        );
        assert_eq!(scrub("  ", endpoint), "");
        assert_eq!(scrub(&"x".repeat(500), endpoint).len(), 2 + MAX_ANSWER);
    }
}
