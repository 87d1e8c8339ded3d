//! Registration, login, logout, authentication and password recovery.

use vodokanal_app::auth::{
    AuthenticateError, ConfirmPasswordResetError, ConfirmRegistrationError, LoginError,
    LogoutError, RequestPasswordResetError, RequestRegistrationError, SendCodeError,
};

use super::{too_many, wait};
use crate::problem::{FieldError, Problem, ProblemCode};

fn code_invalid() -> Problem {
    Problem::new(
        ProblemCode::CodeInvalid,
        "Неверный код подтверждения. Проверьте код или запросите новый.",
    )
}

fn code_expired() -> Problem {
    Problem::new(
        ProblemCode::CodeExpired,
        "Срок действия кода истёк. Запросите новый код.",
    )
}

impl From<AuthenticateError> for Problem {
    fn from(error: AuthenticateError) -> Self {
        match error {
            AuthenticateError::Unauthorized => Self::unauthorized(),
            AuthenticateError::Store(store) => store.into(),
        }
    }
}

impl From<SendCodeError> for Problem {
    fn from(error: SendCodeError) -> Self {
        match error {
            SendCodeError::TooSoon { retry_after } => too_many(
                retry_after,
                "Новый код можно запросить чуть позже: код уже отправлен.",
            ),
            SendCodeError::TooManyRequests { retry_after } => too_many(
                retry_after,
                "Слишком много запросов кода. Повторите попытку позже.",
            ),
            SendCodeError::BudgetExhausted { retry_after } => {
                Self::unavailable().retry_after(wait(retry_after))
            }
            SendCodeError::Store(store) => store.into(),
        }
    }
}

impl From<RequestRegistrationError> for Problem {
    fn from(error: RequestRegistrationError) -> Self {
        match error {
            RequestRegistrationError::ConsentRequired => Self::validation(vec![FieldError::new(
                "consent_personal_data",
                "required",
                "Необходимо согласие на обработку персональных данных.",
            )]),
            RequestRegistrationError::Send(send) => send.into(),
            RequestRegistrationError::Store(store) => store.into(),
        }
    }
}

impl From<ConfirmRegistrationError> for Problem {
    fn from(error: ConfirmRegistrationError) -> Self {
        match error {
            ConfirmRegistrationError::CodeInvalid => code_invalid(),
            ConfirmRegistrationError::CodeExpired => code_expired(),
            ConfirmRegistrationError::EmailTaken => Self::new(
                ProblemCode::EmailTaken,
                "Эта электронная почта уже используется другим пользователем.",
            ),
            ConfirmRegistrationError::Hash(hash) => hash.into(),
            ConfirmRegistrationError::Store(store) => store.into(),
        }
    }
}

impl From<LoginError> for Problem {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::TooManyAttempts { retry_after } => too_many(
                retry_after,
                "Слишком много неудачных попыток входа. Повторите попытку позже.",
            ),
            LoginError::InvalidCredentials => Self::new(
                ProblemCode::InvalidCredentials,
                "Неверный телефон, электронная почта или пароль.",
            ),
            LoginError::Hash(hash) => hash.into(),
            LoginError::Store(store) => store.into(),
        }
    }
}

impl From<LogoutError> for Problem {
    fn from(error: LogoutError) -> Self {
        match error {
            LogoutError::Store(store) => store.into(),
        }
    }
}

impl From<RequestPasswordResetError> for Problem {
    fn from(error: RequestPasswordResetError) -> Self {
        match error {
            RequestPasswordResetError::Send(send) => send.into(),
            RequestPasswordResetError::Store(store) => store.into(),
        }
    }
}

impl From<ConfirmPasswordResetError> for Problem {
    fn from(error: ConfirmPasswordResetError) -> Self {
        match error {
            ConfirmPasswordResetError::CodeInvalid => code_invalid(),
            ConfirmPasswordResetError::CodeExpired => code_expired(),
            ConfirmPasswordResetError::Hash(hash) => hash.into(),
            ConfirmPasswordResetError::Store(store) => store.into(),
        }
    }
}
