//! Accounts in the cabinet.

use vodokanal_app::accounts::{
    LinkAccountError, ListAccountsError, RelabelAccountError, UnlinkAccountError, ViewAccountError,
};

use super::{account_not_found_problem, too_many};
use crate::problem::{Problem, ProblemCode};

impl From<LinkAccountError> for Problem {
    fn from(error: LinkAccountError) -> Self {
        match error {
            LinkAccountError::TooManyAttempts { retry_after } => too_many(
                retry_after,
                "Слишком много неудачных попыток привязать лицевой счёт. Повторите попытку позже.",
            ),
            LinkAccountError::LinkFailed => Self::new(
                ProblemCode::AccountLinkFailed,
                "Не найден лицевой счёт с таким номером и счётчиком, номер которого \
                 оканчивается на указанные цифры.",
            ),
            LinkAccountError::AlreadyLinked => Self::new(
                ProblemCode::AccountAlreadyLinked,
                "Этот лицевой счёт уже привязан к вашему кабинету.",
            ),
            LinkAccountError::Store(store) => store.into(),
        }
    }
}

impl From<ListAccountsError> for Problem {
    fn from(error: ListAccountsError) -> Self {
        match error {
            ListAccountsError::Store(store) => store.into(),
        }
    }
}

impl From<ViewAccountError> for Problem {
    fn from(error: ViewAccountError) -> Self {
        match error {
            ViewAccountError::NotFound => account_not_found_problem(),
            ViewAccountError::Store(store) => store.into(),
        }
    }
}

impl From<RelabelAccountError> for Problem {
    fn from(error: RelabelAccountError) -> Self {
        match error {
            RelabelAccountError::NotFound => account_not_found_problem(),
            RelabelAccountError::Store(store) => store.into(),
        }
    }
}

impl From<UnlinkAccountError> for Problem {
    fn from(error: UnlinkAccountError) -> Self {
        match error {
            UnlinkAccountError::NotFound => account_not_found_problem(),
            UnlinkAccountError::Store(store) => store.into(),
        }
    }
}
