//! A push service stand-in on loopback, as the browser's side sees it: an axum server on
//! `127.0.0.1:0` with its own P-256 key pair and auth secret, giving the subscription to hand
//! the server. Each request is checked as a push service would (RFC 8292: the VAPID JWT's ES256
//! signature with the `k=` key; RFC 8030: the headers), its body decrypted (RFC 8291, with
//! web-push-native's `decrypt`) and recorded with its `Topic` and `TTL`. The push crate's tests
//! and the black-box journeys (`tests/`) both use it.
#![expect(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test support: a stand-in that can't be set up fails the test"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
pub use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::rand_core::{OsRng, RngCore};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use vodokanal_domain::PushSubscription;
use web_push_native::Auth;

/// What the stand-in read from one request that passed its checks.
#[derive(Debug, Clone)]
pub struct Received {
    /// The decrypted body, as JSON.
    pub payload: Value,
    /// The VAPID JWT's claims.
    pub aud: Value,
    pub exp: u64,
    pub sub: Value,
    /// The `k=` parameter: the server's VAPID public key.
    pub k: String,
    /// The headers.
    pub ttl: String,
    pub topic: Option<String>,
    pub urgency: String,
    pub content_encoding: String,
}

/// A running stand-in; it stops with the test's runtime.
#[derive(Debug)]
pub struct PushEndpoint {
    addr: SocketAddr,
    token: String,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    key: SecretKey,
    auth: Auth,
    answer: Mutex<(StatusCode, &'static str)>,
    received: Mutex<Vec<Received>>,
    refused: Mutex<Vec<String>>,
}

impl PushEndpoint {
    /// Starts a stand-in with fresh keys that answers 201.
    pub async fn start() -> Self {
        let mut auth = [0; 16];
        OsRng.fill_bytes(&mut auth);
        let mut token = [0; 24];
        OsRng.fill_bytes(&mut token);
        let shared = Arc::new(Shared {
            key: SecretKey::random(&mut OsRng),
            auth: Auth::from(auth),
            answer: Mutex::new((StatusCode::CREATED, "")),
            received: Mutex::new(Vec::new()),
            refused: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/wpush/v2/{token}", post(push))
            .with_state(Arc::clone(&shared));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            addr,
            token: URL_SAFE_NO_PAD.encode(token),
            shared,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The capability part of the endpoint (random): it must never show in a log or an error.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `http://127.0.0.1:<port>/wpush/v2/<token>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/wpush/v2/{}", self.addr, self.token)
    }

    /// The browser's public key and auth secret, URL-safe base64 as `toJSON()` gives them.
    pub fn keys(&self) -> (String, String) {
        let public = self.shared.key.public_key().to_encoded_point(false);
        (
            URL_SAFE_NO_PAD.encode(public.as_bytes()),
            URL_SAFE_NO_PAD.encode(self.shared.auth),
        )
    }

    /// The subscription, as the domain holds it.
    pub fn subscription(&self) -> PushSubscription {
        let (p256dh, auth) = self.keys();
        PushSubscription::new(&self.endpoint(), &p256dh, &auth).unwrap()
    }

    /// The subscription as the browser's `PushSubscription.toJSON()` gives it to the API.
    pub fn subscription_json(&self) -> Value {
        let (p256dh, auth) = self.keys();
        json!({
            "endpoint": self.endpoint(),
            "expirationTime": null,
            "keys": {"p256dh": p256dh, "auth": auth},
        })
    }

    /// Answers every later request that passes the checks with `status` and `body`.
    pub fn answer_with(&self, status: StatusCode, body: &'static str) {
        *self.shared.answer.lock().unwrap() = (status, body);
    }

    /// Every request that passed the checks so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Why each request that failed the checks was answered 400, oldest first.
    pub fn refused(&self) -> Vec<String> {
        self.shared.refused.lock().unwrap().clone()
    }
}

async fn push(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    match check(&shared, &headers, &body) {
        Ok(received) => {
            shared.received.lock().unwrap().push(received);
            let (status, body) = *shared.answer.lock().unwrap();
            (status, body.to_owned())
        }
        Err(reason) => {
            shared.refused.lock().unwrap().push(reason.clone());
            (StatusCode::BAD_REQUEST, format!("stand-in: {reason}"))
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Result<String, String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} header"))
}

fn b64(text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| format!("bad base64 {text}: {e}"))
}

/// What a push service checks (RFC 8292 §2–3, RFC 8030 §5), and the body decrypted.
fn check(shared: &Shared, headers: &HeaderMap, body: &Bytes) -> Result<Received, String> {
    let authorization = header(headers, "authorization")?;
    let params = authorization
        .strip_prefix("vapid ")
        .ok_or("not the vapid scheme")?;
    let (mut t, mut k) = (None, None);
    for param in params.split(',').map(str::trim) {
        match param.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("k", value)) => k = Some(value),
            _ => return Err(format!("unknown parameter {param}")),
        }
    }
    let (t, k) = (t.ok_or("no t=")?, k.ok_or("no k=")?);
    let key = VerifyingKey::from_sec1_bytes(&b64(k)?).map_err(|e| format!("k: {e}"))?;
    let (signed, signature) = t.rsplit_once('.').ok_or("the JWT has no signature")?;
    let (jwt_header, claims) = signed.split_once('.').ok_or("the JWT has no claims")?;
    let jwt_header: Value = serde_json::from_slice(&b64(jwt_header)?).map_err(|e| e.to_string())?;
    if jwt_header["alg"] != "ES256" {
        return Err(format!("alg {}", jwt_header["alg"]));
    }
    let signature = Signature::from_slice(&b64(signature)?).map_err(|e| e.to_string())?;
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| "the JWT's signature does not verify with k".to_owned())?;
    let claims: Value = serde_json::from_slice(&b64(claims)?).map_err(|e| e.to_string())?;

    let plaintext = web_push_native::decrypt(body.to_vec(), &shared.key, &shared.auth)
        .map_err(|e| format!("the body does not decrypt: {e}"))?;
    Ok(Received {
        payload: serde_json::from_slice(&plaintext).map_err(|e| format!("not JSON: {e}"))?,
        aud: claims["aud"].clone(),
        exp: claims["exp"].as_u64().ok_or("no numeric exp")?,
        sub: claims["sub"].clone(),
        k: k.to_owned(),
        ttl: header(headers, "ttl")?,
        topic: header(headers, "topic").ok(),
        urgency: header(headers, "urgency")?,
        content_encoding: header(headers, "content-encoding")?,
    })
}
