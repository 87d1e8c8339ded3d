use async_trait::async_trait;
use vodokanal_domain::{CodePurpose, PendingCode, Phone};

use crate::StoreError;

/// One-time codes waiting for confirmation: at most one per phone and purpose.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CodeRepository: std::fmt::Debug + Send + Sync {
    /// Stores the code, replacing an earlier one for the same phone and purpose.
    async fn put(&self, code: &PendingCode) -> Result<(), StoreError>;
    async fn find(
        &self,
        phone: &Phone,
        purpose: CodePurpose,
    ) -> Result<Option<PendingCode>, StoreError>;
    /// Counts one try atomically, before it is checked, and returns the tries so far (0 when no
    /// code waits). A right try consumes the code, so what stays counted are the wrong ones.
    async fn record_try(&self, phone: &Phone, purpose: CodePurpose) -> Result<u32, StoreError>;
    /// Removes the code; `true` only for the one call that removed it, so a code confirms once.
    async fn consume(&self, phone: &Phone, purpose: CodePurpose) -> Result<bool, StoreError>;
}
