//! The attempt counter of the rate limits.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{AttemptCounter, Limit, LimitState};

use super::InMemoryStore;

#[async_trait]
impl AttemptCounter for InMemoryStore {
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        Ok(self.state.lock().await.count_attempts(key, limit, now))
    }

    async fn count(
        &self,
        key: &str,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let since = now - window;
        let state = self.state.lock().await;
        let counted = state
            .attempts
            .iter()
            .filter(|(k, at)| k == key && *at > since)
            .count();
        Ok(u32::try_from(counted).unwrap_or(u32::MAX))
    }

    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.state.lock().await.attempts.push((key.to_owned(), now));
        Ok(())
    }

    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let mut state = self.state.lock().await;
        let found = state.count_attempts(key, limit, now);
        if found == LimitState::Allowed {
            state.attempts.push((key.to_owned(), now));
        }
        Ok(found)
    }

    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(found) = state
            .attempts
            .iter()
            .position(|(k, counted)| k == key && *counted == at)
        {
            state.attempts.remove(found);
        }
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.state.lock().await.attempts.retain(|(k, _)| k != key);
        Ok(())
    }
}
