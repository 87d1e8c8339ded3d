use async_trait::async_trait;
use vodokanal_domain::Email;

/// One e-mail: a plain-text and an HTML body of the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    /// Plain UTF-8; the adapter encodes it for the header (RFC 2047).
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address of a notice (RFC 8058): sent as `List-Unsubscribe`
    /// with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. `None` for mail the subscriber
    /// cannot opt out of (the address's verification link).
    pub unsubscribe: Option<String>,
    /// The same for every attempt of one message: the left part of its `Message-ID`, so that a
    /// message sent twice (a process died after the server took it) is one message to the
    /// subscriber's mail client. Letters, digits, `.` and `-` only.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The server refuses the message for good (a permanent 5xx on the recipient or the
    /// message): trying again would not help.
    #[error("the mail server refuses the message: {0}")]
    Rejected(String),
    /// The server is unreachable, refuses us for now (4xx) or the outbox file cannot be
    /// written: try again later.
    #[error("the mail server is unavailable: {0}")]
    Unavailable(String),
}

/// Sends e-mail.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailSender: std::fmt::Debug + Send + Sync {
    /// Sends `mail`. `Ok` means the server accepted it for delivery.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
