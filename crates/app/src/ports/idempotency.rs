use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::idempotency::{IdempotencyRecordKey, StoredResponse};

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its record expired): this request goes ahead.
    Started,
    /// A request under the key with the same body is still running.
    InProgress,
    /// A request under the key with the same body completed: its response.
    Completed(StoredResponse),
    /// The key was used with another body.
    Mismatch,
}

/// Records of requests made under an `Idempotency-Key`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims the key atomically: of two concurrent claims, one gets `Started`. A record
    /// created before `expired_before` counts as absent and is replaced.
    async fn claim(
        &self,
        key: &IdempotencyRecordKey,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;
    /// Stores the response of the request that holds the claim.
    async fn complete(
        &self,
        key: &IdempotencyRecordKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;
    /// Drops a claim whose request failed without a response worth replaying.
    async fn release(&self, key: &IdempotencyRecordKey) -> Result<(), StoreError>;
}
