//! The secrets of authentication: session tokens and their digests, and the keyed digests of
//! one-time codes. Only digests are ever stored.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use vodokanal_domain::{
    CodeDigest, CodePurpose, OneTimeCode, Phone, Session, SessionToken, TokenDigest, UserId,
};

use crate::ports::Random;

/// The SHA-256 of a token as the client holds it (its base64url text): the only form stored.
pub fn token_digest(token: &SessionToken) -> TokenDigest {
    TokenDigest(Sha256::digest(token.expose().as_bytes()).into())
}

/// A new session token: 32 bytes of the CSPRNG, base64url without padding (43 characters).
pub fn new_session_token(random: &dyn Random) -> SessionToken {
    SessionToken::new(URL_SAFE_NO_PAD.encode(random.token_bytes()))
}

type HmacSha256 = Hmac<Sha256>;

/// The server secret (`VODOKANAL_SECRET`) is shorter than [`CodeKey::MIN_SECRET_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret must be at least {min} bytes long, got {got}", min = CodeKey::MIN_SECRET_LEN)]
pub struct SecretTooShort {
    pub got: usize,
}

/// The key under which one-time codes are digested: an HMAC-SHA-256 key derived from the
/// server secret, so that a dump of the codes table can't be reversed by trying the 10^6
/// codes. Only the server builds it from its secret; its `Debug` shows nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeKey([u8; 32]);

impl CodeKey {
    /// The shortest server secret accepted, in bytes.
    pub const MIN_SECRET_LEN: usize = 32;

    /// The key derived from the server secret (an HMAC of a fixed label under it, so that the
    /// same secret may key other things without the keys being related).
    pub fn from_secret(secret: &[u8]) -> Result<Self, SecretTooShort> {
        if secret.len() < Self::MIN_SECRET_LEN {
            return Err(SecretTooShort { got: secret.len() });
        }
        let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
            .map_err(|_| SecretTooShort { got: secret.len() })?;
        mac.update(b"vodokanal one-time codes v1");
        Ok(Self(mac.finalize().into_bytes().into()))
    }

    /// A fixed, publicly known key: the defaults of [`crate::Settings`] and tests. `serve`
    /// always replaces it with the key of its secret.
    pub const fn insecure_default() -> Self {
        Self([0x5a; 32])
    }

    /// A key for another use, derived under this one with `label`: unrelated to this key and
    /// to any other label's.
    pub(crate) fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(label);
        mac.finalize().into_bytes().into()
    }

    /// The HMAC under this key. A key shorter than SHA-256's block is padded with zeros by
    /// HMAC itself, so the padded block is the same key.
    fn mac(&self) -> HmacSha256 {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        <HmacSha256 as KeyInit>::new(&block.into())
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(<redacted>)")
    }
}

/// The HMAC-SHA-256, under `key`, of a code bound to its purpose and phone: a code sent for a
/// registration digests differently at a password reset, and for another phone.
pub fn code_digest(
    key: &CodeKey,
    phone: &Phone,
    purpose: CodePurpose,
    code: &OneTimeCode,
) -> CodeDigest {
    let mut mac = key.mac();
    // The parts are separated by a byte no part contains, so no two triples run together.
    mac.update(purpose.code().as_bytes());
    mac.update(&[0]);
    mac.update(phone.as_str().as_bytes());
    mac.update(&[0]);
    mac.update(code.expose().as_bytes());
    CodeDigest(mac.finalize().into_bytes().into())
}

