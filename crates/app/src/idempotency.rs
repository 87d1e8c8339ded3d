//! `Idempotency-Key`: a repeated request with the same key and body from the same caller
//! within 24 hours gets the first response again and creates nothing new.
//!
//! A request claims its key first ([`Idempotency::begin`]); the use case then writes its work
//! and the answer in one transaction ([`Answering`]), so that a crash leaves both or neither.
//! A claim left without an answer (its process died before the write) is taken over by a
//! retry once its lease has passed; the claim's token keeps the request that lost it from
//! writing.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::ports::{Claim, ClaimCutoffs, Clock, IdempotencyStore, Random};

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

/// A random token that fences a claim: once a retry takes an abandoned claim over, the request
/// that held it can neither answer nor release the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken([u8; 16]);

impl ClaimToken {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// A key claimed by one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub record: IdempotencyRecordKey,
    pub token: ClaimToken,
}

/// The answer to a claimed request. The store writes it in the transaction of the write it
/// answers, so that a crash leaves both or neither; it is refused with
/// [`StoreError::ClaimLost`] (and the write rolled back) when the claim was taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub claim: Claimed,
    pub response: StoredResponse,
}

/// How the caller renders a result as the response it answers with; `None` when it can't.
pub type Render<T> = dyn Fn(&T) -> Option<StoredResponse> + Send + Sync;

/// A claimed request's way to its answer, handed to the use case that does the work: the use
/// case renders the answer from its result just before the write and gives it to the store.
pub struct Answering<T> {
    claim: Claimed,
    render: Box<Render<T>>,
    rendered: AtomicBool,
}

impl<T> fmt::Debug for Answering<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answering")
            .field("claim", &self.claim)
            .finish_non_exhaustive()
    }
}

impl<T> Answering<T> {
    pub fn new(claim: Claimed, render: Box<Render<T>>) -> Self {
        Self {
            claim,
            render,
            rendered: AtomicBool::new(false),
        }
    }

    /// The answer for `result`, which the use case is about to write.
    pub fn answer(&self, result: &T) -> Option<Answer> {
        let response = (self.render)(result)?;
        self.rendered.store(true, Ordering::Release);
        Some(Answer {
            claim: self.claim.clone(),
            response,
        })
    }

    /// Whether a use case took its answer: when the use case then succeeded, its write
    /// committed the answer with it.
    pub fn was_answered(&self) -> bool {
        self.rendered.load(Ordering::Acquire)
    }

    pub fn claim(&self) -> &Claimed {
        &self.claim
    }
}

/// The answer for `result` when the request holds a claim.
pub fn answer_for<T>(answering: Option<&Answering<T>>, result: &T) -> Option<Answer> {
    answering.and_then(|answering| answering.answer(result))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used with another body.
    #[error("the Idempotency-Key was used with another request body")]
    KeyReused,
    /// The first request under the key is still running.
    #[error("a request with this Idempotency-Key is still in progress")]
    InProgress,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Run it under the claim: its write stores the answer ([`Answering`]); on failure,
    /// `release` the claim.
    Proceed(Claimed),
    /// Answer with the first response again.
    Replay(StoredResponse),
}

/// The idempotency use case: claim a key before the work; the work's write stores the answer.
#[derive(Debug, Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    lease: TimeDelta,
}

impl Idempotency {
    /// `lease`: how long a claim without an answer holds before a retry takes it over (the
    /// request that held it crashed or hung).
    pub fn new(
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        lease: TimeDelta,
    ) -> Self {
        Self {
            store,
            clock,
            random,
            lease,
        }
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
        let claimed = Claimed {
            record: key.clone(),
            token: ClaimToken::from_bytes(self.random.id_bytes()),
        };
        let cutoffs = ClaimCutoffs {
            expired_before: now - KEY_LIFETIME,
            abandoned_before: now - self.lease,
        };
        match self
            .store
            .claim(&claimed, &Self::fingerprint(body), now, cutoffs)
            .await?
        {
            Claim::Started => Ok(Begin::Proceed(claimed)),
            Claim::TakenOver => {
                tracing::warn!(
                    endpoint = %key.endpoint,
                    "an abandoned Idempotency-Key claim was taken over by a retry"
                );
                Ok(Begin::Proceed(claimed))
            }
            Claim::Completed(response) => Ok(Begin::Replay(response)),
            Claim::InProgress => Err(IdempotencyError::InProgress),
            Claim::Mismatch => Err(IdempotencyError::KeyReused),
        }
    }

