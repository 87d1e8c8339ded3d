//! The subscriber cabinet's use cases, one module per area (auth, profile, accounts, readings,
//! payments, visits, notices, info, registry, housekeeping, metrics), the port traits they need (`ports`), and
//! [`UseCases`], which builds them all.
//!
//! A use case is a struct holding the ports it needs as `Arc<dyn Port>`, with one `execute`
//! method and one error enum. Nothing here knows HTTP, SQL or a provider's protocol. May
//! depend on `vodokanal-domain`, async-trait, futures, chrono, sha2, hmac, subtle, uuid, base64,
//! tracing, metrics (the facade: no recorder, no I/O; ADR 0015) and thiserror; mockall only under the `mocks` feature and in tests.

pub mod accounts;
pub mod auth;
pub mod error;
pub mod housekeeping;
pub mod idempotency;
pub mod info;
pub mod metrics;
pub mod notices;
pub mod payments;
pub mod ports;
pub mod profile;
pub mod readings;
pub mod receipts;
pub mod registry;
pub mod secret;
pub mod settings;
pub mod sms;
pub mod stores;
pub mod use_cases;
pub mod visits;

pub use error::StoreError;
pub use secret::Secret;
pub use settings::Settings;
pub use stores::Stores;
pub use use_cases::{Services, UseCases};

#[cfg(test)]
pub mod testing;
