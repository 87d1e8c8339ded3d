//! Sessions by token digest.

use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::SessionRepository;
use vodokanal_domain::{PasswordHash, Session, TokenDigest};

use super::{InMemoryStore, foreign_key};

#[async_trait]
impl SessionRepository for InMemoryStore {
    async fn create(&self, session: &Session) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.user_exists(session.user_id) {
            return Err(foreign_key("sessions.user_id"));
        }
        if state.sessions.contains_key(&session.digest.0) {
            return Err(StoreError::Corrupt("duplicate session digest".into()));
        }
        state.sessions.insert(session.digest.0, session.clone());
        Ok(())
    }

    async fn create_if_password(
        &self,
        session: &Session,
        verified: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        let current = state
            .users
            .iter()
            .find(|user| user.id == session.user_id)
            .map(|user| &user.password_hash);
        if current != Some(verified) {
            return Ok(false);
        }
        if state.sessions.contains_key(&session.digest.0) {
            return Err(StoreError::Corrupt("duplicate session digest".into()));
        }
        state.sessions.insert(session.digest.0, session.clone());
        Ok(true)
    }

    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.sessions.get(&digest.0).cloned())
    }

    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError> {
        self.state.lock().await.sessions.remove(&digest.0);
        Ok(())
    }
}
