//! The adapters of the `PaymentProvider` port:
//!
//! - [`SandboxProvider`], the embedded default, a provider that lives inside the server (its
//!   confirmation page is the server's own `/sandbox/pay/{id}`, where the payer chooses to pay
//!   or cancel);
//! - [`YooKassaProvider`], YooKassa API v3;
//! - [`TBankProvider`], T-Bank Acquiring API v2.
//!
//! Each remote adapter translates its provider's HTTP API into the port's types, with the
//! timeouts and retries of [`HttpPolicy`]; its base URL comes from configuration, so that the
//! tests point it at a local mock server.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, reqwest, `serde_json`, sha2,
//! subtle, ipnet, chrono, tokio's timer and tracing. Nothing here knows HTTP serving: the
//! sandbox page and the notification endpoint are the server's.

mod http;
mod sandbox;
mod tbank;
mod yookassa;

pub use http::{BuildError, HttpPolicy};
pub use sandbox::{SandboxError, SandboxPayment, SandboxProvider};
pub use tbank::{TBankConfig, TBankProvider, token as tbank_token};
pub use yookassa::{PUBLISHED_NETWORKS, YooKassaConfig, YooKassaProvider};
