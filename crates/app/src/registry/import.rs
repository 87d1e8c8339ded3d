//! `vodokanal import-registry FILE`: loads the billing system's registry.

use std::sync::Arc;

use tracing::{info, warn};
use vodokanal_domain::RegistryRecord;

use crate::StoreError;
use crate::ports::{RegistrySource, RegistryStore, SourceError, UpsertCounts};

/// How many good rows go to the store in one `upsert` (one transaction). Large, because
/// each transaction costs a round of statements and a commit; small enough that two batches
/// (the one being stored and the one being read) stay a few tens of megabytes.
pub const BATCH_SIZE: usize = 20_000;

/// How many rejected rows are reported in detail; the count is always exact.
pub const MAX_REJECTED_DETAILS: usize = 1000;

/// A row left out, with its line number (the header is line 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    /// Every rejected row, counted.
    pub rejected_count: u64,
    /// The first [`MAX_REJECTED_DETAILS`] rejected rows, in file order.
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportRegistryError {
    /// The file can't be read any further (missing header, I/O error). The batches upserted
    /// before stay (`committed`); the rows read since the last batch are not stored.
    #[error("the registry can't be read: {reason}")]
    Unreadable {
        reason: String,
        committed: UpsertCounts,
    },
    /// The store failed: the batches upserted before stay (`committed`), the failing batch and
    /// the rest of the file are not stored. Running the import again is safe (it is an upsert).
    #[error("the registry could not be stored: {source}")]
    Store {
        #[source]
        source: StoreError,
        committed: UpsertCounts,
    },
}

/// Reads the registry row by row (the file is never held whole), parses each row with
/// `RegistryRecord::parse`, and upserts the good rows [`BATCH_SIZE`] at a time, each batch in
/// one transaction. A row that can't be read or parsed is rejected with its line number and
/// reason while the good rows go in; several rows of one account (one per meter) are normal.
/// Importing the same file twice leaves the same state (the store upserts).
///
/// The next batch is read and parsed while the store writes the previous one, so the file's
/// side and the database's side work at the same time; at most two batches are in memory.
/// When the store fails, the rows read since the failing batch (at most one batch) are not
/// stored either.
///
/// The source yields the data rows only: it reads and checks the header itself (a missing or
/// wrong header is its `SourceError::Fatal`).
#[derive(Debug)]
pub struct ImportRegistry {
    store: Arc<dyn RegistryStore>,
}

/// How reading a batch ended.
enum Read {
    /// The batch is full; there may be more.
    Full,
    /// The file ended (the batch may be partly full, or empty).
    End,
    /// The file can't be read any further.
    Fatal(String),
}

impl ImportRegistry {
    pub fn new(store: Arc<dyn RegistryStore>) -> Self {
        Self { store }
    }

    pub async fn execute(
        &self,
        source: &mut dyn RegistrySource,
    ) -> Result<ImportReport, ImportRegistryError> {
        let mut report = ImportReport::default();
        let mut filling: Vec<RegistryRecord> = Vec::with_capacity(BATCH_SIZE);
        let mut storing: Vec<RegistryRecord> = Vec::new();
        loop {
            let (read, stored) = futures::future::join(
                read_batch(
                    source,
                    &mut filling,
                    &mut report.rejected_count,
                    &mut report.rejected,
                ),
                self.upsert(&storing),
            )
            .await;
            count(stored, &mut report)?;
            storing.clear();
            match read {
                Read::Full => std::mem::swap(&mut filling, &mut storing),
                Read::End => {
                    let stored = self.upsert(&filling).await;
                    count(stored, &mut report)?;
                    break;
                }
                Read::Fatal(reason) => {
                    warn!(%reason, inserted = report.inserted, updated = report.updated, "registry import stopped: the file can't be read");
                    return Err(ImportRegistryError::Unreadable {
                        reason,
                        committed: committed(&report),
                    });
                }
            }
        }
        info!(
            inserted = report.inserted,
            updated = report.updated,
            rejected = report.rejected_count,
            "registry imported"
        );
        Ok(report)
    }

    /// One batch to the store; nothing for an empty batch.
    async fn upsert(&self, batch: &[RegistryRecord]) -> Result<UpsertCounts, StoreError> {
        if batch.is_empty() {
            return Ok(UpsertCounts::default());
        }
        self.store.upsert(batch).await
    }
}

