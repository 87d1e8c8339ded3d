//! A browser's web push subscription (the `PushSubscription` of the Push API): where to send
//! and the keys to encrypt for (RFC 8291).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest endpoint accepted; the push services' are about 200 to 500 characters.
const MAX_ENDPOINT_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushSubscriptionError {
    #[error("the endpoint must be an http(s) URL of at most {MAX_ENDPOINT_LEN} characters")]
    Endpoint,
    #[error("p256dh must be an uncompressed P-256 point (65 bytes) in URL-safe base64")]
    P256dh,
    #[error("auth must be 16 bytes in URL-safe base64")]
    Auth,
}

/// A subscription as the browser gives it: `endpoint`, `keys.p256dh`, `keys.auth`. Built only
/// valid; whether the endpoint's host is one the server may call is the use case's rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushSubscription {
    endpoint: String,
    p256dh: [u8; 65],
    auth: [u8; 16],
}

fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

impl PushSubscription {
    pub fn new(endpoint: &str, p256dh: &str, auth: &str) -> Result<Self, PushSubscriptionError> {
        let endpoint = endpoint.trim();
        let scheme_ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
        if !scheme_ok
            || endpoint.len() > MAX_ENDPOINT_LEN
            || endpoint
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
            || host_of(endpoint).is_empty()
        {
            return Err(PushSubscriptionError::Endpoint);
        }
        let p256dh: [u8; 65] = decode(p256dh)
            .and_then(|bytes| bytes.try_into().ok())
            .filter(|point: &[u8; 65]| point[0] == 0x04)
            .ok_or(PushSubscriptionError::P256dh)?;
        let auth: [u8; 16] = decode(auth)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(PushSubscriptionError::Auth)?;
        Ok(Self {
            endpoint: endpoint.to_owned(),
            p256dh,
            auth,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint's host (without port), lower-cased: what the server's allow-list checks.
    pub fn host(&self) -> String {
        host_of(&self.endpoint)
    }

    /// The subscriber's public key, the uncompressed point.
    pub fn p256dh(&self) -> &[u8; 65] {
        &self.p256dh
    }

    pub fn auth(&self) -> &[u8; 16] {
        &self.auth
    }

    /// `p256dh` in URL-safe base64, as stored.
    pub fn p256dh_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.p256dh)
    }

    /// `auth` in URL-safe base64, as stored.
    pub fn auth_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }
}

/// The host part of an `http(s)://host[:port]/...` URL: after the scheme and any userinfo,
/// before the port, path, query or fragment; an IPv6 literal keeps its brackets.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if authority.starts_with('[') {
        authority
            .split_once(']')
            .map_or(authority, |(host, _)| host)
            .trim_start_matches('[')
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The subscriber's keys of RFC 8291's example (Appendix A).
    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn a_browsers_subscription_parses() {
        let sub = PushSubscription::new(
            "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV",
            P256DH,
            AUTH,
        )
        .unwrap();
        assert_eq!(sub.host(), "push.example.net");
        assert_eq!(sub.p256dh_text(), P256DH);
        assert_eq!(sub.auth_text(), AUTH);
        let padded =
            PushSubscription::new("http://127.0.0.1:9/x", P256DH, "BTBZMqHH6r4Tts7J_aSIgg==")
                .unwrap();
        assert_eq!(padded.host(), "127.0.0.1");
    }

    #[test]
    fn hosts_are_read_past_userinfo_ports_and_brackets() {
        assert_eq!(host_of("https://a@Evil.example:8443/p"), "evil.example");
        assert_eq!(host_of("http://[::1]:80/p"), "::1");
        assert_eq!(host_of("https://host?x=1"), "host");
    }

    #[test]
    fn bad_subscriptions_are_refused() {
        let cases = [
            (
                "ftp://push.example.net/x",
                P256DH,
                AUTH,
                PushSubscriptionError::Endpoint,
            ),
            ("https:///x", P256DH, AUTH, PushSubscriptionError::Endpoint),
            (
                "https://a b/x",
                P256DH,
                AUTH,
                PushSubscriptionError::Endpoint,
            ),
            (
                "https://push.example.net/x",
                "BCVx",
                AUTH,
                PushSubscriptionError::P256dh,
            ),
            (
                "https://push.example.net/x",
                AUTH,
                AUTH,
                PushSubscriptionError::P256dh,
            ),
            (
                "https://push.example.net/x",
                P256DH,
                P256DH,
                PushSubscriptionError::Auth,
            ),
            (
                "https://push.example.net/x",
                P256DH,
                "!!",
                PushSubscriptionError::Auth,
            ),
        ];
        for (endpoint, p256dh, auth, error) in cases {
            assert_eq!(
                PushSubscription::new(endpoint, p256dh, auth),
                Err(error),
                "{endpoint} {p256dh} {auth}"
            );
        }
        let long = format!("https://push.example.net/{}", "x".repeat(MAX_ENDPOINT_LEN));
        assert_eq!(
            PushSubscription::new(&long, P256DH, AUTH),
            Err(PushSubscriptionError::Endpoint)
        );
    }
}
