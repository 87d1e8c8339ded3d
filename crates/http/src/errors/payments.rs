//! Payments and the provider's notifications.

use vodokanal_app::payments::{
    GetPaymentStatusError, HandleNotificationError, PaymentHistoryError, PaymentQrError,
    StartPaymentError,
};
use vodokanal_app::ports::ProviderError;

use super::{account_not_found_problem, too_many};
use crate::problem::{FieldError, Problem, ProblemCode};

fn provider_unavailable() -> Problem {
    Problem::new(
        ProblemCode::PaymentProviderUnavailable,
        "Платёжный сервис временно недоступен. Повторите попытку позже.",
    )
}

impl From<ProviderError> for Problem {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Unavailable(cause) => {
                tracing::error!(%cause, "the payment provider is unavailable");
            }
            ProviderError::Rejected(cause) => {
                tracing::error!(%cause, "the payment provider refused the request");
            }
            ProviderError::UnknownPayment => {
                tracing::error!("the payment provider does not know the payment");
            }
        }
        provider_unavailable()
    }
}

impl From<StartPaymentError> for Problem {
    fn from(error: StartPaymentError) -> Self {
        match error {
            // The session's user was deleted meanwhile: to the client, a token that no longer
            // works.
            StartPaymentError::UserGone => Self::unauthorized(),
            StartPaymentError::NotFound => account_not_found_problem(),
            StartPaymentError::AccountNotFound => Self::new(
                ProblemCode::NotFound,
                "Лицевой счёт с таким номером не найден. Проверьте номер.",
            ),
            StartPaymentError::ReceiptContactRequired => Self::validation(vec![FieldError::new(
                "email",
                "required",
                "Укажите электронную почту для отправки чека.",
            )]),
            StartPaymentError::TooManyRequests { retry_after } => too_many(
                retry_after,
                "Слишком много платежей с вашего адреса. Повторите попытку позже.",
            ),
            StartPaymentError::ProviderUnavailable(cause) => cause.into(),
            StartPaymentError::Store(store) => store.into(),
        }
    }
}

impl From<GetPaymentStatusError> for Problem {
    fn from(error: GetPaymentStatusError) -> Self {
        match error {
            GetPaymentStatusError::NotFound => {
                Self::new(ProblemCode::NotFound, "Платёж не найден.")
            }
            GetPaymentStatusError::Store(store) => store.into(),
        }
    }
}

impl From<PaymentHistoryError> for Problem {
    fn from(error: PaymentHistoryError) -> Self {
        match error {
            PaymentHistoryError::NotFound => account_not_found_problem(),
            PaymentHistoryError::Store(store) => store.into(),
        }
    }
}

impl From<HandleNotificationError> for Problem {
    fn from(error: HandleNotificationError) -> Self {
        match error {
            HandleNotificationError::Untrusted(_) => Self::new(
                ProblemCode::Forbidden,
                "Уведомление не принято: отправитель не подтверждён.",
            ),
            HandleNotificationError::Malformed(_) => Self::validation(vec![FieldError::new(
                "body",
                "invalid",
                "Уведомление не удаётся прочитать.",
            )]),
            HandleNotificationError::UnknownPayment => {
                Self::new(ProblemCode::NotFound, "Платёж не найден.")
            }
            HandleNotificationError::AmountMismatch { ours, reported } => {
                tracing::error!(%ours, %reported, "the provider reports another amount: nothing settled");
                Self::internal()
            }
            HandleNotificationError::Provider(provider) => provider.into(),
            HandleNotificationError::Store(store) => store.into(),
        }
    }
}

impl From<PaymentQrError> for Problem {
    fn from(error: PaymentQrError) -> Self {
        match error {
            PaymentQrError::NotConfigured => Self::new(
                ProblemCode::PaymentQrNotConfigured,
                "Оплата по QR-коду сейчас недоступна.",
            ),
            PaymentQrError::NotFound => account_not_found_problem(),
            PaymentQrError::AccountNotFound => Self::new(
                ProblemCode::NotFound,
                "Лицевой счёт с таким номером не найден. Проверьте номер.",
            ),
            PaymentQrError::TooManyRequests { retry_after } => too_many(
                retry_after,
                "Слишком много запросов с вашего адреса. Повторите попытку позже.",
            ),
            PaymentQrError::Store(store) => store.into(),
        }
    }
}
