//! The adapters of the `SmsGateway` port: [`LogSmsGateway`], the embedded default that writes
//! each message to the log (phone masked, text left out: it holds a code) and, when an outbox
//! file is configured, appends it to that file as one JSON line, so that a developer or a
//! black-box test can read the codes. The SMS.ru gateway (`VODOKANAL_SMS=smsru`) will live
//! beside it in its own module (`smsru`), translating the provider's answers into `SmsError`.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, tokio (files), `serde_json`,
//! chrono and tracing; reqwest once SMS.ru arrives.

mod log;

pub use log::LogSmsGateway;
