//! `Idempotency-Key`: a repeated request with the same key and body from the same caller
//! within 24 hours gets the first response again and creates nothing new.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::ports::{Claim, Clock, IdempotencyStore};

/// How long a key is remembered.
pub const KEY_LIFETIME: TimeDelta = TimeDelta::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
    Invalid,
}

/// The header's value: 1..=255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IdempotencyKey {
    type Err = IdempotencyKeyError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if (1..=255).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(IdempotencyKeyError::Invalid)
        }
    }
}

/// Who is calling: keys of different callers never meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    User(vodokanal_domain::UserId),
    /// An anonymous caller, by client address.
    Address(std::net::IpAddr),
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Address(ip) => write!(f, "ip:{ip}"),
        }
    }
}

/// The full identity of a record: caller, endpoint and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyRecordKey {
    pub caller: String,
    pub endpoint: String,
    pub key: String,
}

impl IdempotencyRecordKey {
    pub fn new(caller: &Caller, endpoint: &str, key: &IdempotencyKey) -> Self {
        Self {
            caller: caller.to_string(),
            endpoint: endpoint.to_owned(),
            key: key.0.clone(),
        }
    }
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used with another body (422 `idempotency_key_reused`).
    #[error("the Idempotency-Key was used with another request body")]
    KeyReused,
    /// The first request under the key is still running (409).
    #[error("a request with this Idempotency-Key is still in progress")]
    InProgress,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Run it, then `complete` (or `release` on failure).
    Proceed,
    /// Answer with the first response again.
    Replay(StoredResponse),
}

/// The idempotency use case: claim a key before the work, store the response after it.
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Idempotency")
    }
}

impl Idempotency {
    pub fn new(store: Arc<dyn IdempotencyStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The SHA-256 of a request body, to tell a true repeat from a reused key.
    pub fn fingerprint(body: &[u8]) -> [u8; 32] {
        Sha256::digest(body).into()
    }

    pub async fn begin(
        &self,
        key: &IdempotencyRecordKey,
        body: &[u8],
    ) -> Result<Begin, IdempotencyError> {
        let now = self.clock.now();
        match self
            .store
            .claim(key, &Self::fingerprint(body), now, now - KEY_LIFETIME)
            .await?
        {
            Claim::Started => Ok(Begin::Proceed),
            Claim::Completed(response) => Ok(Begin::Replay(response)),
            Claim::InProgress => Err(IdempotencyError::InProgress),
            Claim::Mismatch => Err(IdempotencyError::KeyReused),
        }
    }

    pub async fn complete(
        &self,
        key: &IdempotencyRecordKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        self.store.complete(key, response).await
    }

    pub async fn release(&self, key: &IdempotencyRecordKey) -> Result<(), StoreError> {
        self.store.release(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockIdempotencyStore};
    use chrono::{DateTime, Utc};
    use mockall::predicate::eq;

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000)
    }

    fn clock() -> Arc<MockClock> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now());
        Arc::new(clock)
    }

    fn record_key() -> IdempotencyRecordKey {
        let caller = Caller::Address("127.0.0.1".parse().unwrap());
        IdempotencyRecordKey::new(&caller, "POST /public/readings", &"k-1".parse().unwrap())
    }

    fn with_claim(claim: Result<Claim, StoreError>) -> Idempotency {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .withf(|key, fingerprint, at, expired_before| {
                key.caller == "ip:127.0.0.1"
                    && *fingerprint == Idempotency::fingerprint(b"{}")
                    && *at == now()
                    && *expired_before == now() - KEY_LIFETIME
            })
            .return_once(move |_, _, _, _| claim);
        Idempotency::new(Arc::new(store), clock())
    }

    #[tokio::test]
    async fn a_new_key_proceeds() {
        let outcome = with_claim(Ok(Claim::Started))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(outcome, Ok(Begin::Proceed));
    }

    #[tokio::test]
    async fn a_completed_key_replays() {
        let stored = StoredResponse {
            status: 201,
            body: b"{\"id\":1}".to_vec(),
        };
        let outcome = with_claim(Ok(Claim::Completed(stored.clone())))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(outcome, Ok(Begin::Replay(stored)));
    }

    #[tokio::test]
    async fn another_body_or_a_running_request_is_refused() {
        let reused = with_claim(Ok(Claim::Mismatch))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(reused, Err(IdempotencyError::KeyReused));
        let running = with_claim(Ok(Claim::InProgress))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(running, Err(IdempotencyError::InProgress));
    }

    #[tokio::test]
    async fn a_store_failure_is_reported() {
        let down = StoreError::Unavailable("down".into());
        let outcome = with_claim(Err(down.clone()))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(outcome, Err(IdempotencyError::Store(down)));
    }

    #[tokio::test]
    async fn complete_and_release_reach_the_store() {
        let mut store = MockIdempotencyStore::new();
        let stored = StoredResponse {
            status: 201,
            body: vec![1],
        };
        store
            .expect_complete()
            .with(eq(record_key()), eq(stored.clone()))
            .times(1)
            .returning(|_, _| Ok(()));
        store
            .expect_release()
            .with(eq(record_key()))
            .times(1)
            .returning(|_| Ok(()));
        let idempotency = Idempotency::new(Arc::new(store), clock());
        assert_eq!(idempotency.complete(&record_key(), &stored).await, Ok(()));
        assert_eq!(idempotency.release(&record_key()).await, Ok(()));
    }

    #[test]
    fn keys_are_visible_ascii() {
        assert!(
            "550e8400-e29b-41d4-a716-446655440000"
                .parse::<IdempotencyKey>()
                .is_ok()
        );
        assert!("x".repeat(255).parse::<IdempotencyKey>().is_ok());
        for bad in [String::new(), "x".repeat(256), "a b".into(), "ключ".into()] {
            assert_eq!(
                bad.parse::<IdempotencyKey>(),
                Err(IdempotencyKeyError::Invalid),
                "{bad}"
            );
        }
    }
}
