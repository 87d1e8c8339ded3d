//! Meter readings (показания): given without registration by meter number, given from the
//! cabinet for an account's meters (all or none), the account's history, its consumption at a
//! glance, and the operator's void of a wrong reading.

pub mod consumption;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod history;
pub mod submit;
pub mod submit_anonymous;
pub mod submit_batch;
pub mod void;
pub mod window_calendar;

pub use consumption::{ViewConsumption, ViewConsumptionCommand, ViewConsumptionError};
pub use history::{ReadingHistory, ReadingHistoryCommand, ReadingHistoryError};
pub use submit::{PrepareReading, PrepareReadingCommand, PrepareReadingError, Submitter};
pub use submit_anonymous::{
    AnonymousReceipt, SubmitAnonymousReading, SubmitAnonymousReadingCommand,
    SubmitAnonymousReadingError,
};
pub use submit_batch::{
    InvalidReadings, SubmitReadings, SubmitReadingsCommand, SubmitReadingsError,
};
pub use void::{VoidReading, VoidReadingCommand, VoidReadingError};
pub use window_calendar::ReadingWindowCalendar;
