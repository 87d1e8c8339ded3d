//! Meter readings.

use vodokanal_app::readings::{
    ReadingHistoryError, SubmitAnonymousReadingError, SubmitReadingsError,
    submit_batch::InvalidReadings,
};

use super::{account_not_found_problem, below_previous, window_closed};
use crate::problem::{FieldError, Problem, ProblemCode};

impl From<SubmitAnonymousReadingError> for Problem {
    fn from(error: SubmitAnonymousReadingError) -> Self {
        match error {
            SubmitAnonymousReadingError::MeterNotFound => Self::new(
                ProblemCode::MeterNotFound,
                "Счётчик с таким номером не найден. Проверьте номер счётчика.",
            ),
            SubmitAnonymousReadingError::WindowClosed { window } => window_closed(window),
            SubmitAnonymousReadingError::BelowPrevious { previous } => {
                below_previous(previous, None)
            }
            SubmitAnonymousReadingError::Store(store) => store.into(),
        }
    }
}

impl From<SubmitReadingsError> for Problem {
    fn from(error: SubmitReadingsError) -> Self {
        match error {
            SubmitReadingsError::NotFound => account_not_found_problem(),
            SubmitReadingsError::Invalid(InvalidReadings::Empty) => {
                Self::validation(vec![FieldError::new(
                    "readings",
                    "required",
                    "Укажите показания хотя бы одного счётчика.",
                )])
            }
            SubmitReadingsError::Invalid(InvalidReadings::DuplicateMeter(meter)) => {
                Self::validation(vec![FieldError::new(
                    "readings",
                    "duplicate",
                    format!("Счётчик {meter} указан больше одного раза."),
                )])
            }
            SubmitReadingsError::MeterNotFound { meter_number } => Self::new(
                ProblemCode::MeterNotFound,
                format!("У лицевого счёта нет счётчика {meter_number}."),
            ),
            SubmitReadingsError::WindowClosed { window } => window_closed(window),
            SubmitReadingsError::BelowPrevious {
                meter_number,
                previous,
            } => below_previous(previous, Some(meter_number.as_str())),
            SubmitReadingsError::Store(store) => store.into(),
        }
    }
}

impl From<ReadingHistoryError> for Problem {
    fn from(error: ReadingHistoryError) -> Self {
        match error {
            ReadingHistoryError::NotFound => account_not_found_problem(),
            ReadingHistoryError::Store(store) => store.into(),
        }
    }
}
