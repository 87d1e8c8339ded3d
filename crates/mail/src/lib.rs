//! The adapters of the `MailSender` port: [`SmtpMailSender`], which sends through an SMTP
//! server (lettre on tokio, rustls; `smtp://`, STARTTLS or `smtps://` as its URL says) and
//! translates the server's refusals into `MailError`, and [`LogMailSender`], the embedded
//! default that writes each message to the log (address masked, subject and bodies left out:
//! they hold links with tokens) and, when an outbox file is configured, appends it whole to that
//! file as one JSON line, so that a developer or a black-box test can read the links.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, lettre, tokio (files, timers),
//! `serde_json`, chrono, url and tracing.

mod log;
mod smtp;

pub use log::LogMailSender;
pub use smtp::{SmtpConfig, SmtpMailSender, SmtpSetupError};
