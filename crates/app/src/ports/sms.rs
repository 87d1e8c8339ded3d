use std::net::IpAddr;

use async_trait::async_trait;
use vodokanal_domain::MobilePhone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The gateway refuses the number (no route, not a valid number).
    #[error("the gateway refuses the number")]
    InvalidNumber,
    /// The gateway's own anti-fraud or per-number limits.
    #[error("the gateway's limit is reached")]
    RateLimited,
    /// The gateway is down, out of money or misconfigured: an operator must act.
    #[error("the SMS gateway is unavailable: {0}")]
    Unavailable(String),
}

/// Sends text messages.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SmsGateway: std::fmt::Debug + Send + Sync {
    /// Sends `text` to `to`. `client_ip` is the subscriber's address, for the gateway's
    /// anti-fraud checks. `Ok` means the gateway accepted the message.
    async fn send(
        &self,
        to: &MobilePhone,
        text: &str,
        client_ip: Option<IpAddr>,
    ) -> Result<(), SmsError>;
}
