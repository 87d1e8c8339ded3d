//! The purge of what expired.

use std::collections::HashMap;

use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{Housekeeping, PurgeCutoffs, Purged};

use super::InMemoryStore;

/// Keeps the values `keep` accepts and counts the others, dropped.
fn purge<K, V>(map: &mut HashMap<K, V>, mut keep: impl FnMut(&V) -> bool) -> u64 {
    let before = map.len();
    map.retain(|_, value| keep(value));
    u64::try_from(before - map.len()).unwrap_or(u64::MAX)
}

#[async_trait]
impl Housekeeping for InMemoryStore {
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        let mut state = self.state.lock().await;
        let before = state.attempts.len();
        state
            .attempts
            .retain(|(_, at)| *at >= cutoffs.attempts_before);
        let (notices, notice_deliveries) = state.notice_tables.purge(cutoffs.notices_before);
        let outbox_before = state.outbox.len();
        state
            .outbox
            .retain(|m| m.expires_at >= cutoffs.outbox_before);
        Ok(Purged {
            sessions: purge(&mut state.sessions, |s| {
                s.expires_at >= cutoffs.expired_before
            }),
            codes: purge(&mut state.codes, |c| c.expires_at >= cutoffs.expired_before),
            idempotency_records: purge(&mut state.idempotency, |r| {
                r.created_at >= cutoffs.idempotency_before
            }),
            attempts: u64::try_from(before - state.attempts.len()).unwrap_or(u64::MAX),
            outbox: u64::try_from(outbox_before - state.outbox.len()).unwrap_or(u64::MAX),
            notice_deliveries,
            notices,
        })
    }
}
