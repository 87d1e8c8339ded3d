use async_trait::async_trait;
use vodokanal_domain::PushSubscription;

/// What a push message carries to the service worker (encrypted per RFC 8291): JSON
/// `{"title", "body", "url"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// The web client's path the notification opens, e.g. `/#/visits/new?...`.
    pub url: String,
    /// The `Topic` header (RFC 8030 §5.4): at most 32 characters of the URL-safe base64
    /// alphabet. A message sent again under the same topic replaces the undelivered one.
    pub topic: String,
    /// How long the push service keeps an undelivered message, in seconds (`TTL`).
    pub ttl_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The push service answers 404 or 410: the subscription is gone; drop it.
    #[error("the push subscription is gone")]
    Gone,
    /// Any other refusal of this message (4xx): trying again would not help.
    #[error("the push service refuses the message: {0}")]
    Rejected(String),
    /// The service is unreachable, overloaded (429, 5xx) or times out: try again later.
    #[error("the push service is unavailable: {0}")]
    Unavailable(String),
}

/// Sends web push messages (RFC 8030), signed with the server's VAPID key (RFC 8292) and
/// encrypted for the subscription (RFC 8291).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PushSender: std::fmt::Debug + Send + Sync {
    /// The VAPID public key, URL-safe base64 of the uncompressed P-256 point: the web client's
    /// `applicationServerKey`.
    fn public_key(&self) -> String;
    /// Sends `message` to `to`. `Ok` means the push service accepted it (201).
    async fn send(&self, to: &PushSubscription, message: &PushMessage) -> Result<(), PushError>;
}
