//! `Idempotency-Key` on the POSTs that create readings, payments and visit requests: a repeat
//! with the same key and body from the same caller gets the first 2xx again, byte for byte.

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::task::JoinError;
use vodokanal_app::idempotency::{
    Begin, Caller, Idempotency, IdempotencyKey, IdempotencyRecordKey, StoredResponse,
};
use vodokanal_domain::AccountNumber;

use crate::extract::JsonBody;
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

/// Runs `work(state, body)` in a task of its own, under the key when there is one: a replay
/// answers the stored response, a 2xx is stored, anything else releases the key so that the
/// client may retry.
///
/// The task, not the request, owns the work and the end of its claim: a client that goes away
/// or the request timeout can't cut a reading or a payment between its commit and the stored
/// answer, so a retry under the same key gets that answer instead of a second payment.
///
/// `scope` names the resource the request writes to, not the route template: the same key and
/// body sent to two accounts are two requests (see [`account_scope`]).
pub async fn idempotent<W, Fut>(
    state: AppState,
    key: Option<IdempotencyKey>,
    caller: &Caller,
    scope: &str,
    body: JsonBody,
    work: W,
) -> Response
where
    W: FnOnce(AppState, JsonBody) -> Fut,
    Fut: Future<Output = Result<JsonResponse, Problem>> + Send + 'static,
{
    let Some(key) = key else {
        return answer(tokio::spawn(work(state, body)).await);
    };
    let idempotency = state.use_cases.idempotency.clone();
    let record = IdempotencyRecordKey::new(caller, scope, &key);
    match idempotency.begin(&record, &body.raw).await {
        Ok(Begin::Proceed) => {}
        Ok(Begin::Replay(stored)) => return replay(stored),
        Err(error) => return Problem::from(error).into_response(),
    }
    let run = work(state, body);
    let claim = record.clone();
    let claims = idempotency.clone();
    let outcome = tokio::spawn(async move {
        let outcome = run.await;
        match &outcome {
            Ok(response) if response.status.is_success() => {
                let stored = StoredResponse {
                    status: response.status.as_u16(),
                    body: response.body.clone(),
                };
                if let Err(error) = claims.complete(&claim, &stored).await {
                    tracing::error!(%error, "storing the response of an idempotent request failed");
                }
            }
            _ => release(&claims, &claim).await,
        }
        outcome
    })
    .await;
    if outcome.is_err() {
        // The work panicked: its task could not end the claim.
        release(&idempotency, &record).await;
    }
    answer(outcome)
}

async fn release(idempotency: &Idempotency, key: &IdempotencyRecordKey) {
    if let Err(error) = idempotency.release(key).await {
        tracing::error!(%error, "releasing an idempotency key failed");
    }
}

/// The answer of a work's task; a panic is a 500 (and a bug).
fn answer(outcome: Result<Result<JsonResponse, Problem>, JoinError>) -> Response {
    match outcome {
        Ok(Ok(response)) => response.into_response(),
        Ok(Err(problem)) => problem.into_response(),
        Err(error) => {
            tracing::error!(%error, "a request's work did not finish");
            Problem::internal().into_response()
        }
    }
}

/// The scope of a POST under one account: its path with the account number as it is stored, so
/// that `8 910-12` and `891012` are the same account and two accounts never share a record.
pub fn account_scope(account: &AccountNumber, collection: &str) -> String {
    format!("POST /api/v1/accounts/{account}/{collection}")
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
