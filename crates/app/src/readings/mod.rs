//! Meter readings (показания): given without registration by meter number, given from the
//! cabinet for an account's meters (all or none), and the account's history.

#[cfg(test)]
pub(crate) mod fixtures;
pub mod history;
pub mod submit;
pub mod submit_anonymous;
pub mod submit_batch;

pub use history::{ReadingHistory, ReadingHistoryCommand, ReadingHistoryError};
pub use submit::{PrepareReading, PrepareReadingCommand, PrepareReadingError, Submitter};
pub use submit_anonymous::{
    SubmitAnonymousReading, SubmitAnonymousReadingCommand, SubmitAnonymousReadingError,
};
pub use submit_batch::{
    InvalidReadings, SubmitReadings, SubmitReadingsCommand, SubmitReadingsError,
};
