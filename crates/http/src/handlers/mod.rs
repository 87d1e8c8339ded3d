//! One handler per file, grouped by area as the contract groups its rows.

pub mod accounts;
pub mod auth;
pub mod health;
pub mod payments;
pub mod profile;
pub mod public;
pub mod readings;
pub mod visits;

use std::net::{IpAddr, Ipv4Addr};

use vodokanal_app::idempotency::Caller;

/// The idempotency scope of an anonymous call: its client address (unspecified when the
/// server runs without connection info).
pub(crate) fn anonymous_caller(ip: Option<IpAddr>) -> Caller {
    Caller::Address(ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
}

/// Unreachable in practice: every field was checked by `Form::finish` before this.
pub(crate) fn missing() -> crate::problem::Problem {
    tracing::error!("a checked request field is missing");
    crate::problem::Problem::internal()
}