/// A new session of `user_id` from `now` for `lifetime`, and the token to give the client.
pub fn new_session(
    random: &dyn Random,
    user_id: UserId,
    now: DateTime<Utc>,
    lifetime: TimeDelta,
) -> (SessionToken, Session) {
    let token = new_session_token(random);
    let session = Session {
        digest: token_digest(&token),
        user_id,
        created_at: now,
        expires_at: now + lifetime,
    };
    (token, session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn a_token_is_43_base64url_characters_of_the_random_bytes() {
        let token = new_session_token(testing::random().as_ref());
        // 32 bytes of 7: 0x07 repeated encodes as "BwcH" repeated, 43 characters, no '='.
        assert_eq!(token.expose().len(), 43);
        assert!(token.expose().starts_with("BwcHBwcH"));
        assert!(
            token
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let decoded = URL_SAFE_NO_PAD.decode(token.expose()).unwrap();
        assert_eq!(decoded, vec![7u8; 32]);
    }

    #[test]
    fn the_token_digest_is_the_sha256_of_its_text() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let digest = token_digest(&SessionToken::new("abc".into()));
        assert_eq!(digest.0[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(digest.0[28..], [0xf2, 0x00, 0x15, 0xad]);
        assert_ne!(digest, token_digest(&SessionToken::new("abd".into())));
    }

    fn key() -> CodeKey {
        CodeKey::insecure_default()
    }

    #[test]
    fn a_code_digest_is_bound_to_phone_and_purpose() {
        let code = OneTimeCode::from_number(123_456);
        let other_phone: Phone = "+79109845004".parse().unwrap();
        let base = code_digest(&key(), &testing::phone(), CodePurpose::Registration, &code);
        assert_eq!(
            base,
            code_digest(&key(), &testing::phone(), CodePurpose::Registration, &code)
        );
        assert_ne!(
            base,
            code_digest(&key(), &testing::phone(), CodePurpose::PasswordReset, &code)
        );
        assert_ne!(
            base,
            code_digest(&key(), &other_phone, CodePurpose::Registration, &code)
        );
        assert_ne!(
            base,
            code_digest(
                &key(),
                &testing::phone(),
                CodePurpose::Registration,
                &OneTimeCode::from_number(123_457)
            )
        );
    }

    #[test]
    fn a_code_digest_is_an_hmac_under_the_key_not_a_bare_hash() {
        let code = OneTimeCode::from_number(123_456);
        let phone = testing::phone();
        let digest = code_digest(&key(), &phone, CodePurpose::Registration, &code);
        // What a dump of the old bare SHA-256 let anyone recompute for each of the 10^6 codes.
        let mut bare = Sha256::new();
        bare.update(b"registration\0");
        bare.update(phone.as_str().as_bytes());
        bare.update(b"\x00123456");
        assert_ne!(digest.0, <[u8; 32]>::from(bare.finalize()));
        // The HMAC of RFC 2104 under the 32-byte key (the padded block is the same key).
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key().0).unwrap();
        mac.update(b"registration\0");
        mac.update(phone.as_str().as_bytes());
        mac.update(b"\x00123456");
        assert_eq!(digest.0, <[u8; 32]>::from(mac.finalize().into_bytes()));
    }

    #[test]
    fn a_code_digested_under_another_key_does_not_verify() {
        let code = OneTimeCode::from_number(123_456);
        let ours = CodeKey::from_secret(&[1; 32]).unwrap();
        let theirs = CodeKey::from_secret(&[2; 32]).unwrap();
        assert_ne!(ours, theirs);
        let policy = vodokanal_domain::CodePolicy::default();
        let pending = vodokanal_domain::PendingCode::new(
            testing::phone(),
            CodePurpose::Registration,
            Some(code_digest(
                &ours,
                &testing::phone(),
                CodePurpose::Registration,
                &code,
            )),
            None,
            testing::now(),
            &policy,
        );
        let typed_under = |key: &CodeKey| {
            pending.check(
                &code_digest(key, &testing::phone(), CodePurpose::Registration, &code),
                testing::now(),
                &policy,
            )
        };
        assert_eq!(typed_under(&ours), Ok(()));
        assert!(matches!(
            typed_under(&theirs),
            Err(vodokanal_domain::CodeRejected::Wrong { .. })
        ));
    }

    #[test]
    fn the_code_key_needs_a_secret_of_32_bytes_and_never_shows() {
        assert_eq!(
            CodeKey::from_secret(&[7; 31]),
            Err(SecretTooShort { got: 31 })
        );
        assert!(
            SecretTooShort { got: 31 }
                .to_string()
                .contains("at least 32 bytes")
        );
        let key = CodeKey::from_secret(&[7; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "CodeKey(<redacted>)");
        assert_ne!(key, CodeKey::from_secret(&[7; 33]).unwrap());
    }

    #[test]
    fn a_new_session_stores_the_digest_of_the_token_it_returns() {
        let (token, session) = new_session(
            testing::random().as_ref(),
            testing::user_id(),
            testing::now(),
            TimeDelta::days(30),
        );
        assert_eq!(session.digest, token_digest(&token));
        assert_eq!(session.user_id, testing::user_id());
        assert_eq!(session.created_at, testing::now());
        assert_eq!(session.expires_at, testing::now() + TimeDelta::days(30));
    }
}
