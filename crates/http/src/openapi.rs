//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and
//! the route list of [`crate::router`].

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{FieldError, ProblemBody};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vodokanal subscriber cabinet",
        version = "1",
        description = "The subscriber cabinet's HTTP contract, v1. Errors are RFC 9457 problem \
            details (`application/problem+json`) with a stable `code`. Extensions of the \
            contract: 409 `idempotency_request_in_progress`, 413 `payload_too_large`, \
            405 `method_not_allowed`, 403 `forbidden` (payment notifications)."
    ),
    components(schemas(ProblemBody, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "Without registration"),
        (name = "auth", description = "Registration, login, recovery"),
        (name = "profile", description = "The signed-in subscriber's profile"),
        (name = "accounts", description = "Accounts in the cabinet"),
        (name = "readings", description = "Meter readings"),
        (name = "payments", description = "Payments and provider notifications"),
        (name = "visits", description = "Visit requests"),
        (name = "health", description = "Probes and this document"),
    )
)]
pub(crate) struct ApiDoc;

/// The document of every route the router serves.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::router::routes().split_for_parts().1
}
