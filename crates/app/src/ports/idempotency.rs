use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::idempotency::{Answer, Claimed, StoredResponse};

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its record expired): this request goes ahead.
    Started,
    /// A request under the key with the same body was abandoned (no answer within the lease):
    /// this request took its claim over and goes ahead.
    TakenOver,
    /// A request under the key with the same body is still running.
    InProgress,
    /// A request under the key with the same body completed: its response.
    Completed(StoredResponse),
    /// The key was used with another body.
    Mismatch,
}

/// When an existing record gives way to a new claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimCutoffs {
    /// A record created before this counts as absent and is replaced.
    pub expired_before: DateTime<Utc>,
    /// A claim without an answer made before this is abandoned and taken over.
    pub abandoned_before: DateTime<Utc>,
}

/// Records of requests made under an `Idempotency-Key`. The answer of a request is written by
/// the store port that does its work, in the same transaction (see [`Answer`]); each store
/// writes it the same way [`IdempotencyStore::complete`] does.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: std::fmt::Debug + Send + Sync {
    /// Claims the key atomically for `claim.token`: of two concurrent claims, one gets
    /// `Started` (or `TakenOver`).
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError>;
    /// Stores the answer of a request that still holds its claim and has none yet;
    /// [`StoreError::ClaimLost`] otherwise.
    async fn complete(&self, answer: &Answer) -> Result<(), StoreError>;
    /// Drops a claim still held and unanswered, whose request failed without a response worth
    /// replaying; a claim taken over by another request is left alone.
    async fn release(&self, claim: &Claimed) -> Result<(), StoreError>;
}
