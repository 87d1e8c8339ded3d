use async_trait::async_trait;
use vodokanal_domain::RegistryRecord;

use crate::StoreError;

/// How many accounts and meters an upsert inserted and updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// Where the registry's rows land.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RegistryStore: std::fmt::Debug + Send + Sync {
    /// Inserts or updates the accounts and meters of the rows in one transaction, and records
    /// each meter's last reading as a `registry` reading of its period. Rows are counted: a
    /// row whose account and meter were new is inserted, any other is updated.
    async fn upsert(&self, rows: &[RegistryRecord]) -> Result<UpsertCounts, StoreError>;
}

/// One row of the registry file, split into fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// A row that can't be read as CSV (bad quoting, bad UTF-8): reported, the import goes on.
    #[error("line {line}: {reason}")]
    BadRow { line: u64, reason: String },
    /// The file can't be read any further (missing header, I/O error): the import stops.
    #[error("the registry can't be read: {0}")]
    Fatal(String),
}

/// The registry file, read row by row (never whole).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RegistrySource: std::fmt::Debug + Send {
    /// The next row; `None` at the end.
    async fn next_row(&mut self) -> Option<Result<RawRow, SourceError>>;
}
