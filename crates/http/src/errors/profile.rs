//! The signed-in subscriber's profile. A session whose user is gone (deleted between the
//! authentication and the use case) is a 401 `unauthorized`: to the client, a token that no
//! longer works.

use vodokanal_app::profile::{
    ChangePasswordError, DeleteProfileError, DownloadHistoryError, ViewProfileError,
};

use super::too_many;
use crate::problem::{Problem, ProblemCode};

const TOO_MANY: &str = "Слишком много неверных паролей. Повторите попытку позже.";

fn wrong_password() -> Problem {
    Problem::new(ProblemCode::InvalidCredentials, "Неверный пароль.")
}

impl From<ViewProfileError> for Problem {
    fn from(error: ViewProfileError) -> Self {
        match error {
            ViewProfileError::NotFound => Self::unauthorized(),
            ViewProfileError::Store(store) => store.into(),
        }
    }
}

impl From<DownloadHistoryError> for Problem {
    fn from(error: DownloadHistoryError) -> Self {
        match error {
            DownloadHistoryError::Store(store) => store.into(),
            // The file is written to memory: this can't happen.
            DownloadHistoryError::Sink(_) => Self::internal(),
        }
    }
}

impl From<ChangePasswordError> for Problem {
    fn from(error: ChangePasswordError) -> Self {
        match error {
            ChangePasswordError::InvalidCredentials => wrong_password(),
            ChangePasswordError::TooManyAttempts { retry_after } => too_many(retry_after, TOO_MANY),
            ChangePasswordError::NotFound => Self::unauthorized(),
            ChangePasswordError::Hash(hash) => hash.into(),
            ChangePasswordError::Store(store) => store.into(),
        }
    }
}

impl From<DeleteProfileError> for Problem {
    fn from(error: DeleteProfileError) -> Self {
        match error {
            DeleteProfileError::InvalidCredentials => wrong_password(),
            DeleteProfileError::TooManyAttempts { retry_after } => too_many(retry_after, TOO_MANY),
            DeleteProfileError::NotFound => Self::unauthorized(),
            DeleteProfileError::Hash(hash) => hash.into(),
            DeleteProfileError::Store(store) => store.into(),
        }
    }
}
