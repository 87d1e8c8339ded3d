//! RFC 9457 problem details, `application/problem+json`: the one shape of every error answer.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The `Content-Type` of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How long a client waits before retrying when the store is down.
pub const STORE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The stable, machine-readable codes: those of the contract, and its extensions
/// (`idempotency_request_in_progress`, `payload_too_large`, `method_not_allowed`, `forbidden`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    ValidationFailed,
    Unauthorized,
    InvalidCredentials,
    TooManyRequests,
    CodeInvalid,
    CodeExpired,
    EmailTaken,
    AccountLinkFailed,
    AccountAlreadyLinked,
    NotFound,
    MeterNotFound,
    ReadingBelowPrevious,
    ReadingWindowClosed,
    /// v1.1: 409, an anonymous reading of a period whose reading came from the cabinet.
    ReadingAlreadySubmitted,
    /// v1.1: 422, an anonymous reading whose consumption is above the hard cap.
    ReadingImplausible,
    VisitSlotUnavailable,
    IdempotencyKeyReused,
    PaymentProviderUnavailable,
    ServiceUnavailable,
    Internal,
    /// Extension: 409, a request under the same `Idempotency-Key` is still running.
    IdempotencyRequestInProgress,
    /// Extension: 413, the body is over 64 KiB.
    PayloadTooLarge,
    /// Extension: 405, the path exists but not with this method.
    MethodNotAllowed,
    /// Extension: 403, a payment notification that is not from the provider.
    Forbidden,
    /// 415 (contract v1.1): a JSON endpoint's body is not `application/json`.
    UnsupportedMediaType,
    /// Extension (notices): 422, a push subscription to a host the server does not post to.
    PushEndpointNotAllowed,
    /// Extension (notices): 422, the subscriber keeps the most push subscriptions already.
    TooManyPushSubscriptions,
    /// Extension (notices): 409, the server has no VAPID key.
    PushNotConfigured,
    /// Extension (notices): 409, a verification link asked for an address already verified.
    EmailAlreadyVerified,
    /// Extension (notices): 422, a verification or unsubscribe link that is not valid.
    LinkInvalid,
    /// Extension (issue 18): 409, the server has no bank details for payment QR codes.
    PaymentQrNotConfigured,
}

impl ProblemCode {
    pub const fn code(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::TooManyRequests => "too_many_requests",
            Self::CodeInvalid => "code_invalid",
            Self::CodeExpired => "code_expired",
            Self::EmailTaken => "email_taken",
            Self::AccountLinkFailed => "account_link_failed",
            Self::AccountAlreadyLinked => "account_already_linked",
            Self::NotFound => "not_found",
            Self::MeterNotFound => "meter_not_found",
            Self::ReadingBelowPrevious => "reading_below_previous",
            Self::ReadingWindowClosed => "reading_window_closed",
            Self::ReadingAlreadySubmitted => "reading_already_submitted",
            Self::ReadingImplausible => "reading_implausible",
            Self::VisitSlotUnavailable => "visit_slot_unavailable",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::PaymentProviderUnavailable => "payment_provider_unavailable",
            Self::ServiceUnavailable => "service_unavailable",
            Self::Internal => "internal",
            Self::IdempotencyRequestInProgress => "idempotency_request_in_progress",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Forbidden => "forbidden",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PushEndpointNotAllowed => "push_endpoint_not_allowed",
            Self::TooManyPushSubscriptions => "too_many_push_subscriptions",
            Self::PushNotConfigured => "push_not_configured",
            Self::EmailAlreadyVerified => "email_already_verified",
            Self::LinkInvalid => "link_invalid",
            Self::PaymentQrNotConfigured => "payment_qr_not_configured",
        }
    }

    pub const fn status(self) -> StatusCode {
        match self {
            Self::ValidationFailed
            | Self::CodeInvalid
            | Self::CodeExpired
            | Self::AccountLinkFailed
            | Self::ReadingBelowPrevious
            | Self::ReadingWindowClosed
            | Self::ReadingImplausible
            | Self::VisitSlotUnavailable
            | Self::IdempotencyKeyReused
            | Self::PushEndpointNotAllowed
            | Self::TooManyPushSubscriptions
            | Self::LinkInvalid => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::EmailTaken
            | Self::AccountAlreadyLinked
            | Self::ReadingAlreadySubmitted
            | Self::IdempotencyRequestInProgress
            | Self::PushNotConfigured
            | Self::EmailAlreadyVerified
            | Self::PaymentQrNotConfigured => StatusCode::CONFLICT,
            Self::NotFound | Self::MeterNotFound => StatusCode::NOT_FOUND,
            Self::PaymentProviderUnavailable | Self::ServiceUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// A short Russian summary, the same for every problem of the code.
    pub const fn title(self) -> &'static str {
        match self {
            Self::ValidationFailed => "Ошибка в данных",
            Self::Unauthorized => "Требуется вход",
            Self::InvalidCredentials => "Неверный логин или пароль",
            Self::TooManyRequests => "Слишком много попыток",
            Self::CodeInvalid => "Неверный код",
            Self::CodeExpired => "Срок действия кода истёк",
            Self::EmailTaken => "Электронная почта уже используется",
            Self::AccountLinkFailed => "Не удалось привязать лицевой счёт",
            Self::AccountAlreadyLinked => "Лицевой счёт уже привязан",
            Self::NotFound => "Не найдено",
            Self::MeterNotFound => "Счётчик не найден",
            Self::ReadingBelowPrevious => "Показание меньше предыдущего",
            Self::ReadingWindowClosed => "Приём показаний закрыт",
            Self::ReadingAlreadySubmitted => "Показание уже передано",
            Self::ReadingImplausible => "Неправдоподобное показание",
            Self::VisitSlotUnavailable => "Время визита недоступно",
            Self::IdempotencyKeyReused => "Ключ идемпотентности уже использован",
            Self::PaymentProviderUnavailable => "Платёжный сервис недоступен",
            Self::ServiceUnavailable => "Сервис временно недоступен",
            Self::Internal => "Внутренняя ошибка",
            Self::IdempotencyRequestInProgress => "Запрос ещё выполняется",
            Self::PayloadTooLarge => "Слишком большой запрос",
            Self::MethodNotAllowed => "Метод не поддерживается",
            Self::Forbidden => "Доступ запрещён",
            Self::UnsupportedMediaType => "Неподдерживаемый формат данных",
            Self::PushEndpointNotAllowed => "Адрес push-сервиса не поддерживается",
            Self::TooManyPushSubscriptions => "Слишком много браузеров",
            Self::PushNotConfigured => "Push-уведомления не настроены",
            Self::EmailAlreadyVerified => "Адрес уже подтверждён",
            Self::LinkInvalid => "Ссылка недействительна",
            Self::PaymentQrNotConfigured => "Оплата по QR-коду не настроена",
        }
    }
}

