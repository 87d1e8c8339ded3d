//! `vodokanal export visit-requests [--status new]`.

use std::sync::Arc;

use vodokanal_domain::{VisitRequest, VisitStatus};

use super::{ExportRow, export, instant, optional};
use crate::StoreError;
use crate::ports::{ExportSink, SinkError, VisitRequestRepository};

/// The columns, in order.
pub const COLUMNS: [&str; 10] = [
    "id",
    "kind",
    "account_number",
    "meter_number",
    "phone",
    "visit_date",
    "visit_time",
    "notes",
    "status",
    "created_at",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportVisitRequestsCommand {
    /// Only requests with this status; all when `None`.
    pub status: Option<VisitStatus>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportVisitRequestsError {
    /// The store failed mid-stream: the output is incomplete and was not finished.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output can't be written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Exports visit requests, oldest first, one row per request, with the columns
/// `id;kind;account_number;meter_number;phone;visit_date;visit_time;notes;status;created_at`:
/// `kind` and `status` as their codes (`meter_acceptance`, `new`), the phone in E.164,
/// `visit_date` `YYYY-MM-DD`, `visit_time` `HH:MM` (local), `created_at` RFC 3339 UTC, and
/// `meter_number` and `notes` empty when not given. Returns the number of requests written (the
/// header not counted).
#[derive(Debug)]
pub struct ExportVisitRequests {
    visits: Arc<dyn VisitRequestRepository>,
}

impl ExportVisitRequests {
    pub fn new(visits: Arc<dyn VisitRequestRepository>) -> Self {
        Self { visits }
    }

    pub async fn execute(
        &self,
        command: ExportVisitRequestsCommand,
        sink: &mut dyn ExportSink,
    ) -> Result<u64, ExportVisitRequestsError> {
        export(sink, || self.visits.export(command.status)).await
    }

    /// How many requests `execute` would write now (for its progress).
    pub async fn count(
        &self,
        command: ExportVisitRequestsCommand,
    ) -> Result<u64, ExportVisitRequestsError> {
        Ok(self.visits.export_count(command.status).await?)
    }
}

impl ExportRow for VisitRequest {
    const COLUMNS: &'static [&'static str] = &COLUMNS;

    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.code().to_owned(),
            self.account_number.to_string(),
            optional(self.meter_number.as_ref()),
            self.phone.to_string(),
            self.slot.date().format("%Y-%m-%d").to_string(),
            self.slot.time().format("%H:%M").to_string(),
            optional(self.notes.as_ref()),
            self.status.code().to_owned(),
            instant(self.created_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockExportSink, MockVisitRequestRepository};
    use crate::registry::export::test_sink::{VecSink, row};
    use crate::testing::down;
    use crate::testing::{account_number, meter_number, now, phone, user_id};
    use chrono::{NaiveDate, NaiveTime};
    use futures::{StreamExt, stream};
    use mockall::predicate::eq;
    use vodokanal_domain::{VisitKind, VisitRequestId, VisitSlot};

    fn id(n: u8) -> VisitRequestId {
        VisitRequestId::from_random_bytes([n; 16])
    }

    fn acceptance() -> VisitRequest {
        VisitRequest {
            id: id(1),
            kind: VisitKind::MeterAcceptance,
            account_number: account_number(),
            meter_number: Some(meter_number()),
            phone: phone(),
            slot: VisitSlot::restore(
                NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
                NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            ),
            notes: Some("Домофон 12".parse().unwrap()),
            status: VisitStatus::New,
            created_at: now(),
            user_id: Some(user_id()),
        }
    }

    fn verification() -> VisitRequest {
        VisitRequest {
            id: id(2),
            kind: VisitKind::MeterVerification,
            meter_number: None,
            notes: None,
            status: VisitStatus::Scheduled,
            user_id: None,
            ..acceptance()
        }
    }

    fn repository(
        status: Option<VisitStatus>,
        items: Vec<Result<VisitRequest, StoreError>>,
    ) -> MockVisitRequestRepository {
        let mut visits = MockVisitRequestRepository::new();
        visits
            .expect_export()
            .with(eq(status))
            .times(1)
            .return_once(move |_| stream::iter(items).boxed());
        visits
    }

    #[tokio::test]
    async fn a_header_then_one_row_per_request_then_finish() {
        let use_case = ExportVisitRequests::new(Arc::new(repository(
            None,
            vec![Ok(acceptance()), Ok(verification())],
        )));
        let mut sink = VecSink::default();

        let rows = use_case
            .execute(ExportVisitRequestsCommand { status: None }, &mut sink)
            .await
            .unwrap();

        assert_eq!(rows, 2);
        assert!(sink.finished);
        assert_eq!(
            sink.rows,
            vec![
                row(&COLUMNS),
                row(&[
                    &id(1).to_string(),
                    "meter_acceptance",
                    "123456",
                    "ВСХ-0011234",
                    "+79109845003",
                    "2026-11-18",
                    "09:30",
                    "Домофон 12",
                    "new",
                    "2026-11-16T09:00:00Z",
                ]),
                row(&[
                    &id(2).to_string(),
                    "meter_verification",
                    "123456",
                    "",
                    "+79109845003",
                    "2026-11-18",
                    "09:30",
                    "",
                    "scheduled",
                    "2026-11-16T09:00:00Z",
                ]),
            ]
        );
    }

    #[tokio::test]
    async fn the_status_filter_goes_to_the_store() {
        let use_case = ExportVisitRequests::new(Arc::new(repository(
            Some(VisitStatus::New),
            vec![Ok(acceptance())],
        )));
        let mut sink = VecSink::default();
        let rows = use_case
            .execute(
                ExportVisitRequestsCommand {
                    status: Some(VisitStatus::New),
                },
                &mut sink,
            )
            .await
            .unwrap();
        assert_eq!(rows, 1);
        assert_eq!(sink.rows.len(), 2);
    }

    #[tokio::test]
    async fn a_store_failure_mid_stream_stops_without_finishing() {
        let use_case = ExportVisitRequests::new(Arc::new(repository(
            None,
            vec![Ok(acceptance()), Err(down())],
        )));
        let mut sink = VecSink::default();
        let outcome = use_case
            .execute(ExportVisitRequestsCommand { status: None }, &mut sink)
            .await;
        assert!(
            matches!(
                outcome,
                Err(ExportVisitRequestsError::Store(StoreError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
        assert_eq!(sink.rows.len(), 2);
        assert!(!sink.finished);
    }

    #[tokio::test]
    async fn a_sink_failure_is_reported() {
        let use_case = ExportVisitRequests::new(Arc::new(repository(None, vec![Ok(acceptance())])));
        let mut sink = MockExportSink::new();
        sink.expect_write_row().times(1).returning(|_| Ok(()));
        sink.expect_write_row()
            .times(1)
            .returning(|_| Err(SinkError("disk full".into())));
        sink.expect_finish().never();

        let outcome = use_case
            .execute(ExportVisitRequestsCommand { status: None }, &mut sink)
            .await;
        assert!(
            matches!(outcome, Err(ExportVisitRequestsError::Sink(_))),
            "{outcome:?}"
        );
    }
}
