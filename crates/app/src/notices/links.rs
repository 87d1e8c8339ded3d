//! The links a notice carries that work without a session: the e-mail verification link and
//! the one-click unsubscribe link (RFC 8058). Both are tokens signed with a key derived from
//! the server secret, minted when the mail is sent: nothing secret is stored.
//!
//! - verification: `user id (16) || expires, Unix seconds (8) || MAC (16)`, the MAC over the
//!   same bytes and the address it verifies; it verifies nothing once the address changed.
//! - unsubscribe: `user id (16) || topic (1) || MAC (16)`; it never expires (a mail client may
//!   keep the header for months).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;
use vodokanal_domain::{Email, NoticeTopic, UserId};

use crate::auth::secrets::CodeKey;

type HmacSha256 = Hmac<Sha256>;

const MAC_LEN: usize = 16;

/// The key of the links' MACs, derived from the server secret (through the codes' key).
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}

impl LinkKey {
    pub fn new(codes: &CodeKey) -> Self {
        Self(codes.derive(b"vodokanal notice links v1"))
    }

    fn mac(&self, purpose: &[u8], parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&[0u8; 64].into()));
        mac.update(purpose);
        for part in parts {
            mac.update(&[0]);
            mac.update(part);
        }
        let full: [u8; 32] = mac.finalize().into_bytes().into();
        let mut short = [0u8; MAC_LEN];
        short.copy_from_slice(&full[..MAC_LEN]);
        short
    }

    /// A link token that verifies `email` of `user` until `expires`.
    pub fn email_token(&self, user: UserId, email: &Email, expires: DateTime<Utc>) -> String {
        let id = user.as_uuid().as_bytes();
        let until = expires.timestamp().to_be_bytes();
        let mac = self.mac(b"email", &[id, &until, email.as_str().as_bytes()]);
        URL_SAFE_NO_PAD.encode([id.as_slice(), &until, &mac].concat())
    }

    /// The user and the expiry a verification token claims, before its MAC is checked (the
    /// MAC needs the user's current address: [`LinkKey::email_token_holds`]).
    pub fn read_email_token(token: &str) -> Option<(UserId, DateTime<Utc>)> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if bytes.len() != 16 + 8 + MAC_LEN {
            return None;
        }
        let id = Uuid::from_slice(&bytes[..16]).ok()?;
        let until = i64::from_be_bytes(bytes[16..24].try_into().ok()?);
        Some((UserId::from_uuid(id), DateTime::from_timestamp(until, 0)?))
    }

    /// Whether `token` was minted for `email` of `user` and is still valid at `now`.
    pub fn email_token_holds(
        &self,
        token: &str,
        user: UserId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> bool {
        let Some((claimed, expires)) = Self::read_email_token(token) else {
            return false;
        };
        let expected = self.email_token(claimed, email, expires);
        claimed == user
            && now < expires
            && bool::from(expected.as_bytes().ct_eq(token.trim().as_bytes()))
    }

    /// The unsubscribe token of `user` from `topic`.
    pub fn unsubscribe_token(&self, user: UserId, topic: NoticeTopic) -> String {
        let id = user.as_uuid().as_bytes();
        let topic_byte = [topic_index(topic)];
        let mac = self.mac(b"unsubscribe", &[id, &topic_byte]);
        URL_SAFE_NO_PAD.encode([id.as_slice(), &topic_byte, &mac].concat())
    }

    /// The user and topic of a genuine unsubscribe token.
    pub fn read_unsubscribe_token(&self, token: &str) -> Option<(UserId, NoticeTopic)> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if bytes.len() != 16 + 1 + MAC_LEN {
            return None;
        }
        let user = UserId::from_uuid(Uuid::from_slice(&bytes[..16]).ok()?);
        let topic = *NoticeTopic::ALL.get(usize::from(bytes[16]))?;
        let genuine = self.unsubscribe_token(user, topic);
        bool::from(genuine.as_bytes().ct_eq(token.trim().as_bytes())).then_some((user, topic))
    }
}

fn topic_index(topic: NoticeTopic) -> u8 {
    NoticeTopic::ALL
        .iter()
        .position(|t| *t == topic)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use chrono::TimeDelta;

    fn key() -> LinkKey {
        LinkKey::new(&CodeKey::insecure_default())
    }

    #[test]
    fn a_verification_token_holds_for_its_user_address_and_time_only() {
        let user = testing::user().id;
        let email = testing::email();
        let expires = testing::now() + TimeDelta::hours(24);
        let token = key().email_token(user, &email, expires);
        assert_eq!(LinkKey::read_email_token(&token), Some((user, expires)));
        assert!(key().email_token_holds(&token, user, &email, testing::now()));
        assert!(!key().email_token_holds(&token, user, &email, expires));
        let other: Email = "other@example.com".parse().unwrap();
        assert!(!key().email_token_holds(&token, user, &other, testing::now()));
        let stranger = UserId::from_random_bytes([0xEE; 16]);
        assert!(!key().email_token_holds(&token, stranger, &email, testing::now()));
        let other_key = LinkKey::new(&CodeKey::from_secret(&[3; 32]).unwrap());
        assert!(!other_key.email_token_holds(&token, user, &email, testing::now()));
        // A later expiry written into the token breaks its MAC.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[23] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(bytes);
        assert!(!key().email_token_holds(&forged, user, &email, testing::now()));
        assert_eq!(LinkKey::read_email_token("не токен"), None);
    }

    #[test]
    fn an_unsubscribe_token_names_its_user_and_topic_and_resists_forgery() {
        let user = testing::user().id;
        for topic in NoticeTopic::ALL {
            let token = key().unsubscribe_token(user, topic);
            assert_eq!(key().read_unsubscribe_token(&token), Some((user, topic)));
        }
        let token = key().unsubscribe_token(user, NoticeTopic::Debt);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[16] = 0;
        assert_eq!(
            key().read_unsubscribe_token(&URL_SAFE_NO_PAD.encode(bytes)),
            None
        );
        assert_eq!(key().read_unsubscribe_token(""), None);
    }
}
