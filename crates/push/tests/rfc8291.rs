//! RFC 8291's example (Appendix A) against the encryption the sender uses.
//!
//! web-push-native does not expose encryption with a given salt and sender key, so its exact
//! bytes can't be compared; instead the RFC's message is decrypted with the RFC's receiver keys,
//! which runs the same key derivation (ECDH, the `WebPush: info` HKDF) the sender encrypts with.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use web_push_native::Auth;
use web_push_native::p256::{PublicKey, SecretKey};

const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AS_PUBLIC: &str =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

fn decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn receiver() -> (SecretKey, Auth) {
    let key = SecretKey::from_slice(&decode(UA_PRIVATE)).unwrap();
    let public = key.public_key();
    assert_eq!(
        public,
        PublicKey::from_sec1_bytes(&decode(UA_PUBLIC)).unwrap()
    );
    (key, Auth::clone_from_slice(&decode(AUTH)))
}

#[test]
fn the_rfcs_message_decrypts_to_the_rfcs_plaintext() {
    let body = decode(BODY);
    // The header: salt, rs = 4096, idlen = 65, keyid = the sender's public key.
    assert_eq!(&body[..16], decode(SALT).as_slice());
    assert_eq!(&body[16..20], &4096u32.to_be_bytes());
    assert_eq!(body[20], 65);
    assert_eq!(&body[21..86], decode(AS_PUBLIC).as_slice());

    let (key, auth) = receiver();
    let plaintext = web_push_native::decrypt(body, &key, &auth).unwrap();
    assert_eq!(String::from_utf8(plaintext).unwrap(), PLAINTEXT);
}

#[test]
fn a_tampered_message_or_another_auth_does_not_decrypt() {
    let (key, auth) = receiver();
    let mut tampered = decode(BODY);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(web_push_native::decrypt(tampered, &key, &auth).is_err());

    let mut other = auth;
    other[0] ^= 1;
    assert!(web_push_native::decrypt(decode(BODY), &key, &other).is_err());
}

#[test]
fn what_the_crate_encrypts_for_the_rfcs_receiver_decrypts() {
    let (key, auth) = receiver();
    let body = web_push_native::encrypt(PLAINTEXT.into(), &key.public_key(), &auth).unwrap();
    // A fresh salt and sender key each time: never the RFC's bytes, always its plaintext.
    assert_ne!(&body[..16], decode(SALT).as_slice());
    assert_eq!(body[20], 65);
    let plaintext = web_push_native::decrypt(body, &key, &auth).unwrap();
    assert_eq!(plaintext, PLAINTEXT.as_bytes());
}
