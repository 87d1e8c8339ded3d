//! Visit requests.

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::Answer;
use vodokanal_app::ports::VisitRequestRepository;
use vodokanal_domain::{UserId, VisitRequest, VisitStatus};

use super::{InMemoryStore, foreign_key};

#[async_trait]
impl VisitRequestRepository for InMemoryStore {
    async fn create(
        &self,
        request: &VisitRequest,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.accounts.contains_key(&request.account_number) {
            return Err(foreign_key("visit_requests.account_number"));
        }
        if let Some(user) = request.user_id
            && !state.user_exists(user)
        {
            return Err(foreign_key("visit_requests.user_id"));
        }
        if state.visits.iter().any(|v| v.id == request.id) {
            return Err(StoreError::Corrupt("duplicate visit request".into()));
        }
        state.check_answer(answer.as_ref())?;
        state.visits.push(request.clone());
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn for_user(&self, user: UserId) -> Result<Vec<VisitRequest>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<VisitRequest> = state
            .visits
            .iter()
            .filter(|v| v.user_id == Some(user))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(found)
    }

    /// What `export` streams, counted: the one filter.
    async fn export_count(&self, status: Option<VisitStatus>) -> Result<u64, StoreError> {
        let exported = self.export(status).count().await;
        Ok(u64::try_from(exported).unwrap_or(u64::MAX))
    }

    fn export(
        &self,
        status: Option<VisitStatus>,
    ) -> BoxStream<'static, Result<VisitRequest, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<VisitRequest> = state
                .visits
                .iter()
                .filter(|v| status.is_none_or(|s| v.status == s))
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}
