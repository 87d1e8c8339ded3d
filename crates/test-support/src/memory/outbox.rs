//! The SMS outbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{NewSms, OutboxEntry, SmsOutbox, SmsOutcome, SmsState};
use vodokanal_domain::{PendingCode, Phone};

use super::{InMemoryStore, code_key};

/// What an expired message's `last_error` says.
const EXPIRED: &str = "expired before the gateway took it";

#[async_trait]
impl SmsOutbox for InMemoryStore {
    async fn store_code(
        &self,
        code: &PendingCode,
        message: Option<NewSms>,
        pause_since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        let key = code_key(&code.phone, code.purpose);
        if state
            .codes
            .get(&key)
            .is_some_and(|earlier| earlier.sent_at > pause_since)
        {
            return Ok(false);
        }
        state.codes.insert(key, code.clone());
        if let Some(message) = message {
            state.queue(message);
        }
        Ok(true)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut state = self.state.lock().await;
        let mut due: Vec<&mut OutboxEntry> = state
            .outbox
            .iter_mut()
            .filter(|m| {
                m.state == SmsState::Pending && m.next_attempt_at <= now && m.expires_at > now
            })
            .collect();
        due.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|m| {
                m.attempts += 1;
                m.next_attempt_at = lease_until;
                m.clone()
            })
            .collect())
    }

    async fn record(&self, id: i64, outcome: &SmsOutcome) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(m) = state.outbox.iter_mut().find(|m| m.id == id) {
            match outcome {
                SmsOutcome::Sent { at } => {
                    m.state = SmsState::Sent;
                    m.sent_at = Some(*at);
                    m.text = String::new();
                }
                SmsOutcome::Retry { at, error } => {
                    m.next_attempt_at = *at;
                    m.last_error = Some(error.clone());
                }
                SmsOutcome::Failed { error } => {
                    m.state = SmsState::Failed;
                    m.last_error = Some(error.clone());
                    m.text = String::new();
                }
            }
        }
        Ok(())
    }

    async fn expire(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state.lock().await;
        let mut expired = 0;
        for m in &mut state.outbox {
            if m.state == SmsState::Pending && m.expires_at <= now {
                m.state = SmsState::Failed;
                m.last_error = Some(EXPIRED.into());
                m.text = String::new();
                expired += 1;
            }
        }
        Ok(expired)
    }

    async fn to_phone(&self, phone: &Phone) -> Result<Vec<OutboxEntry>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .outbox
            .iter()
            .filter(|m| &m.phone == phone)
            .cloned()
            .collect())
    }
}
