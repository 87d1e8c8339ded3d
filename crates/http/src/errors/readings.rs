//! Meter readings.

use vodokanal_app::readings::{
    ReadingHistoryError, SubmitAnonymousReadingError, SubmitReadingsError, ViewConsumptionError,
    submit_batch::InvalidReadings,
};

use super::{account_not_found_problem, below_previous, too_many, window_closed};
use crate::problem::{FieldError, Problem, ProblemCode};

/// A stranger's answers name no value: the previous reading is the subscriber's.
impl From<SubmitAnonymousReadingError> for Problem {
    fn from(error: SubmitAnonymousReadingError) -> Self {
        match error {
            SubmitAnonymousReadingError::TooManyRequests { retry_after } => too_many(
                retry_after,
                "Слишком много показаний без регистрации. Повторите попытку позже или передайте \
                 показания в личном кабинете.",
            ),
            SubmitAnonymousReadingError::MeterNotFound => Self::new(
                ProblemCode::MeterNotFound,
                "Счётчик с таким номером не найден. Проверьте номер счётчика.",
            ),
            SubmitAnonymousReadingError::WindowClosed { window } => window_closed(window),
            SubmitAnonymousReadingError::BelowPrevious => Self::new(
                ProblemCode::ReadingBelowPrevious,
                "Показание меньше предыдущего. Проверьте его.",
            ),
            SubmitAnonymousReadingError::Implausible => Self::new(
                ProblemCode::ReadingImplausible,
                "Показание слишком велико по сравнению с предыдущим. Проверьте его или \
                 передайте показания в личном кабинете.",
            ),
            SubmitAnonymousReadingError::AlreadySubmitted => Self::new(
                ProblemCode::ReadingAlreadySubmitted,
                "Показание этого счётчика за текущий месяц уже передано в личном кабинете. \
                 Если оно неверно, обратитесь в контактный центр.",
            ),
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
            } => below_previous(previous, meter_number.as_str()),
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

impl From<ViewConsumptionError> for Problem {
    fn from(error: ViewConsumptionError) -> Self {
        match error {
            ViewConsumptionError::NotFound => account_not_found_problem(),
            ViewConsumptionError::Store(store) => store.into(),
        }
    }
}
