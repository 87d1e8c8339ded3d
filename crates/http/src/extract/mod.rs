//! Extractors that answer with problem+json, never with axum's plain-text rejections.

mod auth;
mod body;
mod client;
mod params;
mod query;
mod request;
mod values;

pub use auth::{Authenticated, CallerAccount};
pub use body::{Form, JsonBody, payload_too_large};
pub use client::{ClientIp, client_address};
pub use params::{AccountPath, PaymentPath, ProviderPath, VisitPath};
pub use query::QueryParams;
pub(crate) use request::request_body;
pub use request::{Body, Clearable, ConsentGiven, FieldRead, RequestBody};
pub use values::{
    FieldValue, Invalid, LinkToken, PushEndpoint, PushText, ReturnOrigins, ReturnUrl,
};