/// Adds a batch's counts to the report, or turns the store's failure into the error.
fn count(
    stored: Result<UpsertCounts, StoreError>,
    report: &mut ImportReport,
) -> Result<(), ImportRegistryError> {
    let counts = stored.map_err(|source| ImportRegistryError::Store {
        source,
        committed: committed(report),
    })?;
    report.inserted += counts.inserted;
    report.updated += counts.updated;
    Ok(())
}

/// Reads and parses rows into `batch` until it holds [`BATCH_SIZE`] rows or the file ends,
/// counting and recording the rejected rows.
async fn read_batch(
    source: &mut dyn RegistrySource,
    batch: &mut Vec<RegistryRecord>,
    rejected_count: &mut u64,
    rejected: &mut Vec<Rejected>,
) -> Read {
    let mut reject = |line: u64, reason: String| {
        *rejected_count += 1;
        if rejected.len() < MAX_REJECTED_DETAILS {
            rejected.push(Rejected { line, reason });
        }
    };
    while batch.len() < BATCH_SIZE {
        match source.next_row().await {
            None => return Read::End,
            Some(Ok(row)) => match RegistryRecord::parse(&row.fields) {
                Ok(record) => batch.push(record),
                Err(reason) => reject(row.line, reason.to_string()),
            },
            Some(Err(SourceError::BadRow { line, reason })) => reject(line, reason),
            Some(Err(SourceError::Fatal(reason))) => return Read::Fatal(reason),
        }
    }
    Read::Full
}