/// One bad field of a `validation_failed` problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as named in the request (`phone`, `readings[1].value`, `body`).
    pub field: String,
    /// A stable `snake_case` code: `required`, `invalid_type`, `invalid`, `too_short`, ...
    pub code: String,
    /// Russian text fit to show to a subscriber.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The body of a problem, as documented.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemBody {
    /// `urn:vodokanal:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// One of the contract's error codes.
    pub code: String,
    /// Russian text fit to show to a subscriber.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// An error answer: a code, a Russian detail, and the headers some codes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: ProblemCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<Duration>,
}

impl Problem {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        let retry_after = match code.status() {
            StatusCode::SERVICE_UNAVAILABLE => Some(STORE_RETRY_AFTER),
            StatusCode::TOO_MANY_REQUESTS => Some(Duration::from_secs(60)),
            _ => None,
        };
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after,
        }
    }

    /// `validation_failed` naming each bad field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            _ => "Проверьте правильность заполнения полей".to_owned(),
        };
        Self {
            errors,
            ..Self::new(ProblemCode::ValidationFailed, detail)
        }
    }

    /// Sets `Retry-After` (rounded up to whole seconds, at least 1).
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// 503 `service_unavailable`, the store's or a dependency's fault (logged by the caller).
    pub fn unavailable() -> Self {
        Self::new(
            ProblemCode::ServiceUnavailable,
            "Сервис временно недоступен. Повторите попытку через несколько секунд.",
        )
    }

    /// 500 `internal`: says nothing of the cause (the caller logs it).
    pub fn internal() -> Self {
        Self::new(
            ProblemCode::Internal,
            "Произошла внутренняя ошибка. Повторите попытку позже.",
        )
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            ProblemCode::Unauthorized,
            "Войдите в личный кабинет: сеанс не найден или завершён.",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            kind: format!("urn:vodokanal:problem:{}", self.code.code()),
            title: self.code.title().to_owned(),
            status: self.status().as_u16(),
            code: self.code.code().to_owned(),
            detail: self.detail.clone(),
            errors: (!self.errors.is_empty()).then(|| self.errors.clone()),
        }
    }
}

/// Seconds for `Retry-After`, rounded up, never 0.
pub fn retry_after_seconds(after: Duration) -> u64 {
    let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    seconds.max(1)
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(after) = self.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(after)),
            );
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
