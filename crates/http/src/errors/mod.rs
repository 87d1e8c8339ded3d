//! Every use-case error becomes a [`Problem`] here, in one exhaustive `match` per error enum
//! (no `_` arm), so that a new variant forces a decision. The use cases name what happened;
//! the status is decided here: each [`ProblemCode`] has its own (`ProblemCode::status`), and
//! `Problem::unavailable` is 503 `service_unavailable` with `Retry-After`,
//! `Problem::internal` 500, `Problem::unauthorized` 401 and `Problem::validation` 422. A store
//! that is unavailable is 503, one that holds corrupt data 500, a lost `Idempotency-Key` claim
//! 409; a busy password hasher is 503, a failing one 500; a provider that can't be asked or
//! refuses is 503 `payment_provider_unavailable`. A 5xx body says nothing of the cause; the
//! cause goes to the log with `tracing::error!`.

mod accounts;
mod auth;
mod notices;
mod payments;
mod profile;
mod readings;
mod visits;

pub(crate) use visits::visit_not_found_problem;

use std::time::Duration;

use chrono::TimeDelta;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::IdempotencyError;
use vodokanal_app::ports::HashError;
use vodokanal_domain::{ReadingValue, ReadingWindow};

use crate::problem::{Problem, ProblemCode};

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "the store is unavailable");
                Self::unavailable()
            }
            StoreError::Corrupt(cause) => {
                tracing::error!(%cause, "the store holds corrupt data");
                Self::internal()
            }
            StoreError::ClaimLost => {
                tracing::warn!("a request lost its Idempotency-Key claim to a retry");
                IdempotencyError::InProgress.into()
            }
        }
    }
}

/// How long a client waits when the password hasher's queue is full.
const HASHER_RETRY_AFTER: Duration = Duration::from_secs(2);

impl From<HashError> for Problem {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Failed(cause) => {
                tracing::error!(%cause, "password hashing failed");
                Self::internal()
            }
            HashError::Busy => {
                tracing::warn!("the password hasher's queue is full: refused with 503");
                Self::unavailable().retry_after(HASHER_RETRY_AFTER)
            }
        }
    }
}

impl From<IdempotencyError> for Problem {
    fn from(error: IdempotencyError) -> Self {
        match error {
            IdempotencyError::KeyReused => Self::new(
                ProblemCode::IdempotencyKeyReused,
                "Этот ключ Idempotency-Key уже использован для другого запроса.",
            ),
            IdempotencyError::InProgress => Self::new(
                ProblemCode::IdempotencyRequestInProgress,
                "Запрос с этим ключом Idempotency-Key ещё выполняется. Повторите его позже.",
            )
            .retry_after(Duration::from_secs(1)),
            IdempotencyError::Store(store) => store.into(),
        }
    }
}

/// A `TimeDelta` wait as a `Retry-After` duration (at least a second).
pub(crate) fn wait(retry_after: TimeDelta) -> Duration {
    retry_after
        .to_std()
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_secs(1))
}

/// 429 `too_many_requests` with `Retry-After`.
pub(crate) fn too_many(retry_after: TimeDelta, detail: &str) -> Problem {
    Problem::new(ProblemCode::TooManyRequests, detail).retry_after(wait(retry_after))
}

/// 422 `reading_window_closed`.
pub(crate) fn window_closed(window: ReadingWindow) -> Problem {
    Problem::new(
        ProblemCode::ReadingWindowClosed,
        format!(
            "Показания принимаются с {} по {} число месяца.",
            window.from_day(),
            window.to_day()
        ),
    )
}

/// 422 `reading_below_previous` to the subscriber, naming the meter and its previous value.
pub(crate) fn below_previous(previous: ReadingValue, meter: &str) -> Problem {
    Problem::new(
        ProblemCode::ReadingBelowPrevious,
        format!("Показание счётчика {meter} меньше предыдущего ({previous} м³)."),
    )
}

/// 404 `not_found` for an account that is not linked to the caller.
pub(crate) fn account_not_found_problem() -> Problem {
    Problem::new(
        ProblemCode::NotFound,
        "Лицевой счёт не найден среди привязанных к вашему кабинету.",
    )
}
