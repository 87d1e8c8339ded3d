//! The adapters of the `PaymentProvider` port: [`SandboxProvider`], the embedded default, a
//! provider that lives inside the server (its confirmation page is the server's own
//! `/sandbox/pay/{id}`, where the payer chooses to pay or cancel). YooKassa v3 and T-Bank will
//! live beside it, one module each, translating their HTTP APIs into the port's types.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, `serde_json`, chrono and tracing;
//! reqwest once a real provider arrives. Nothing here knows HTTP serving: the sandbox page is
//! the server's.

mod sandbox;

pub use sandbox::{SandboxError, SandboxPayment, SandboxProvider};
