//! Pending codes, one per phone and purpose.

use async_trait::async_trait;
use vodokanal_app::StoreError;
use vodokanal_app::ports::CodeRepository;
use vodokanal_domain::{CodePurpose, PendingCode, Phone};

use super::{InMemoryStore, code_key};

#[async_trait]
impl CodeRepository for InMemoryStore {
    async fn put(&self, code: &PendingCode) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state
            .codes
            .insert(code_key(&code.phone, code.purpose), code.clone());
        Ok(())
    }

    async fn find(
        &self,
        phone: &Phone,
        purpose: CodePurpose,
    ) -> Result<Option<PendingCode>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.codes.get(&code_key(phone, purpose)).cloned())
    }

    async fn record_try(&self, phone: &Phone, purpose: CodePurpose) -> Result<u32, StoreError> {
        let mut state = self.state.lock().await;
        Ok(match state.codes.get_mut(&code_key(phone, purpose)) {
            Some(code) => {
                code.failed_attempts += 1;
                code.failed_attempts
            }
            None => 0,
        })
    }

    async fn consume(&self, phone: &Phone, purpose: CodePurpose) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state.codes.remove(&code_key(phone, purpose)).is_some())
    }
}
