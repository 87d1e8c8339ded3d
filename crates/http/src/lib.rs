//! The subscriber cabinet's HTTP front: the axum [`router`] serving every row of the contract
//! (`shared/api.md`) under `/api/v1`, the probes and the OpenAPI 3.1 document; the DTOs, the
//! extractors (JSON bodies read field by field into domain value objects, bearer sessions, the
//! client address behind trusted proxies, `Idempotency-Key`), and the mapping of every
//! use-case error to an `application/problem+json` answer.
//!
//! Owns no rule of its own: each handler parses, calls one use case of `vodokanal-app` and
//! renders its answer. May depend on `vodokanal-app`, `vodokanal-domain`, axum, tower,
//! tower-http, tokio (the runtime axum runs on), utoipa, serde, `serde_json`, chrono, ipnet,
//! tracing, thiserror, and `qrcode` and `png` for the payment QR code's images.

//!
//! Decisions a reader of the contract may question:
//!
//! - Extensions of the contract's error codes: 409 `idempotency_request_in_progress` (a request
//!   under the same `Idempotency-Key` still runs), 413 `payload_too_large` (bodies over
//!   64 KiB), 405 `method_not_allowed`, 403 `forbidden` (a payment notification that is not
//!   from the provider). Every 401 carries `WWW-Authenticate: Bearer`; every 429 and 503 a
//!   `Retry-After` (5 s when the store is down or a request times out).
//! - An account number in a cabinet path that can't be an account number (`/accounts/12ab`)
//!   is a 404 `not_found`, like an account that is not linked to the caller; a payment id
//!   that is not a UUID is a 422 `validation_failed` naming `id`; bad `limit`/`before` query
//!   parameters are a 422 naming them.
//! - `validation_failed` names every bad field (`readings[1].value`, `body` for a body that is
//!   not JSON or not an object, `Idempotency-Key` for a bad key), with a field code
//!   (`required`, `invalid_type`, `invalid`, `too_short`, `too_long`, `too_common`,
//!   `not_mobile`, ...) and a Russian message. A body sent as anything but
//!   `application/json` (a form, `text/plain`) is a 415 `unsupported_media_type` (v1.1).
//! - `PATCH /accounts/{number}` requires the `label` key (so that a misspelt key does not
//!   clear the label); `null`, `""` or blanks clear it.
//! - `Idempotency-Key` is scoped to the user, or for anonymous calls to the client address
//!   (`0.0.0.0` when unknown), and to the method and path of the resource written (an
//!   account's number as stored). The body is read first: a bad one claims no key. Only a 2xx
//!   is stored and replayed; any other answer releases the key.
//! - `X-Forwarded-For` is read only when the peer is a trusted proxy, right to left up to the
//!   first address that is not one.
//! - The request log line (target `vodokanal_http::router`) names the route template, never
//!   the path, so no account number or payment id reaches it.

pub mod dto;
mod errors;
pub mod extract;
mod fields;
pub mod handlers;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod problem;
mod qr_image;
mod router;
mod state;

pub use openapi::document as openapi_document;
pub use problem::{FieldError, Problem, ProblemCode};
pub use router::{BASE_PATH, router};
pub use state::{AppState, HttpConfig};
