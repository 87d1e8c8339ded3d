//! What the demo registry (`VODOKANAL_DEMO=on`, `crates/server/src/demo/registry.csv`) holds,
//! and a subscriber to register with it.

/// The demo registry itself, as the server loads it.
pub const REGISTRY: &str = include_str!("../../crates/server/src/demo/registry.csv");

/// Account 100001: two meters, a debt of 1234.50.
pub const ACCOUNT: &str = "100001";
/// The debt of [`ACCOUNT`] before any payment.
pub const DEBT: &str = "1234.50";
/// The cold water meter of [`ACCOUNT`], last reading 123.456.
pub const COLD: &str = "ВСХ-0011234";
/// The hot water meter of [`ACCOUNT`], last reading 45.120.
pub const HOT: &str = "ВГВ-0022345";
/// The last 4 digits that link [`ACCOUNT`].
pub const LAST4: &str = "1234";
/// Another account, with one cold water meter, that the subscriber has not linked.
pub const OTHER_ACCOUNT: &str = "100002";
/// The meter of [`OTHER_ACCOUNT`].
pub const OTHER_METER: &str = "ВСХ-0033456";

/// The subscriber of the journeys: a phone in a form other than E.164, an e-mail, a password.
pub const PHONE: &str = "+7 (910) 984-50-03";
pub const PHONE_E164: &str = "+79109845003";
pub const EMAIL: &str = "ivan.petrov@example.ru";
pub const PASSWORD: &str = "Lezhnevskaya-120-kv15";