fn committed(report: &ImportReport) -> UpsertCounts {
    UpsertCounts {
        inserted: report.inserted,
        updated: report.updated,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    use crate::ports::{MockRegistryStore, RawRow};
    use crate::testing::down;
    use async_trait::async_trait;

    /// A registry file as a list of rows.
    #[derive(Debug)]
    struct VecSource(VecDeque<Result<RawRow, SourceError>>);

    #[async_trait]
    impl RegistrySource for VecSource {
        async fn next_row(&mut self) -> Option<Result<RawRow, SourceError>> {
            self.0.pop_front()
        }
    }

    fn source(rows: Vec<Result<RawRow, SourceError>>) -> VecSource {
        VecSource(rows.into())
    }

    fn raw(line: u64, text: &str) -> RawRow {
        RawRow {
            line,
            fields: text.split(';').map(str::to_owned).collect(),
        }
    }

    fn record(text: &str) -> RegistryRecord {
        RegistryRecord::parse(&text.split(';').collect::<Vec<_>>()).unwrap()
    }

    const METER_1: &str = "123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВСХ-0011234;cold_water;2030-01-15;123.456;2026-10-25";
    const METER_2: &str =
        "123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВГВ-0022345;hot_water;;;";
    const NO_METER: &str = "654321;г. Иваново, ул. Парижской Коммуны, д. 5;-10.00;2026-10-31;;;;;";
    const BAD_DEBT: &str = "777777;Адрес;abc;2026-10-31;;;;;";

    /// Good row `i` of a large file: account `100000 + i` without meters.
    fn numbered(i: u64) -> String {
        format!("{};Адрес {i};0.00;2026-10-31;;;;;", 100_000 + i)
    }

    #[tokio::test]
    async fn good_rows_go_in_and_bad_rows_are_reported_with_their_lines() {
        let mut store = MockRegistryStore::new();
        let expected = vec![record(METER_1), record(METER_2), record(NO_METER)];
        store
            .expect_upsert()
            .withf(move |rows| rows == expected.as_slice())
            .times(1)
            .returning(|_| {
                Ok(UpsertCounts {
                    inserted: 2,
                    updated: 1,
                })
            });
        let mut file = source(vec![
            Ok(raw(2, METER_1)),
            Ok(raw(3, METER_2)),
            Ok(raw(4, BAD_DEBT)),
            Err(SourceError::BadRow {
                line: 5,
                reason: "unterminated quote".into(),
            }),
            Ok(raw(7, NO_METER)),
            Ok(raw(8, "1;2;3")),
        ]);

        let report = ImportRegistry::new(Arc::new(store))
            .execute(&mut file)
            .await
            .unwrap();

        assert_eq!(
            report,
            ImportReport {
                inserted: 2,
                updated: 1,
                rejected_count: 3,
                rejected: vec![
                    Rejected {
                        line: 4,
                        reason: "debt: amount is not a number of roubles with at most two decimals"
                            .into(),
                    },
                    Rejected {
                        line: 5,
                        reason: "unterminated quote".into(),
                    },
                    Rejected {
                        line: 8,
                        reason: "expected 9 columns, found 3".into(),
                    },
                ],
            }
        );
    }

    #[tokio::test]
    async fn rows_go_to_the_store_a_batch_at_a_time_in_file_order() {
        let mut store = MockRegistryStore::new();
        let mut seq = mockall::Sequence::new();
        let batch = BATCH_SIZE as u64;
        for (first, len) in [
            (0_u64, BATCH_SIZE),
            (batch, BATCH_SIZE),
            (2 * batch, BATCH_SIZE / 2),
        ] {
            store
                .expect_upsert()
                .withf(move |rows| {
                    rows.len() == len
                        && rows.first() == Some(&record(&numbered(first)))
                        && rows.last() == Some(&record(&numbered(first + len as u64 - 1)))
                })
                .times(1)
                .in_sequence(&mut seq)
                .returning(|rows| {
                    Ok(UpsertCounts {
                        inserted: rows.len() as u64,
                        updated: 0,
                    })
                });
        }
        let total = 2 * batch + batch / 2;
        let mut file = source((0..total).map(|i| Ok(raw(i + 2, &numbered(i)))).collect());

        let report = ImportRegistry::new(Arc::new(store))
            .execute(&mut file)
            .await
            .unwrap();
        assert_eq!(report.inserted, total);
        assert_eq!(report.rejected_count, 0);
    }

    #[tokio::test]
    async fn an_empty_file_stores_nothing() {
        let mut store = MockRegistryStore::new();
        store.expect_upsert().never();
        let report = ImportRegistry::new(Arc::new(store))
            .execute(&mut source(vec![]))
            .await
            .unwrap();
        assert_eq!(report, ImportReport::default());
    }

    #[tokio::test]
    async fn only_the_first_thousand_rejections_are_detailed_but_all_are_counted() {
        let mut store = MockRegistryStore::new();
        store.expect_upsert().never();
        let mut file = source((0..1500).map(|i| Ok(raw(i + 2, BAD_DEBT))).collect());

        let report = ImportRegistry::new(Arc::new(store))
            .execute(&mut file)
            .await
            .unwrap();
        assert_eq!(report.rejected_count, 1500);
        assert_eq!(report.rejected.len(), MAX_REJECTED_DETAILS);
        assert_eq!(report.rejected.first().map(|r| r.line), Some(2));
        assert_eq!(report.rejected.last().map(|r| r.line), Some(1001));
    }

    #[tokio::test]
    async fn an_unreadable_file_stops_the_import_and_stores_nothing_more() {
        let mut store = MockRegistryStore::new();
        store.expect_upsert().times(1).returning(|rows| {
            Ok(UpsertCounts {
                inserted: rows.len() as u64,
                updated: 0,
            })
        });
        let batch = BATCH_SIZE as u64;
        let mut rows: Vec<_> = (0..batch).map(|i| Ok(raw(i + 2, &numbered(i)))).collect();
        rows.push(Ok(raw(batch + 2, METER_1)));
        rows.push(Err(SourceError::Fatal("I/O error".into())));
        rows.push(Ok(raw(batch + 4, NO_METER)));
        let mut file = source(rows);

        let outcome = ImportRegistry::new(Arc::new(store))
            .execute(&mut file)
            .await;
        assert!(
            matches!(
                &outcome,
                Err(ImportRegistryError::Unreadable { reason, committed })
                    if reason == "I/O error"
                        && *committed == UpsertCounts { inserted: batch, updated: 0 }
            ),
            "{outcome:?}"
        );
        // The row after the fatal error was never read.
        assert_eq!(file.0.len(), 1);
    }

    #[tokio::test]
    async fn a_store_down_stops_the_import_and_keeps_earlier_batches() {
        let mut store = MockRegistryStore::new();
        let mut seq = mockall::Sequence::new();
        store
            .expect_upsert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(UpsertCounts {
                    inserted: 400,
                    updated: 600,
                })
            });
        store
            .expect_upsert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Err(down()));
        let batch = BATCH_SIZE as u64;
        let mut file = source(
            (0..4 * batch)
                .map(|i| Ok(raw(i + 2, &numbered(i))))
                .collect(),
        );

        let outcome = ImportRegistry::new(Arc::new(store))
            .execute(&mut file)
            .await;
        assert!(
            matches!(
                &outcome,
                Err(ImportRegistryError::Store { source: StoreError::Unavailable(_), committed })
                    if *committed == UpsertCounts { inserted: 400, updated: 600 }
            ),
            "{outcome:?}"
        );
        // The third batch was read while the second was being stored; no more.
        assert_eq!(file.0.len(), BATCH_SIZE, "the rest of the file is not read");
    }
}
