//! The subscriber cabinet's HTTP front: the axum [`router`] serving every row of the contract
//! (`shared/api.md`) under `/api/v1`, the probes and the OpenAPI 3.1 document; the DTOs, the
//! extractors (JSON bodies read field by field into domain value objects, bearer sessions, the
//! client address behind trusted proxies, `Idempotency-Key`), and the mapping of every
//! use-case error to an `application/problem+json` answer.
//!
//! Owns no rule of its own: each handler parses, calls one use case of `vodokanal-app` and
//! renders its answer. May depend on `vodokanal-app`, `vodokanal-domain`, axum, tower,
//! tower-http, tokio (the runtime axum runs on), utoipa, serde, `serde_json`, chrono, ipnet and
//! tracing.

pub mod dto;
mod errors;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod openapi;
pub mod problem;
mod router;
mod state;

pub use openapi::document as openapi_document;
pub use problem::{FieldError, Problem, ProblemCode};
pub use router::{BASE_PATH, router};
pub use state::{AppState, HttpConfig, Ports};
