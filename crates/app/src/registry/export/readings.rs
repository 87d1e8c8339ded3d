//! `vodokanal export readings --period YYYY-MM`.

use std::sync::Arc;

use vodokanal_domain::{Period, Reading};

use super::{ExportRow, export, instant, optional};
use crate::StoreError;
use crate::ports::{ExportSink, ReadingRepository, SinkError};

/// The columns, in order.
pub const COLUMNS: [&str; 10] = [
    "account_number",
    "meter_number",
    "period",
    "value",
    "previous_value",
    "consumption",
    "submitted_at",
    "source",
    "full_name",
    "phone",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReadingsCommand {
    pub period: Period,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportReadingsError {
    /// The store failed mid-stream: the output is incomplete and was not finished.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output can't be written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Exports the readings of a period given by subscribers (not those from the registry), one
/// row per reading, with the columns
/// `account_number;meter_number;period;value;previous_value;consumption;submitted_at;source;full_name;phone`:
/// values in cubic metres with three decimals (`123.456`), `previous_value` and `consumption`
/// empty when unknown, `submitted_at` RFC 3339 UTC, `source` `cabinet` or `anonymous`, and the
/// name and phone (E.164) given with an anonymous reading (empty for the cabinet's). Returns the
/// number of readings written (the header not counted).
#[derive(Debug)]
pub struct ExportReadings {
    readings: Arc<dyn ReadingRepository>,
}

impl ExportReadings {
    pub fn new(readings: Arc<dyn ReadingRepository>) -> Self {
        Self { readings }
    }

    pub async fn execute(
        &self,
        command: ExportReadingsCommand,
        sink: &mut dyn ExportSink,
    ) -> Result<u64, ExportReadingsError> {
        export(sink, || self.readings.export(command.period)).await
    }

    /// How many readings `execute` would write now (for its progress).
    pub async fn count(&self, command: ExportReadingsCommand) -> Result<u64, ExportReadingsError> {
        Ok(self.readings.export_count(command.period).await?)
    }
}

impl ExportRow for Reading {
    const COLUMNS: &'static [&'static str] = &COLUMNS;

    fn fields(&self) -> Vec<String> {
        let submitter = self.submitter.as_ref();
        vec![
            self.account_number.to_string(),
            self.meter_number.to_string(),
            self.period.to_string(),
            self.value.to_string(),
            optional(self.previous_value),
            optional(self.consumption),
            instant(self.submitted_at),
            self.source.code().to_owned(),
            optional(submitter.map(|s| s.full_name.as_str())),
            optional(submitter.map(|s| s.phone.as_str())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockExportSink, MockReadingRepository};
    use crate::registry::export::test_sink::{VecSink, row};
    use crate::testing::down;
    use crate::testing::{account_number, meter_number, now, phone, user_id};
    use futures::{StreamExt, stream};
    use mockall::predicate::eq;
    use vodokanal_domain::{AnonymousSubmitter, ReadingId, ReadingSource};

    fn period() -> Period {
        "2026-11".parse().unwrap()
    }

    fn cabinet_reading() -> Reading {
        Reading {
            id: ReadingId::from_random_bytes([1; 16]),
            account_number: account_number(),
            meter_number: meter_number(),
            value: "123.456".parse().unwrap(),
            previous_value: Some("120.000".parse().unwrap()),
            consumption: Some("3.456".parse().unwrap()),
            period: period(),
            submitted_at: now(),
            source: ReadingSource::Cabinet,
            warnings: vec![],
            user_id: Some(user_id()),
            submitter: None,
            voided: None,
        }
    }

    fn anonymous_reading() -> Reading {
        Reading {
            id: ReadingId::from_random_bytes([2; 16]),
            meter_number: "ВГВ-0022345".parse().unwrap(),
            value: "7".parse().unwrap(),
            previous_value: None,
            consumption: None,
            source: ReadingSource::Anonymous,
            user_id: None,
            submitter: Some(AnonymousSubmitter {
                full_name: "Иванов Иван Иванович".parse().unwrap(),
                phone: phone(),
            }),
            ..cabinet_reading()
        }
    }

    fn repository(items: Vec<Result<Reading, StoreError>>) -> MockReadingRepository {
        let mut readings = MockReadingRepository::new();
        readings
            .expect_export()
            .with(eq(period()))
            .times(1)
            .return_once(move |_| stream::iter(items).boxed());
        readings
    }

    fn command() -> ExportReadingsCommand {
        ExportReadingsCommand { period: period() }
    }

    #[tokio::test]
    async fn a_header_then_one_row_per_reading_then_finish() {
        let use_case = ExportReadings::new(Arc::new(repository(vec![
            Ok(cabinet_reading()),
            Ok(anonymous_reading()),
        ])));
        let mut sink = VecSink::default();

        let rows = use_case.execute(command(), &mut sink).await.unwrap();

        assert_eq!(rows, 2);
        assert!(sink.finished);
        assert_eq!(
            sink.rows,
            vec![
                row(&COLUMNS),
                row(&[
                    "123456",
                    "ВСХ-0011234",
                    "2026-11",
                    "123.456",
                    "120.000",
                    "3.456",
                    "2026-11-16T09:00:00Z",
                    "cabinet",
                    "",
                    "",
                ]),
                row(&[
                    "123456",
                    "ВГВ-0022345",
                    "2026-11",
                    "7.000",
                    "",
                    "",
                    "2026-11-16T09:00:00Z",
                    "anonymous",
                    "Иванов Иван Иванович",
                    "+79109845003",
                ]),
            ]
        );
    }

    #[tokio::test]
    async fn an_empty_period_writes_the_header_only() {
        let use_case = ExportReadings::new(Arc::new(repository(vec![])));
        let mut sink = VecSink::default();
        assert_eq!(use_case.execute(command(), &mut sink).await.unwrap(), 0);
        assert_eq!(sink.rows, vec![row(&COLUMNS)]);
        assert!(sink.finished);
    }

    #[tokio::test]
    async fn a_store_failure_mid_stream_stops_without_finishing() {
        let use_case = ExportReadings::new(Arc::new(repository(vec![
            Ok(cabinet_reading()),
            Err(down()),
            Ok(anonymous_reading()),
        ])));
        let mut sink = VecSink::default();

        let outcome = use_case.execute(command(), &mut sink).await;
        assert!(
            matches!(
                outcome,
                Err(ExportReadingsError::Store(StoreError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
        assert_eq!(sink.rows.len(), 2);
        assert!(!sink.finished);
    }

    #[tokio::test]
    async fn a_sink_failure_is_reported() {
        let use_case = ExportReadings::new(Arc::new(repository(vec![Ok(cabinet_reading())])));
        let mut sink = MockExportSink::new();
        let mut seq = mockall::Sequence::new();
        sink.expect_write_row()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        sink.expect_write_row()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Err(SinkError("disk full".into())));
        sink.expect_finish().never();

        let outcome = use_case.execute(command(), &mut sink).await;
        assert!(
            matches!(outcome, Err(ExportReadingsError::Sink(SinkError(ref m))) if m == "disk full"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_finish_is_reported() {
        let use_case = ExportReadings::new(Arc::new(repository(vec![])));
        let mut sink = MockExportSink::new();
        sink.expect_write_row().times(1).returning(|_| Ok(()));
        sink.expect_finish()
            .times(1)
            .returning(|| Err(SinkError("closed".into())));

        let outcome = use_case.execute(command(), &mut sink).await;
        assert!(
            matches!(outcome, Err(ExportReadingsError::Sink(_))),
            "{outcome:?}"
        );
    }
}
