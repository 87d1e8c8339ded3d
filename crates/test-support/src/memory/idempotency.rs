//! Idempotency records: claims, answers, takeovers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, Claimed};
use vodokanal_app::ports::{Claim, ClaimCutoffs, IdempotencyStore};

use super::{IdempotencyRow, InMemoryStore, key_parts};

#[async_trait]
impl IdempotencyStore for InMemoryStore {
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError> {
        let mut state = self.state.lock().await;
        let parts = key_parts(&claim.record);
        let fresh = IdempotencyRow {
            fingerprint: *fingerprint,
            created_at: now,
            token: claim.token,
            response: None,
        };
        let Some(existing) = state.idempotency.get_mut(&parts) else {
            state.idempotency.insert(parts, fresh);
            return Ok(Claim::Started);
        };
        if existing.created_at < cutoffs.expired_before {
            *existing = fresh;
            return Ok(Claim::Started);
        }
        if &existing.fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        Ok(match &existing.response {
            Some(response) => Claim::Completed(response.clone()),
            None if existing.created_at < cutoffs.abandoned_before => {
                *existing = fresh;
                Claim::TakenOver
            }
            None => Claim::InProgress,
        })
    }

    async fn complete(&self, answer: &Answer) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.check_answer(Some(answer))?;
        state.put_answer(Some(answer));
        Ok(())
    }

    async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        let parts = key_parts(&claim.record);
        if state
            .idempotency
            .get(&parts)
            .is_some_and(|row| row.token == claim.token && row.response.is_none())
        {
            state.idempotency.remove(&parts);
        }
        Ok(())
    }
}
