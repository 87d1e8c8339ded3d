//! Visit requests.

use vodokanal_app::visits::{BookVisitError, ListVisitsError, VisitCalendarError};
use vodokanal_domain::VisitSlotError;

use super::account_not_found_problem;
use crate::problem::{Problem, ProblemCode};

fn slot_detail(error: &VisitSlotError) -> &'static str {
    match error {
        VisitSlotError::NotAfterToday => "Визит можно заказать начиная с завтрашнего дня.",
        VisitSlotError::TooFarAhead => "Визит нельзя заказать так далеко вперёд.",
        VisitSlotError::DayOff => "В этот день контактный центр не работает.",
        VisitSlotError::OutsideHours => "Это время вне часов работы контактного центра.",
        VisitSlotError::NotOnSlotBoundary => "Визит начинается в начале часа или в половине часа.",
    }
}

impl From<BookVisitError> for Problem {
    fn from(error: BookVisitError) -> Self {
        match error {
            BookVisitError::NotFound => account_not_found_problem(),
            BookVisitError::MeterNotFound => Self::new(
                ProblemCode::MeterNotFound,
                "У лицевого счёта нет счётчика с таким номером.",
            ),
            BookVisitError::SlotUnavailable(slot) => {
                Self::new(ProblemCode::VisitSlotUnavailable, slot_detail(&slot))
            }
            BookVisitError::Store(store) => store.into(),
        }
    }
}

/// No such visit request of the caller: an unknown id, another user's, or not an id at all.
pub(crate) fn visit_not_found_problem() -> Problem {
    Problem::new(ProblemCode::NotFound, "Заявка не найдена.")
}

impl From<VisitCalendarError> for Problem {
    fn from(error: VisitCalendarError) -> Self {
        match error {
            VisitCalendarError::NotFound => visit_not_found_problem(),
            VisitCalendarError::Store(store) => store.into(),
        }
    }
}

impl From<ListVisitsError> for Problem {
    fn from(error: ListVisitsError) -> Self {
        match error {
            ListVisitsError::Store(store) => store.into(),
        }
    }
}
