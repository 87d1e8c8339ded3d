//! The secrets of authentication: session tokens and their digests, and the digests of
//! one-time codes. Only digests are ever stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
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

/// The SHA-256 of a code bound to its purpose and phone: a code sent for a registration
/// digests differently at a password reset, and for another phone.
pub fn code_digest(phone: &Phone, purpose: CodePurpose, code: &OneTimeCode) -> CodeDigest {
    let mut hasher = Sha256::new();
    // The parts are separated by a byte no part contains, so no two triples run together.
    hasher.update(purpose.code().as_bytes());
    hasher.update([0]);
    hasher.update(phone.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(code.expose().as_bytes());
    CodeDigest(hasher.finalize().into())
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

    #[test]
    fn a_code_digest_is_bound_to_phone_and_purpose() {
        let code = OneTimeCode::from_number(123_456);
        let other_phone: Phone = "+79109845004".parse().unwrap();
        let base = code_digest(&testing::phone(), CodePurpose::Registration, &code);
        assert_eq!(
            base,
            code_digest(&testing::phone(), CodePurpose::Registration, &code)
        );
        assert_ne!(
            base,
            code_digest(&testing::phone(), CodePurpose::PasswordReset, &code)
        );
        assert_ne!(
            base,
            code_digest(&other_phone, CodePurpose::Registration, &code)
        );
        assert_ne!(
            base,
            code_digest(
                &testing::phone(),
                CodePurpose::Registration,
                &OneTimeCode::from_number(123_457)
            )
        );
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
