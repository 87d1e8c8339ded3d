//! `Idempotency-Key` on the POSTs that create readings, payments and visit requests: a repeat
//! with the same key and body from the same caller gets the first 2xx again, byte for byte;
//! the answer commits with the work it answers.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::task::JoinError;
use vodokanal_app::idempotency::{
    Answer, Answering, Begin, Caller, Claimed, Idempotency, IdempotencyKey, IdempotencyRecordKey,
    StoredResponse,
};

use crate::extract::{Authenticated, CallerAccount, ClientIp, JsonBody, RequestBody};
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
    /// The response as it is kept for replay.
    pub fn stored(self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            body: self.body,
        }
    }

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

/// Who sends an idempotent POST, as its record key names them, and the path of the resource it
/// writes to.
pub trait PostCaller: FromRequestParts<AppState, Rejection: IntoResponse> + Send + 'static {
    fn caller(&self) -> Caller;

    /// The path of the resource the request writes to: by default the route's own.
    fn resource(&self, route: &str) -> String {
        route.to_owned()
    }
}

impl PostCaller for Authenticated {
    fn caller(&self) -> Caller {
        Caller::User(self.0.user_id)
    }
}

/// An anonymous caller is scoped to its client address (unspecified when the server runs
/// without connection info).
impl PostCaller for ClientIp {
    fn caller(&self) -> Caller {
        Caller::Address(self.0.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }
}

/// A POST under one account is scoped to the account number as it is stored, so that
/// `8 910-12` and `891012` are the same account and two accounts never share a record.
impl PostCaller for CallerAccount {
    fn caller(&self) -> Caller {
        Caller::User(self.user.user_id)
    }

    fn resource(&self, route: &str) -> String {
        route.replace("{number}", self.number.as_str())
    }
}

/// A POST that creates a resource, read once: its `caller` (`C`), its `body`, and the record
/// key of its `Idempotency-Key` (the caller, the method and the resource's path, the key).
/// The body is read before any key is claimed: a bad body costs no write.
#[derive(Debug)]
pub struct IdempotentPost<C, T> {
    pub caller: C,
    pub body: T,
    record: Option<IdempotencyRecordKey>,
    raw: Bytes,
}

impl<C: PostCaller, T: RequestBody> FromRequest<AppState> for IdempotentPost<C, T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let caller = C::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let IdempotencyHeader(key) = IdempotencyHeader::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(route) = parts.extensions.get::<MatchedPath>() else {
            tracing::error!("an idempotent POST outside a matched route");
            return Err(Problem::internal().into_response());
        };
        let scope = format!("{} {}", parts.method, caller.resource(route.as_str()));
        let json = JsonBody::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = json
            .read(&state.return_origins)
            .map_err(IntoResponse::into_response)?;
        let record = key.map(|key| IdempotencyRecordKey::new(&caller.caller(), &scope, &key));
        Ok(Self {
            caller,
            body,
            record,
            raw: json.raw,
        })
    }
}

impl<C: Send + 'static, T: Send + 'static> IdempotentPost<C, T> {
    /// Creates the resource: runs `work(state, caller, body, answering)` in a task of its own,
    /// under the key when there is one, and answers 201 with `dto` of its result. A replay
    /// answers the stored response; a failure releases the claim so that the client may retry.
    ///
    /// Under a key, `answering` goes to the use case, whose write stores the answer in its own
    /// transaction: a crash leaves the resource and its answer or neither. The task, not the
    /// request, owns the work and the end of its claim: a client that goes away or the request
    /// timeout can't cut the work short.
    pub async fn create<R, D, W, Fut>(self, state: AppState, dto: fn(&R) -> D, work: W) -> Response
    where
        R: 'static,
        D: Serialize + 'static,
        W: FnOnce(AppState, C, T, Option<Arc<Answering<R>>>) -> Fut,
        Fut: Future<Output = Result<R, Problem>> + Send + 'static,
    {
        let Self {
            caller,
            body,
            record,
            raw,
        } = self;
        let created = move |value: &R| JsonResponse::new(StatusCode::CREATED, &dto(value));
        let Some(record) = record else {
            let run = work(state, caller, body, None);
            return answer(tokio::spawn(async move { run.await.and_then(|v| created(&v)) }).await);
        };
        let idempotency = state.use_cases.idempotency.clone();
        let claim = match idempotency.begin(&record, &raw).await {
            Ok(Begin::Proceed(claim)) => claim,
            Ok(Begin::Replay(stored)) => return replay(stored),
            Err(error) => return Problem::from(error).into_response(),
        };
        let answering = Arc::new(Answering::new(
            claim.clone(),
            Box::new(move |value: &R| created(value).ok().map(JsonResponse::stored)),
        ));
        let run = work(state, caller, body, Some(Arc::clone(&answering)));
        let claims = idempotency.clone();
        let held = claim.clone();
        let outcome = tokio::spawn(async move {
            let outcome = run.await.and_then(|v| created(&v));
            match &outcome {
                Ok(response) if !answering.was_answered() => {
                    tracing::warn!(
                        "an idempotent request's work stored no answer: stored after it"
                    );
                    let answer = Answer {
                        claim: held,
                        response: response.clone().stored(),
                    };
                    if let Err(error) = claims.complete(&answer).await {
                        tracing::error!(%error, "storing the response of an idempotent request failed");
                    }
                }
                Ok(_) => {}
                Err(_) => release(&claims, &held).await,
            }
            outcome
        })
        .await;
        if outcome.is_err() {
            // The work panicked: its task could not end the claim.
            release(&idempotency, &claim).await;
        }
        answer(outcome)
    }
}

async fn release(idempotency: &Idempotency, claim: &Claimed) {
    if let Err(error) = idempotency.release(claim).await {
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
