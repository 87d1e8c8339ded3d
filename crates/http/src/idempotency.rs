//! `Idempotency-Key` on the POSTs that create readings, payments and visit requests: a repeat
//! with the same key and body from the same caller gets the first 2xx again, byte for byte.

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vodokanal_app::idempotency::{
    Begin, Caller, Idempotency, IdempotencyKey, IdempotencyRecordKey, StoredResponse,
};

use crate::problem::{FieldError, Problem};
use crate::state::AppState;

/// The optional `Idempotency-Key` header; present but not 1..=255 visible ASCII is a 422.
#[derive(Debug, Clone)]
pub struct IdempotencyHeader(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        value
            .to_str()
            .ok()
            .and_then(|text| text.parse().ok())
            .map(|key| Self(Some(key)))
            .ok_or_else(|| {
                Problem::validation(vec![FieldError::new(
                    "Idempotency-Key",
                    "invalid",
                    "Ключ Idempotency-Key: от 1 до 255 видимых символов ASCII",
                )])
            })
    }
}

/// A successful JSON answer, kept as bytes so that it can be stored for replay.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl JsonResponse {
    pub fn new<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, Problem> {
        let body = serde_json::to_vec(value).map_err(|error| {
            tracing::error!(%error, "a response could not be serialized");
            Problem::internal()
        })?;
        Ok(Self { status, body })
    }
}

/// The `Content-Type` of every JSON answer, as the contract's conventions write it.
pub const JSON: &str = "application/json; charset=utf-8";

impl IntoResponse for JsonResponse {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        response
    }
}

/// Releases a claim whose request never finished (the client went away, or the timeout
/// dropped the handler), so that the client may retry instead of getting 409 for a day.
struct ClaimGuard {
    idempotency: Idempotency,
    key: Option<IdempotencyRecordKey>,
}

impl ClaimGuard {
    async fn complete(mut self, response: &StoredResponse) {
        if let Some(key) = self.key.take()
            && let Err(error) = self.idempotency.complete(&key, response).await
        {
            tracing::error!(%error, "storing the response of an idempotent request failed");
        }
    }

    async fn release(mut self) {
        if let Some(key) = self.key.take()
            && let Err(error) = self.idempotency.release(&key).await
        {
            tracing::error!(%error, "releasing an idempotency key failed");
        }
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let idempotency = self.idempotency.clone();
            runtime.spawn(async move {
                if let Err(error) = idempotency.release(&key).await {
                    tracing::error!(%error, "releasing an abandoned idempotency key failed");
                }
            });
        }
    }
}

/// Runs `work` under the key, when there is one: a replay answers the stored response, a
/// 2xx is stored, anything else releases the key so that the client may retry.
pub async fn idempotent<Fut>(
    state: &AppState,
    key: Option<IdempotencyKey>,
    caller: &Caller,
    endpoint: &'static str,
    body: &[u8],
    work: Fut,
) -> Response
where
    Fut: Future<Output = Result<JsonResponse, Problem>>,
{
    let Some(key) = key else {
        return work.await.into_response();
    };
    let idempotency = &state.use_cases.idempotency;
    let record = IdempotencyRecordKey::new(caller, endpoint, &key);
    match idempotency.begin(&record, body).await {
        Ok(Begin::Proceed) => {}
        Ok(Begin::Replay(stored)) => return replay(stored),
        Err(error) => return Problem::from(error).into_response(),
    }
    let guard = ClaimGuard {
        idempotency: idempotency.clone(),
        key: Some(record),
    };
    match work.await {
        Ok(response) if response.status.is_success() => {
            guard
                .complete(&StoredResponse {
                    status: response.status.as_u16(),
                    body: response.body.clone(),
                })
                .await;
            response.into_response()
        }
        Ok(response) => {
            guard.release().await;
            response.into_response()
        }
        Err(problem) => {
            guard.release().await;
            problem.into_response()
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    if let Ok(status) = StatusCode::from_u16(stored.status) {
        JsonResponse {
            status,
            body: stored.body,
        }
        .into_response()
    } else {
        tracing::error!(status = stored.status, "a stored response has a bad status");
        Problem::internal().into_response()
    }
}
