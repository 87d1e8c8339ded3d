//! The client network an address counts under, for the limits per client network. The one
//! place that turns an address into a limit's key: every per-network limit goes through it.

use std::net::IpAddr;

/// The key of the client network `ip` belongs to.
pub fn network_key(ip: IpAddr) -> String {
    ip.to_string()
}
