//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and
//! the route list of [`crate::router`].

use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::dto::{PaymentPurposeCode, QrImageFormat};
use crate::problem::{FieldError, PROBLEM_JSON, ProblemBody};

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
            405 `method_not_allowed`, 403 `forbidden` (payment notifications). A JSON body must \
            be sent as `application/json` (else 415 `unsupported_media_type`, contract v1.1)."
    ),
    // Schemas named only by query parameters: utoipa registers those of bodies by itself.
    components(schemas(ProblemBody, FieldError, PaymentPurposeCode, QrImageFormat)),
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

/// Every operation's responses.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
    })
}

/// The problem body of every error row: the handlers' attributes write a 4xx or 5xx row as
/// `(status = 404, description = "not_found")`, and it is an `application/problem+json`
/// [`ProblemBody`] here, in one place.
fn problem_bodies(openapi: &mut utoipa::openapi::OpenApi) {
    for operation in operations(openapi) {
        for (status, response) in &mut operation.responses.responses {
            let error = status.starts_with('4') || status.starts_with('5');
            if let (true, RefOr::T(response)) = (error, response)
                && response.content.is_empty()
            {
                response
                    .content
                    .insert(PROBLEM_JSON.to_owned(), problem_content());
            }
        }
    }
}

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name("ProblemBody")))
}

/// The operation that takes a provider's own body, not one of our JSON bodies.
const NOTIFICATION: &str = "payment_notification";

/// Adds the 415 row to every operation that reads a JSON body (all with a request body, but
/// the payment notifications): the rule is one extractor's, so the row is added in one place.
fn unsupported_media_type(openapi: &mut utoipa::openapi::OpenApi) {
    let problem = ResponseBuilder::new()
        .description("unsupported_media_type: the body is not `application/json`")
        .content(PROBLEM_JSON, problem_content())
        .build();
    for operation in operations(openapi) {
        if operation.request_body.is_some()
            && operation.operation_id.as_deref() != Some(NOTIFICATION)
        {
            operation
                .responses
                .responses
                .insert("415".to_owned(), problem.clone().into());
        }
    }
}

/// The document of every route the router serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = crate::router::routes().split_for_parts().1;
    problem_bodies(&mut document);
    unsupported_media_type(&mut document);
    document
}
