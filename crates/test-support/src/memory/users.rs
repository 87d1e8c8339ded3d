//! The users table: unique phone and e-mail, deleting cascades as the schema does.

use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Caller;
use vodokanal_app::ports::{CreateUserError, UserRepository};
use vodokanal_domain::{Email, PasswordHash, Phone, TokenDigest, User, UserId};

use super::InMemoryStore;

#[async_trait]
impl UserRepository for InMemoryStore {
    async fn create(&self, user: &User) -> Result<(), CreateUserError> {
        let mut state = self.state.lock().await;
        if state.users.iter().any(|u| u.phone == user.phone) {
            return Err(CreateUserError::PhoneTaken);
        }
        if state.users.iter().any(|u| u.email == user.email) {
            return Err(CreateUserError::EmailTaken);
        }
        if state.user_exists(user.id) {
            return Err(StoreError::Corrupt("duplicate user id".into()).into());
        }
        state.users.push(user.clone());
        Ok(())
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| u.id == id).cloned())
    }

    async fn by_phone(&self, phone: &Phone) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| &u.phone == phone).cloned())
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| &u.email == email).cloned())
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(user) = state.users.iter_mut().find(|u| u.id == id) {
            user.password_hash = hash.clone();
        }
        Ok(())
    }

    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<TokenDigest>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(user) = state.users.iter_mut().find(|u| u.id == id) {
            user.password_hash = hash.clone();
        }
        state
            .sessions
            .retain(|digest, s| s.user_id != id || keep.is_some_and(|k| &k.0 == digest));
        Ok(())
    }

    async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.users.retain(|u| u.id != id);
        state.sessions.retain(|_, s| s.user_id != id);
        state.links.retain(|l| l.user_id != id);
        state.notice_tables.forget_user(id);
        for reading in &mut state.readings {
            if reading.user_id == Some(id) {
                reading.user_id = None;
            }
        }
        for payment in &mut state.payments {
            if payment.user_id == Some(id) {
                payment.user_id = None;
                payment.receipt_contact = None;
            }
        }
        let caller = Caller::User(id).to_string();
        state.idempotency.retain(|(c, _, _), _| *c != caller);
        for visit in &mut state.visits {
            if visit.user_id == Some(id) {
                visit.user_id = None;
            }
        }
        Ok(())
    }
}
