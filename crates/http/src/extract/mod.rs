//! Extractors that answer with problem+json, never with axum's plain-text rejections.

mod auth;
mod body;
mod client;
mod params;
mod query;
mod values;

pub use auth::Authenticated;
pub use body::{Form, JsonBody, payload_too_large};
pub use client::{ClientIp, client_address};
pub use params::{AccountPath, PaymentPath, ProviderPath};
pub use query::QueryParams;
pub use values::{FieldValue, Invalid, ReturnOrigins, ReturnUrl};
