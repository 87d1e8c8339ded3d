//! The exports to the billing system: `vodokanal export readings|payments|visit-requests`.
//!
//! Each streams its repository's `export` into an [`ExportSink`] row by row (never holding the
//! whole export): a header row, one row per item, then `finish()`. The columns of each export are
//! documented on it and kept stable: the billing system reads them by position. Fields are
//! formatted as the contract writes them: money as roubles with two decimals, readings as cubic
//! metres with three, instants RFC 3339 in UTC (`2026-11-16T09:00:00Z`), dates `YYYY-MM-DD`, times
//! `HH:MM`, and an empty field for nothing.

mod payments;
mod readings;
mod visit_requests;

pub use payments::{ExportPayments, ExportPaymentsCommand, ExportPaymentsError};
pub use readings::{ExportReadings, ExportReadingsCommand, ExportReadingsError};
pub use visit_requests::{
    ExportVisitRequests, ExportVisitRequestsCommand, ExportVisitRequestsError,
};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::StoreError;
use crate::ports::{ExportSink, SinkError};

/// A row type of an export: its columns and its fields, in order.
trait ExportRow {
    /// The header.
    const COLUMNS: &'static [&'static str];
    fn fields(&self) -> Vec<String>;
}

/// Writes the header into `sink`, then (the store asked only once it is written) one row per
/// item that `rows` streams, then `finish()`. Returns the number of rows written (the header
/// not counted). A store failure stops the export before `finish()`.
async fn export<R: ExportRow, E: From<StoreError> + From<SinkError>>(
    sink: &mut dyn ExportSink,
    rows: impl FnOnce() -> BoxStream<'static, Result<R, StoreError>>,
) -> Result<u64, E> {
    sink.write_row(&header(R::COLUMNS)).await?;
    let mut rows = rows();
    let mut written = 0_u64;
    while let Some(row) = rows.next().await {
        sink.write_row(&row?.fields()).await?;
        written += 1;
    }
    sink.finish().await?;
    Ok(written)
}

/// An instant as RFC 3339 in UTC, to the second.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An optional field: its text, or empty.
fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn header(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

#[cfg(test)]
pub(crate) mod test_sink {
    use async_trait::async_trait;

    use crate::ports::{ExportSink, SinkError};

    /// A sink that keeps the rows it is given.
    #[derive(Debug, Default)]
    pub struct VecSink {
        pub rows: Vec<Vec<String>>,
        pub finished: bool,
    }

    #[async_trait]
    impl ExportSink for VecSink {
        async fn write_row(&mut self, fields: &[String]) -> Result<(), SinkError> {
            assert!(!self.finished, "a row after finish");
            self.rows.push(fields.to_vec());
            Ok(())
        }

        async fn finish(&mut self) -> Result<(), SinkError> {
            self.finished = true;
            Ok(())
        }
    }

    pub fn row(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| (*f).to_owned()).collect()
    }
}
