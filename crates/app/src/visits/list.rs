//! GET `/visit-requests`: the caller's own visit requests.

use std::sync::Arc;

use vodokanal_domain::{UserId, VisitRequest};

use crate::StoreError;
use crate::ports::VisitRequestRepository;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListVisitsCommand {
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListVisitsError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The caller's visit requests, newest first.
#[derive(Debug)]
pub struct ListVisits {
    visits: Arc<dyn VisitRequestRepository>,
}

impl ListVisits {
    pub fn new(visits: Arc<dyn VisitRequestRepository>) -> Self {
        Self { visits }
    }

    pub async fn execute(
        &self,
        command: ListVisitsCommand,
    ) -> Result<Vec<VisitRequest>, ListVisitsError> {
        Ok(self.visits.for_user(command.user_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockVisitRequestRepository;
    use crate::testing::down;
    use crate::testing::{account_number, now, phone, user_id};
    use chrono::{NaiveDate, NaiveTime, TimeDelta};
    use vodokanal_domain::{VisitKind, VisitRequestId, VisitSlot, VisitStatus};

    fn request(id: u8, created_days_ago: i64) -> VisitRequest {
        VisitRequest {
            id: VisitRequestId::from_random_bytes([id; 16]),
            kind: VisitKind::MeterVerification,
            account_number: account_number(),
            meter_number: None,
            phone: phone(),
            slot: VisitSlot::restore(
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            ),
            notes: None,
            status: VisitStatus::New,
            created_at: now() - TimeDelta::days(created_days_ago),
            user_id: Some(user_id()),
        }
    }

    #[tokio::test]
    async fn the_callers_requests_are_listed_newest_first() {
        let own = vec![request(2, 0), request(1, 3)];
        let returned = own.clone();
        let mut visits = MockVisitRequestRepository::new();
        visits
            .expect_for_user()
            .withf(|user| *user == user_id())
            .times(1)
            .return_once(move |_| Ok(returned));
        let listed = ListVisits::new(Arc::new(visits))
            .execute(ListVisitsCommand { user_id: user_id() })
            .await;
        assert_eq!(listed, Ok(own));
    }

    #[tokio::test]
    async fn a_failing_store_is_reported() {
        let down = down();
        let mut visits = MockVisitRequestRepository::new();
        let failure = down.clone();
        visits.expect_for_user().return_once(move |_| Err(failure));
        let listed = ListVisits::new(Arc::new(visits))
            .execute(ListVisitsCommand { user_id: user_id() })
            .await;
        assert_eq!(listed, Err(ListVisitsError::Store(down)));
    }
}
