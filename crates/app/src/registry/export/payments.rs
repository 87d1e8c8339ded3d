//! `vodokanal export payments --from D --to D`.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use vodokanal_domain::{Payment, UtilityCalendar};

use super::{ExportRow, export, instant, optional};
use crate::ports::{ExportSink, PaymentRepository, SinkError};
use crate::{Settings, StoreError};

/// The columns, in order.
pub const COLUMNS: [&str; 9] = [
    "id",
    "account_number",
    "purpose",
    "amount",
    "status",
    "created_at",
    "paid_at",
    "provider",
    "provider_payment_id",
];

/// The payments created on the local dates `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportPaymentsCommand {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportPaymentsError {
    /// `to` is before `from`: nothing was written.
    #[error("the period ends ({to}) before it starts ({from})")]
    InvalidRange { from: NaiveDate, to: NaiveDate },
    /// The store failed mid-stream: the output is incomplete and was not finished.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output can't be written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Exports the payments created on the utility's local dates `from` to `to` (both included),
/// whatever their status, one row per payment, with the columns
/// `id;account_number;purpose;amount;status;created_at;paid_at;provider;provider_payment_id`:
/// `purpose` and `status` as their codes (`water`, `succeeded`), `amount` in roubles with two
/// decimals, instants RFC 3339 UTC, `paid_at` and `provider_payment_id` empty when unknown.
/// Returns the number of payments written (the header not counted).
#[derive(Debug)]
pub struct ExportPayments {
    payments: Arc<dyn PaymentRepository>,
    calendar: UtilityCalendar,
}

impl ExportPayments {
    pub fn new(payments: Arc<dyn PaymentRepository>, settings: &Settings) -> Self {
        Self {
            payments,
            calendar: settings.calendar,
        }
    }

    pub async fn execute(
        &self,
        command: ExportPaymentsCommand,
        sink: &mut dyn ExportSink,
    ) -> Result<u64, ExportPaymentsError> {
        let (start, end) = self.range(command)?;
        export(sink, || self.payments.export(start, end)).await
    }

    /// How many payments `execute` would write now (for its progress).
    pub async fn count(&self, command: ExportPaymentsCommand) -> Result<u64, ExportPaymentsError> {
        let (start, end) = self.range(command)?;
        Ok(self.payments.export_count(start, end).await?)
    }

    /// The command's days as instants: `[start, end)`.
    fn range(
        &self,
        command: ExportPaymentsCommand,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), ExportPaymentsError> {
        let ExportPaymentsCommand { from, to } = command;
        if to < from {
            return Err(ExportPaymentsError::InvalidRange { from, to });
        }
        // The start of `from` is the end of the day before it.
        let start = from.pred_opt().map_or(DateTime::<Utc>::MIN_UTC, |day| {
            self.calendar.end_of_day(day)
        });
        Ok((start, self.calendar.end_of_day(to)))
    }
}

