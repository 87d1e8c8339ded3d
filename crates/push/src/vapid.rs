//! The server's VAPID identity (RFC 8292): a P-256 key pair and a contact, and the signed JWT
//! each push request carries.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
// rand_core's OS generator; its `getrandom` feature is on through web-push-native's aes-gcm.
use p256::elliptic_curve::rand_core::OsRng;
use vodokanal_app::Secret;

/// The VAPID key or subject given to [`WebPushSender::new`](crate::WebPushSender::new) is
/// unusable. The messages name the setting and never show the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebPushSetupError {
    #[error(
        "VODOKANAL_VAPID_PRIVATE_KEY must be a P-256 private key: 32 bytes in URL-safe base64, \
         as `npx web-push generate-vapid-keys` prints it"
    )]
    PrivateKey,
    #[error("VODOKANAL_VAPID_SUBJECT must be a `mailto:` address or an `https:` URL")]
    Subject,
}

/// A new VAPID key pair: the private key (32 bytes) and the public key (the uncompressed
/// point, 65 bytes), both in URL-safe base64 without padding, as `web-push` prints them.
pub fn generate_vapid_keys() -> (Secret, String) {
    let key = SigningKey::random(&mut OsRng);
    let private = Secret::new(URL_SAFE_NO_PAD.encode(key.to_bytes()));
    (private, public_key_text(&key))
}

fn public_key_text(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().to_encoded_point(false).as_bytes())
}

/// The signing key, its public key as text, and the subject.
pub(crate) struct Vapid {
    key: SigningKey,
    public_key: String,
    subject: String,
}

impl fmt::Debug for Vapid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    pub(crate) fn new(private_key: &Secret, subject: &str) -> Result<Self, WebPushSetupError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(private_key.expose().trim().trim_end_matches('='))
            .map_err(|_| WebPushSetupError::PrivateKey)?;
        // 32 bytes, neither zero nor past the curve's order.
        if bytes.len() != 32 {
            return Err(WebPushSetupError::PrivateKey);
        }
        let key = SigningKey::from_slice(&bytes).map_err(|_| WebPushSetupError::PrivateKey)?;
        let subject = subject.trim();
        if !subject_is_valid(subject) {
            return Err(WebPushSetupError::Subject);
        }
        Ok(Self {
            public_key: public_key_text(&key),
            key,
            subject: subject.to_owned(),
        })
    }

    pub(crate) fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header's value: `vapid t=<JWT>, k=<public key>`, the JWT (ES256)
    /// claiming `aud` = `audience` (the push resource's origin), `exp` = `expires_at` (Unix
    /// seconds) and `sub` = the subject.
    pub(crate) fn authorization(&self, audience: &str, expires_at: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": expires_at, "sub": self.subject });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        // JWS's ES256: the 64 bytes r || s (RFC 7518 §3.4).
        let signature: Signature = self.key.sign(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public_key)
    }
}

/// `mailto:` and an address with an `@`, or an `https:` URL with a host (RFC 8292 §2.1).
fn subject_is_valid(subject: &str) -> bool {
    if subject.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(address) = subject.strip_prefix("mailto:") {
        return address
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && !domain.is_empty());
    }
    reqwest::Url::parse(subject)
        .is_ok_and(|url| url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        for good in [
            "mailto:push@vodokanal.example",
            "https://vodokanal.example",
            "https://vodokanal.example/contact",
            " mailto:a@b ",
        ] {
            assert!(subject_is_valid(good.trim()), "{good}");
        }
        for bad in [
            "",
            "push@vodokanal.example",
            "mailto:",
            "mailto:push",
            "mailto:@vodokanal.example",
            "mailto:push@",
            "mailto:a b@c",
            "http://vodokanal.example",
            "https://",
            "ftp://vodokanal.example",
        ] {
            assert!(!subject_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn the_debug_output_holds_no_private_key() {
        let (private, public) = generate_vapid_keys();
        let vapid = Vapid::new(&private, "mailto:a@b").unwrap();
        let debug = format!("{vapid:?}");
        assert!(debug.contains(&public));
        assert!(!debug.contains(private.expose()));
    }
}