    /// Stores the answer of a request whose work wrote nothing to store it with.
    pub async fn complete(&self, answer: &Answer) -> Result<(), StoreError> {
        self.store.complete(answer).await
    }

    /// Drops the claim of a request that failed, so that the client may retry.
    pub async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        self.store.release(claim).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockIdempotencyStore};
    use crate::testing;
    use crate::testing::down;
    use chrono::{DateTime, Utc};
    use mockall::predicate::eq;

    const LEASE: TimeDelta = TimeDelta::seconds(60);

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

    /// The claim `begin` makes: `testing::random` gives every token `[9; 16]`.
    fn claimed() -> Claimed {
        Claimed {
            record: record_key(),
            token: ClaimToken::from_bytes([9; 16]),
        }
    }

    fn idempotency(store: MockIdempotencyStore) -> Idempotency {
        Idempotency::new(Arc::new(store), clock(), testing::random(), LEASE)
    }

    fn with_claim(claim: Result<Claim, StoreError>) -> Idempotency {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .withf(|claim, fingerprint, at, cutoffs| {
                *claim == claimed()
                    && *fingerprint == Idempotency::fingerprint(b"{}")
                    && *at == now()
                    && cutoffs.expired_before == now() - KEY_LIFETIME
                    && cutoffs.abandoned_before == now() - LEASE
            })
            .return_once(move |_, _, _, _| claim);
        idempotency(store)
    }

    #[tokio::test]
    async fn a_new_or_abandoned_key_proceeds_under_a_claim() {
        for claim in [Claim::Started, Claim::TakenOver] {
            let outcome = with_claim(Ok(claim)).begin(&record_key(), b"{}").await;
            assert_eq!(outcome, Ok(Begin::Proceed(claimed())));
        }
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
        let down = down();
        let outcome = with_claim(Err(down.clone()))
            .begin(&record_key(), b"{}")
            .await;
        assert_eq!(outcome, Err(IdempotencyError::Store(down)));
    }

    #[tokio::test]
    async fn complete_and_release_reach_the_store() {
        let mut store = MockIdempotencyStore::new();
        let answer = Answer {
            claim: claimed(),
            response: StoredResponse {
                status: 201,
                body: vec![1],
            },
        };
        store
            .expect_complete()
            .with(eq(answer.clone()))
            .times(1)
            .returning(|_| Ok(()));
        store
            .expect_release()
            .with(eq(claimed()))
            .times(1)
            .returning(|_| Ok(()));
        let idempotency = idempotency(store);
        assert_eq!(idempotency.complete(&answer).await, Ok(()));
        assert_eq!(idempotency.release(&claimed()).await, Ok(()));
    }

    #[test]
    fn answering_renders_the_answer_and_remembers_it() {
        let answering: Answering<u16> = Answering::new(
            claimed(),
            Box::new(|n: &u16| {
                (*n < 1000).then(|| StoredResponse {
                    status: 201,
                    body: n.to_string().into_bytes(),
                })
            }),
        );
        assert!(!answering.was_answered());
        assert_eq!(answer_for(None, &7u16), None);
        assert_eq!(answering.answer(&1000), None);
        assert!(
            !answering.was_answered(),
            "nothing rendered, nothing answered"
        );
        assert_eq!(
            answer_for(Some(&answering), &7),
            Some(Answer {
                claim: claimed(),
                response: StoredResponse {
                    status: 201,
                    body: b"7".to_vec(),
                },
            })
        );
        assert!(answering.was_answered());
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
