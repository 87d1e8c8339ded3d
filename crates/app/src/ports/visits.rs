use async_trait::async_trait;
use futures::stream::BoxStream;
use vodokanal_domain::{UserId, VisitRequest, VisitStatus};

use crate::StoreError;
use crate::idempotency::Answer;

/// Visit requests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait VisitRequestRepository: std::fmt::Debug + Send + Sync {
    /// Stores a new request, with `answer` in the same transaction when given.
    async fn create(
        &self,
        request: &VisitRequest,
        answer: Option<Answer>,
    ) -> Result<(), StoreError>;
    /// The user's requests, newest first.
    async fn for_user(&self, user: UserId) -> Result<Vec<VisitRequest>, StoreError>;
    /// Requests with the status (all when `None`), oldest first, streamed.
    fn export(
        &self,
        status: Option<VisitStatus>,
    ) -> BoxStream<'static, Result<VisitRequest, StoreError>>;
    /// How many requests `export(status)` would stream now (the export's progress).
    async fn export_count(&self, status: Option<VisitStatus>) -> Result<u64, StoreError>;
}
