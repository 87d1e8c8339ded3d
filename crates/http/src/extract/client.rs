//! [`ClientIp`]: the client's address, from the connection, and from `X-Forwarded-For` only
//! when the connection comes from a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

/// The client address after the trusted-proxy rules; `None` when the server runs without
/// connection info (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client address: the peer, unless the peer is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right, the first address that is not a trusted proxy (an
/// address the client wrote itself further left is never believed).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
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
}
