//! Unknown routes, probes, the OpenAPI document, the request log, the store being down.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode, header};
use vodokanal_app::StoreError;
use vodokanal_app::ports::MockSessionRepository;

use crate::harness::{App, settings};

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = App::new().await;
    app.get("/api/v1/nope", None)
        .await
        .problem(404, "not_found");
    app.get("/", None).await.problem(404, "not_found");
    app.call(Method::PUT, "/api/v1/info", None, None)
        .await
        .problem(405, "method_not_allowed");
    app.call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await
        .problem(405, "method_not_allowed");
}

#[tokio::test]
async fn the_probes() {
    let app = App::new().await;
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(app.get("/health/ready", None).await.status, StatusCode::OK);
    app.health.down.store(true, Ordering::SeqCst);
    let down = app.get("/health/ready", None).await;
    down.problem(503, "service_unavailable");
    assert_eq!(down.headers[header::RETRY_AFTER], "5");
    assert_eq!(app.get("/health/live", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_store_that_is_down_is_503_with_retry_after() {
    let app = App::with(settings(), vodokanal_http::HttpConfig::default(), |parts| {
        let mut sessions = MockSessionRepository::new();
        sessions.expect_find().returning(|_| {
            Err(StoreError::Unavailable(
                "connection refused to db:5432".into(),
            ))
        });
        parts.stores.sessions = Arc::new(sessions);
    })
    .await;
    let answer = app.get("/api/v1/profile", Some("c29tZS10b2tlbg")).await;
    let body = answer.problem(503, "service_unavailable");
    assert_eq!(answer.headers[header::RETRY_AFTER], "5");
    assert!(
        !body.to_string().contains("5432"),
        "the cause stays in the log"
    );
}

#[tokio::test]
async fn every_answer_has_a_request_id() {
    let app = App::new().await;
    let answer = app.get("/api/v1/info", None).await;
    assert!(answer.headers.contains_key("x-request-id"));
    let given = app
        .call_raw(
            Method::GET,
            "/api/v1/info",
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(given.headers["x-request-id"], "abc-123");
}

/// The contract's rows, and the probes and document around them.
const CONTRACT: [(&str, &str); 41] = [
    ("get", "/api/v1/info"),
    ("post", "/api/v1/public/readings"),
    ("post", "/api/v1/public/payments"),
    ("get", "/api/v1/payments/{id}"),
    ("post", "/api/v1/auth/registration"),
    ("post", "/api/v1/auth/registration/confirm"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("get", "/api/v1/profile"),
    ("post", "/api/v1/profile/password"),
    ("delete", "/api/v1/profile"),
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts"),
    ("get", "/api/v1/accounts/{number}"),
    ("patch", "/api/v1/accounts/{number}"),
    ("delete", "/api/v1/accounts/{number}"),
    ("get", "/api/v1/accounts/{number}/readings"),
    ("post", "/api/v1/accounts/{number}/readings"),
    ("get", "/api/v1/accounts/{number}/payments"),
    ("post", "/api/v1/accounts/{number}/payments"),
    ("get", "/api/v1/visit-requests"),
    ("post", "/api/v1/visit-requests"),
    ("post", "/api/v1/payments/notifications/{provider}"),
    // The notices' (docs/api-extensions.md).
    ("get", "/api/v1/profile/notifications"),
    ("put", "/api/v1/profile/notifications"),
    ("post", "/api/v1/profile/push-subscriptions"),
    ("delete", "/api/v1/profile/push-subscriptions"),
    ("post", "/api/v1/profile/email/verify"),
    ("post", "/api/v1/email/verify"),
    ("post", "/api/v1/notices/unsubscribe"),
    // Consumption at a glance (issue 18; docs/api-extensions.md).
    ("get", "/api/v1/accounts/{number}/consumption"),
    // Your data (issue 18, docs/api-extensions.md).
    ("get", "/api/v1/profile/history.csv"),
    ("get", "/api/v1/visit-requests/{id}/calendar.ics"),
    ("get", "/api/v1/reading-window.ics"),
    // Pay by QR (issue 18, docs/api-extensions.md).
    ("get", "/api/v1/accounts/{number}/payment-qr"),
    ("get", "/api/v1/public/payment-qr"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/api/v1/openapi.json"),
];

/// Every `$ref` in `value`.
fn collect_references(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(reference)) => into.push(reference.clone()),
                    _ => collect_references(value, into),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_references(item, into);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_and_the_router_serve_the_same_routes() {
    let app = App::new().await;
    let answer = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let document = answer.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    let mut contract: Vec<_> = CONTRACT
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    documented.sort();
    contract.sort();
    assert_eq!(documented, contract);

    // Every JSON body may be refused with 415; the provider's notification body is its own.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let reads_json = operation.get("requestBody").is_some()
                && path != "/api/v1/payments/notifications/{provider}";
            assert_eq!(
                operation["responses"].get("415").is_some(),
                reads_json,
                "{method} {path}"
            );
        }
    }

    // Every reference resolves: a client's generator (and schemathesis) stops at one that
    // does not.
    let schemas = &document["components"]["schemas"];
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference}: not a schema of the document"));
        assert!(schemas.get(name).is_some(), "{reference} does not resolve");
    }

    // Decimals are sent as JSON strings or numbers.
    for (schema, field) in [
        ("CabinetPaymentRequest", "amount"),
        ("MeterReadingRequest", "value"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["type"],
            serde_json::json!(["string", "number"]),
            "{schema}.{field}"
        );
    }

    // Every documented route is served: the router's fallbacks never answer it.
    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", "00000000-0000-4000-8000-000000000000")
            .replace("{number}", "123456")
            .replace("{provider}", "sandbox");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let answer = app
            .call_raw(method.clone(), &concrete, None, Some("{}"), &[])
            .await;
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if answer.status == StatusCode::NOT_FOUND {
            assert_ne!(
                answer.json()["detail"],
                "Такого адреса нет.",
                "{method} {path}"
            );
        }
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ProblemBody",
        "ReadingDto",
        "PaymentDto",
        "AccountDto",
        "InfoDto",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
}

#[derive(Debug)]
struct SlowHealth;

#[async_trait::async_trait]
impl vodokanal_app::ports::StoreHealth for SlowHealth {
    async fn ping(&self) -> Result<(), StoreError> {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_503() {
    let config = vodokanal_http::HttpConfig {
        request_timeout: std::time::Duration::from_millis(20),
        ..vodokanal_http::HttpConfig::default()
    };
    let app = App::with(settings(), config, |parts| {
        parts.stores.health = Arc::new(SlowHealth);
    })
    .await;
    let answer = app.get("/health/ready", None).await;
    answer.problem(503, "service_unavailable");
    assert_eq!(answer.headers[header::RETRY_AFTER], "5");
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let config = vodokanal_http::HttpConfig {
        cors_origins: vec!["https://lk.example.ru".into()],
        ..vodokanal_http::HttpConfig::default()
    };
    let app = App::with(settings(), config, |_| {}).await;
    let allowed = app
        .call_raw(
            Method::GET,
            "/api/v1/info",
            None,
            None,
            &[("origin", "https://lk.example.ru")],
        )
        .await;
    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://lk.example.ru"
    );
    let other = app
        .call_raw(
            Method::GET,
            "/api/v1/info",
            None,
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert!(
        !other
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
    let default = App::new().await;
    let none = default
        .call_raw(
            Method::GET,
            "/api/v1/info",
            None,
            None,
            &[("origin", "https://lk.example.ru")],
        )
        .await;
    assert!(
        !none
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn responses_are_compressed_on_request() {
    let app = App::new().await;
    let answer = app
        .call_raw(
            Method::GET,
            "/api/v1/openapi.json",
            None,
            None,
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(answer.headers[header::CONTENT_ENCODING], "gzip");
}
