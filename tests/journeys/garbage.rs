//! Garbage to every endpoint, the answers outside the routes, the probes and the documents.

use serde_json::Value;
use vodokanal_e2e::demo::{ACCOUNT, PASSWORD, PHONE};
use vodokanal_e2e::{Backend, Server};

/// Every POST of the contract (and PATCH, DELETE with a body).
const WRITES: [(&str, &str); 15] = [
    ("POST", "/auth/registration"),
    ("POST", "/auth/registration/confirm"),
    ("POST", "/auth/login"),
    ("POST", "/auth/password-reset"),
    ("POST", "/auth/password-reset/confirm"),
    ("POST", "/public/readings"),
    ("POST", "/public/payments"),
    ("POST", "/profile/password"),
    ("POST", "/accounts"),
    ("PATCH", "/accounts/100001"),
    ("POST", "/accounts/100001/readings"),
    ("POST", "/accounts/100001/payments"),
    ("POST", "/visit-requests"),
    ("POST", "/payments/notifications/sandbox"),
    ("DELETE", "/profile"),
];

const BODIES: [&str; 13] = [
    "not json",
    "{",
    "",
    "null",
    "[1, 2, 3]",
    "\"text\"",
    "{\"phone\": \"\u{0}\"}",
    r#"{"phone": 5, "email": [], "login": {}, "password": 1, "code": null}"#,
    r#"{"account_number": 100001, "meter_last4": 1234, "amount": "ten", "purpose": 7}"#,
    r#"{"readings": "many"}"#,
    r#"{"readings": [{"meter_number": 1, "value": "-1"}]}"#,
    r#"{"readings": [{"meter_number": "ВСХ-0011234", "value": 1e300}]}"#,
    r#"{"value": "1.2345", "meter_number": "x", "full_name": "", "phone": "abc", "label": 5}"#,
];

async fn garbage_never_gets_a_server_error(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;
    for (method, path) in WRITES {
        for body in BODIES {
            let response = server
                .request(method, &format!("/api/v1{path}"))
                .bearer(Some(&token))
                .body("application/json", body)
                .send()
                .await;
            assert!(
                (400..500).contains(&response.status),
                "{method} {path} {body}: {} {}",
                response.status,
                response.body
            );
            assert!(
                response
                    .content_type()
                    .starts_with("application/problem+json"),
                "{method} {path} {body}: {}",
                response.content_type()
            );
        }
    }
    let response = server
        .request("POST", "/api/v1/auth/login")
        .body("application/json", "not json")
        .send()
        .await;
    response.assert_problem(422, "validation_failed");
    assert_eq!(response.fields(), ["body"]);
    let response = server
        .request("POST", "/api/v1/auth/login")
        .body("application/json", r#"{"login": 7}"#)
        .send()
        .await;
    response.assert_problem(422, "validation_failed");
    assert_eq!(response.fields(), ["login", "password"]);

    // Bad tokens and path parameters.
    for token in ["", "garbage", "x".repeat(300).as_str()] {
        server
            .api("GET", "/profile", Some(token), &Value::Null)
            .await
            .assert_problem(401, "unauthorized");
    }
    for path in [
        "/accounts/%FF%FE",
        "/accounts/..%2F..%2Fetc/readings?limit=-1",
        "/accounts/100001/readings?limit=abc&before=yesterday",
        "/payments/not-a-uuid",
    ] {
        let response = server.api("GET", path, Some(&token), &Value::Null).await;
        assert!(
            (400..500).contains(&response.status),
            "{path}: {} {}",
            response.status,
            response.body
        );
    }
    // None of it changed the subscriber's password or deleted the profile.
    server.token(PHONE, PASSWORD).await;
}

async fn outside_the_routes_the_answers_are_problems_too(backend: Backend) {
    let server = Server::start(backend).await;

    // Extensions of the contract: 404 for an unknown route, 405, 413.
    server
        .api("GET", "/no-such-thing", None, &Value::Null)
        .await
        .assert_problem(404, "not_found");
    server
        .request("GET", "/no-such-page")
        .send()
        .await
        .assert_problem(404, "not_found");
    server
        .api("PUT", "/info", None, &Value::Null)
        .await
        .assert_problem(405, "method_not_allowed");
    let big = format!("{{\"login\": \"{}\"}}", "x".repeat(100 * 1024));
    server
        .request("POST", "/api/v1/auth/login")
        .body("application/json", big)
        .send()
        .await
        .assert_problem(413, "payload_too_large");
    server
        .api("POST", "/payments/notifications/nobody", None, &Value::Null)
        .await
        .assert_problem(404, "not_found");
    // A form or a text/plain body, what a foreign page can post from a browser: 415.
    let form = server
        .request("POST", "/api/v1/auth/login")
        .form("login=a&password=b")
        .send()
        .await;
    form.assert_problem(415, "unsupported_media_type");
    server
        .request("POST", "/api/v1/auth/login")
        .body("text/plain", r#"{"login": "a", "password": "b"}"#)
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");

    // The probes, the documents, the sandbox page of an unknown payment.
    server
        .request("GET", "/health/live")
        .send()
        .await
        .expect(200);
    server
        .request("GET", "/health/ready")
        .send()
        .await
        .expect(200);
    let openapi = server.get("/openapi.json", None).await;
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(openapi["paths"]["/api/v1/visit-requests"].is_object());
    let info = server.get("/info", None).await;
    let purposes: Vec<&str> = info["payment_purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|purpose| purpose["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        purposes,
        ["water", "temporary_water_supply", "court", "heating"]
    );
    assert_eq!(info["reading_window"], Value::Null);
    assert_eq!(
        server
            .request("GET", "/sandbox/pay/00000000-0000-4000-8000-000000000000")
            .send()
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", &format!("/sandbox/pay/{ACCOUNT}"))
            .send()
            .await
            .status,
        404
    );
}

vodokanal_e2e::journeys!(
    garbage_never_gets_a_server_error,
    outside_the_routes_the_answers_are_problems_too,
);
