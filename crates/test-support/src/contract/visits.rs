//! `VisitRequestRepository`: a user's requests newest first, the export by status oldest first.

use vodokanal_domain::{MeterNumber, VisitKind, VisitRequest, VisitStatus};

use super::idempotency::a_write_commits_with_its_answer;
use super::{collect, seed_account, seed_user};
use crate::Stores;
use crate::builders::{self, seconds_from_now};

pub async fn a_created_visit_request_keeps_every_field(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, meter) = seed_account(&stores).await;
    let full = VisitRequest {
        kind: VisitKind::MeterAcceptance,
        meter_number: Some(meter),
        ..builders::visit(&account, Some(user.id))
    };
    let bare = VisitRequest {
        notes: None,
        meter_number: None::<MeterNumber>,
        created_at: seconds_from_now(-10),
        ..builders::visit(&account, Some(user.id))
    };
    stores.visits.create(&full, None).await.unwrap();
    stores.visits.create(&bare, None).await.unwrap();
    assert_eq!(
        stores.visits.for_user(user.id).await.unwrap(),
        vec![full, bare]
    );
}

pub async fn a_visit_request_of_an_unknown_account_is_refused(stores: Stores) {
    let user = seed_user(&stores).await;
    let request = builders::visit(&builders::fresh_account_number(), Some(user.id));
    assert!(stores.visits.create(&request, None).await.is_err());
    assert!(stores.visits.for_user(user.id).await.unwrap().is_empty());
}

pub async fn a_users_requests_come_newest_first_and_only_theirs(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let requests: Vec<VisitRequest> = [0, 200, 100]
        .into_iter()
        .map(|s| VisitRequest {
            created_at: seconds_from_now(s),
            ..builders::visit(&account, Some(user.id))
        })
        .collect();
    for request in &requests {
        stores.visits.create(request, None).await.unwrap();
    }
    stores
        .visits
        .create(&builders::visit(&account, Some(other.id)), None)
        .await
        .unwrap();
    stores
        .visits
        .create(&builders::visit(&account, None), None)
        .await
        .unwrap();
    assert_eq!(
        stores.visits.for_user(user.id).await.unwrap(),
        vec![
            requests[1].clone(),
            requests[2].clone(),
            requests[0].clone()
        ]
    );
    assert!(
        stores
            .visits
            .for_user(builders::user_id())
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn the_export_by_status_comes_oldest_first(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let make = |s: i64, status| VisitRequest {
        created_at: seconds_from_now(s),
        status,
        ..builders::visit(&account, None)
    };
    let new_late = make(300, VisitStatus::New);
    let new_early = make(-300, VisitStatus::New);
    let scheduled = make(0, VisitStatus::Scheduled);
    let done = make(100, VisitStatus::Done);
    for request in [&new_late, &new_early, &scheduled, &done] {
        stores.visits.create(request, None).await.unwrap();
    }
    assert_eq!(
        collect(stores.visits.export(Some(VisitStatus::New))).await,
        vec![new_early.clone(), new_late.clone()]
    );
    assert_eq!(
        collect(stores.visits.export(Some(VisitStatus::Scheduled))).await,
        vec![scheduled.clone()]
    );
    assert!(
        collect(stores.visits.export(Some(VisitStatus::Canceled)))
            .await
            .is_empty()
    );
    assert_eq!(
        collect(stores.visits.export(None)).await,
        vec![new_early, scheduled, done, new_late]
    );
    // The count (the export's progress) is what the export streams.
    let count = async |status| stores.visits.export_count(status).await.unwrap();
    assert_eq!(count(Some(VisitStatus::New)).await, 2);
    assert_eq!(count(Some(VisitStatus::Canceled)).await, 0);
    assert_eq!(count(None).await, 4);
}

pub async fn a_visit_request_commits_with_its_answer(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let requests: Vec<VisitRequest> = (0..3)
        .map(|_| builders::visit(&account, Some(user.id)))
        .collect();
    let request = |n: u8| requests[usize::from(n) - 1].clone();
    a_write_commits_with_its_answer(
        &stores,
        |answer, n| {
            let stores = stores.clone();
            let request = request(n);
            async move { stores.visits.create(&request, answer).await }
        },
        |n| {
            let stores = stores.clone();
            let id = request(n).id;
            async move {
                let mine = stores.visits.for_user(user.id).await.unwrap();
                mine.iter().any(|visit| visit.id == id)
            }
        },
    )
    .await;
}
