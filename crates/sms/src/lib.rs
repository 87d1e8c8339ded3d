//! The adapters of the `SmsGateway` port: [`SmsRuGateway`] (`VODOKANAL_SMS=smsru`), which
//! speaks SMS.ru's HTTP protocol and translates its answers into `SmsError`, and
//! [`LogSmsGateway`], the embedded default that writes each message to the log (phone masked,
//! text left out: it holds a code) and, when an outbox file is configured, appends it to that
//! file as one JSON line, so that a developer or a black-box test can read the codes.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, tokio (files, timers),
//! `serde_json`, chrono, tracing and reqwest.

mod log;
mod smsru;

pub use log::LogSmsGateway;
pub use smsru::{MAX_RETRIES, SmsRuConfig, SmsRuGateway, SmsRuSetupError};
