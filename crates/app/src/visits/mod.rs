//! Visit requests: a technician's visit for meter acceptance (Приемка ИПУ) or meter
//! verification (Сверка ИПУ), booked by a subscriber for one of their accounts.

pub mod book;
pub mod calendar;
pub mod list;

pub use book::{BookVisit, BookVisitCommand, BookVisitError};
pub use calendar::{VisitCalendar, VisitCalendarCommand, VisitCalendarError, VisitCalendarFile};
pub use list::{ListVisits, ListVisitsCommand, ListVisitsError};
