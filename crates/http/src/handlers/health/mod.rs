//! Probes and the OpenAPI document.

pub mod live;
pub mod openapi;
pub mod ready;