impl ExportRow for Payment {
    const COLUMNS: &'static [&'static str] = &COLUMNS;

    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.account_number.to_string(),
            self.purpose.code().to_owned(),
            self.amount.to_string(),
            self.status.code().to_owned(),
            instant(self.created_at),
            optional(self.paid_at.map(instant)),
            self.provider.clone(),
            optional(self.provider_payment_id.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::payment;
    use crate::ports::{MockExportSink, MockPaymentRepository};
    use crate::registry::export::test_sink::{VecSink, row};
    use crate::testing::now;
    use futures::{StreamExt, stream};
    use mockall::predicate::eq;
    use vodokanal_domain::{PaymentId, PaymentPurpose, PaymentStatus};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn command() -> ExportPaymentsCommand {
        ExportPaymentsCommand {
            from: date(2026, 11, 1),
            to: date(2026, 11, 30),
        }
    }

    /// November in Moscow: from 31 October 21:00 UTC to 30 November 21:00 UTC.
    fn repository(items: Vec<Result<Payment, StoreError>>) -> MockPaymentRepository {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_export()
            .with(
                eq(utc("2026-10-31T21:00:00Z")),
                eq(utc("2026-11-30T21:00:00Z")),
            )
            .times(1)
            .return_once(move |_, _| stream::iter(items).boxed());
        payments
    }

    fn use_case(payments: MockPaymentRepository) -> ExportPayments {
        ExportPayments::new(Arc::new(payments), &Settings::default())
    }

    fn paid() -> Payment {
        Payment {
            id: PaymentId::from_random_bytes([4; 16]),
            purpose: PaymentPurpose::TemporaryWaterSupply,
            status: PaymentStatus::Succeeded,
            paid_at: Some(now()),
            ..payment()
        }
    }

    fn never_sent() -> Payment {
        Payment {
            provider_payment_id: None,
            confirmation_url: None,
            status: PaymentStatus::Canceled,
            ..payment()
        }
    }

    #[tokio::test]
    async fn a_header_then_one_row_per_payment_of_the_local_dates() {
        let mut sink = VecSink::default();
        let rows = use_case(repository(vec![Ok(paid()), Ok(never_sent())]))
            .execute(command(), &mut sink)
            .await
            .unwrap();

        assert_eq!(rows, 2);
        assert!(sink.finished);
        let paid_id = PaymentId::from_random_bytes([4; 16]).to_string();
        let never_sent_id = payment().id.to_string();
        assert_eq!(
            sink.rows,
            vec![
                row(&COLUMNS),
                row(&[
                    &paid_id,
                    "123456",
                    "temporary_water_supply",
                    "150.50",
                    "succeeded",
                    "2026-11-16T08:00:00Z",
                    "2026-11-16T09:00:00Z",
                    "sandbox",
                    "prov-1",
                ]),
                row(&[
                    &never_sent_id,
                    "123456",
                    "water",
                    "150.50",
                    "canceled",
                    "2026-11-16T08:00:00Z",
                    "",
                    "sandbox",
                    "",
                ]),
            ]
        );
    }

    #[tokio::test]
    async fn a_single_day_covers_its_local_day() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_export()
            .with(
                eq(utc("2026-11-15T21:00:00Z")),
                eq(utc("2026-11-16T21:00:00Z")),
            )
            .times(1)
            .return_once(|_, _| stream::iter(vec![]).boxed());
        let mut sink = VecSink::default();
        let day = date(2026, 11, 16);
        let rows = use_case(payments)
            .execute(ExportPaymentsCommand { from: day, to: day }, &mut sink)
            .await
            .unwrap();
        assert_eq!(rows, 0);
        assert_eq!(sink.rows, vec![row(&COLUMNS)]);
    }

    #[tokio::test]
    async fn an_end_before_the_start_is_refused_before_anything_is_written() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_export().never();
        let mut sink = MockExportSink::new();
        sink.expect_write_row().never();
        sink.expect_finish().never();

        let outcome = use_case(payments)
            .execute(
                ExportPaymentsCommand {
                    from: date(2026, 11, 2),
                    to: date(2026, 11, 1),
                },
                &mut sink,
            )
            .await;
        assert!(
            matches!(outcome, Err(ExportPaymentsError::InvalidRange { from, .. }) if from == date(2026, 11, 2)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_store_failure_mid_stream_stops_without_finishing() {
        let mut sink = VecSink::default();
        let outcome = use_case(repository(vec![
            Err(StoreError::Corrupt("bad amount".into())),
            Ok(paid()),
        ]))
        .execute(command(), &mut sink)
        .await;
        assert!(
            matches!(
                outcome,
                Err(ExportPaymentsError::Store(StoreError::Corrupt(_)))
            ),
            "{outcome:?}"
        );
        assert_eq!(sink.rows, vec![row(&COLUMNS)]);
        assert!(!sink.finished);
    }

    #[tokio::test]
    async fn a_sink_failure_is_reported() {
        let mut sink = MockExportSink::new();
        sink.expect_write_row()
            .times(1)
            .returning(|_| Err(SinkError("broken pipe".into())));
        sink.expect_finish().never();
        let mut payments = MockPaymentRepository::new();
        payments.expect_export().never();

        let outcome = use_case(payments).execute(command(), &mut sink).await;
        assert!(
            matches!(outcome, Err(ExportPaymentsError::Sink(_))),
            "{outcome:?}"
        );
    }
}
