//! [`ClientNetwork`]: where a request comes from, as every per-address limit counts it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network of a client: an IPv4 address, or the /64 of an IPv6 address (a subscriber's
/// line gets a whole /64, so counting single IPv6 addresses would give one client 2^64 keys).
/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack `[::]` listener sees of an
/// IPv4 client) is its IPv4 address.
///
/// ```
/// use vodokanal_domain::ClientNetwork;
///
/// let a = ClientNetwork::from("2001:db8:1:2::a".parse::<std::net::IpAddr>()?);
/// let b = ClientNetwork::from("2001:db8:1:2:ffff::b".parse::<std::net::IpAddr>()?);
/// assert_eq!(a, b);
/// assert_eq!(a.limit_key("sms"), "sms:ip:2001:db8:1:2::/64");
/// let mapped = ClientNetwork::from("::ffff:203.0.113.7".parse::<std::net::IpAddr>()?);
/// assert_eq!(mapped.limit_key("login"), "login:ip:203.0.113.7");
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientNetwork {
    V4(Ipv4Addr),
    /// The address's first 64 bits, the rest zero.
    V6(Ipv6Addr),
}

/// The bits of an IPv6 address that name its /64.
const PREFIX_64: u128 = u128::MAX << 64;

impl ClientNetwork {
    /// The key of a per-network limit of `scope` (such as `sms` or `login`):
    /// `{scope}:ip:{network}`.
    pub fn limit_key(&self, scope: &str) -> String {
        format!("{scope}:ip:{self}")
    }
}

impl From<IpAddr> for ClientNetwork {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => Self::V6(Ipv6Addr::from_bits(v6.to_bits() & PREFIX_64)),
        }
    }
}

impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(v4) => write!(f, "{v4}"),
            Self::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(ip: &str) -> ClientNetwork {
        ClientNetwork::from(ip.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn an_ipv4_address_is_its_own_network() {
        assert_eq!(net("203.0.113.7").to_string(), "203.0.113.7");
        assert_ne!(net("203.0.113.7"), net("203.0.113.8"));
    }

    #[test]
    fn ipv6_addresses_of_one_64_are_one_network() {
        assert_eq!(
            net("2001:db8:1:2::1"),
            net("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_eq!(net("2001:db8:1:2::1").to_string(), "2001:db8:1:2::/64");
        assert_ne!(net("2001:db8:1:2::1"), net("2001:db8:1:3::1"));
    }

    #[test]
    fn an_ipv4_mapped_address_is_its_ipv4_address() {
        assert_eq!(net("::ffff:203.0.113.7"), net("203.0.113.7"));
        assert_eq!(net("::ffff:203.0.113.7").to_string(), "203.0.113.7");
        // Two IPv4 clients of a dual-stack listener stay apart (their /64 would be one).
        assert_ne!(net("::ffff:203.0.113.7"), net("::ffff:198.51.100.9"));
    }

    #[test]
    fn the_key_names_the_scope_and_the_network() {
        assert_eq!(net("203.0.113.7").limit_key("sms"), "sms:ip:203.0.113.7");
        assert_eq!(net("::1").limit_key("login"), "login:ip:::/64");
    }
}
