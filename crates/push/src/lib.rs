//! The adapter of the `PushSender` port: [`WebPushSender`] sends web push messages (RFC 8030)
//! to a browser's push service, the JSON `{"title","body","url"}` encrypted for the
//! subscription (RFC 8291, `aes128gcm`, by web-push-native) and signed with the server's VAPID
//! key (RFC 8292, an ES256 JWT by p256). [`generate_vapid_keys`] makes a new key pair for the
//! operator.
//!
//! May depend on `vodokanal-app`'s ports, `vodokanal-domain`, reqwest, web-push-native, p256,
//! base64, `serde_json` and tracing.

mod sender;
mod vapid;

pub use sender::{REQUEST_TIMEOUT, WebPushSender};
pub use vapid::{WebPushSetupError, generate_vapid_keys};
