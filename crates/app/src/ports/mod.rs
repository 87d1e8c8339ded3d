//! The port traits: what the use cases need from the outside world. Adapters implement them;
//! with the `mocks` feature (and in this crate's tests) each has a mockall `Mock…` twin.

mod accounts;
mod clock;
mod codes;
mod exports;
mod hashing;
mod idempotency;
mod limits;
mod meters;
mod payment_provider;
mod payments;
mod random;
mod readings;
mod registry;
mod sessions;
mod sms;
mod users;
mod visits;

pub use accounts::*;
pub use clock::*;
pub use codes::*;
pub use exports::*;
pub use hashing::*;
pub use idempotency::*;
pub use limits::*;
pub use meters::*;
pub use payment_provider::*;
pub use payments::*;
pub use random::*;
pub use readings::*;
pub use registry::*;
pub use sessions::*;
pub use sms::*;
pub use users::*;
pub use visits::*;
