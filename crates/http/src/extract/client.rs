//! [`ClientIp`]: the client's address, from the connection, and from `X-Forwarded-For` only
//! when the connection comes from a trusted proxy; and its [`ClientNetwork`], the key of every
//! per-address limit.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use vodokanal_domain::ClientNetwork;

use crate::state::AppState;

/// The client address after the trusted-proxy rules, IPv4-mapped IPv6 read as IPv4; `None`
/// when the server runs without connection info (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The client's network, for per-address limits.
    pub fn network(self) -> Option<ClientNetwork> {
        self.0.map(ClientNetwork::from)
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client address: the peer, unless the peer is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right, the first address that is not a trusted proxy (an
/// address the client wrote itself further left is never believed). An IPv4-mapped IPv6
/// address (`::ffff:10.0.0.2`, as a dual-stack listener sees IPv4 peers) is its IPv4 address,
/// both as the answer and when matched against the proxies.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted(peer, proxies) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        let ip = ip.to_canonical();
        client = ip;
        if !trusted(ip, proxies) {
            break;
        }
    }
    Some(client)
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let proxies = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = "203.0.113.7".parse().ok();
        assert_eq!(client_address(peer, &headers("1.2.3.4"), &proxies), peer);
    }

    #[test]
    fn a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() {
        let proxies = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = "10.0.0.2".parse().ok();
        let found = client_address(peer, &headers("6.6.6.6, 198.51.100.9, 10.0.0.3"), &proxies);
        assert_eq!(found, "198.51.100.9".parse().ok());
        let garbage = client_address(peer, &headers("nonsense"), &proxies);
        assert_eq!(garbage, peer);
    }

    #[test]
    fn an_ipv4_mapped_peer_is_its_ipv4_address_and_no_proxy_of_a_v6_rule() {
        // What a `[::]` listener sees of IPv4 clients: each stays itself, none is a proxy.
        let proxies = vec!["::/0".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let mapped = "::ffff:203.0.113.7".parse().ok();
        let ipv4 = "203.0.113.7".parse().ok();
        assert_eq!(client_address(mapped, &headers("1.2.3.4"), &proxies), ipv4);
        assert_eq!(client_address(mapped, &HeaderMap::new(), &[]), ipv4);
    }

    #[test]
    fn an_ipv4_mapped_proxy_matches_its_ipv4_rule() {
        let proxies = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = "::ffff:10.0.0.2".parse().ok();
        let found = client_address(peer, &headers("198.51.100.9, ::ffff:10.0.0.3"), &proxies);
        assert_eq!(found, "198.51.100.9".parse().ok());
        let mapped_client = client_address(peer, &headers("::ffff:198.51.100.9"), &proxies);
        assert_eq!(mapped_client, "198.51.100.9".parse().ok());
    }

    #[test]
    fn the_network_of_a_client_is_its_ipv4_address_or_its_64() {
        let v6 = ClientIp("2001:db8:1:2::7".parse().ok()).network();
        assert_eq!(v6, ClientIp("2001:db8:1:2:aa::9".parse().ok()).network());
        assert_eq!(
            v6.map(|net| net.limit_key("sms")),
            Some("sms:ip:2001:db8:1:2::/64".to_owned())
        );
        assert_eq!(ClientIp(None).network(), None);
    }
}
