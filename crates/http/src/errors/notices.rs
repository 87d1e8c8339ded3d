//! «Уведомления», the push subscriptions, the e-mail's verification and the unsubscribe link.

use vodokanal_app::notices::{
    RequestLinkError, SubscribeError, UnsubscribeError, VerifyEmailError,
};

use super::too_many;
use crate::problem::{Problem, ProblemCode};

fn link_invalid() -> Problem {
    Problem::new(
        ProblemCode::LinkInvalid,
        "Ссылка недействительна или устарела. Войдите в личный кабинет и отправьте новую \
         ссылку из профиля.",
    )
}

impl From<SubscribeError> for Problem {
    fn from(error: SubscribeError) -> Self {
        match error {
            SubscribeError::PushOff => Self::new(
                ProblemCode::PushNotConfigured,
                "Push-уведомления не настроены на сервере.",
            ),
            SubscribeError::HostNotAllowed => Self::new(
                ProblemCode::PushEndpointNotAllowed,
                "Этот браузер использует push-сервис, который не поддерживается.",
            ),
            SubscribeError::TooMany => Self::new(
                ProblemCode::TooManyPushSubscriptions,
                "Уведомления уже включены в 10 браузерах. Отключите их в одном из них.",
            ),
            SubscribeError::Store(store) => store.into(),
        }
    }
}

impl From<RequestLinkError> for Problem {
    fn from(error: RequestLinkError) -> Self {
        match error {
            RequestLinkError::AlreadyVerified => Self::new(
                ProblemCode::EmailAlreadyVerified,
                "Адрес электронной почты уже подтверждён.",
            ),
            RequestLinkError::TooSoon { retry_after } => too_many(
                retry_after,
                "Ссылка уже отправлена. Новую можно запросить позже.",
            ),
            RequestLinkError::Store(store) => store.into(),
        }
    }
}

impl From<VerifyEmailError> for Problem {
    fn from(error: VerifyEmailError) -> Self {
        match error {
            VerifyEmailError::InvalidLink => link_invalid(),
            VerifyEmailError::Store(store) => store.into(),
        }
    }
}

impl From<UnsubscribeError> for Problem {
    fn from(error: UnsubscribeError) -> Self {
        match error {
            UnsubscribeError::InvalidLink => link_invalid(),
            UnsubscribeError::Store(store) => store.into(),
        }
    }
}
