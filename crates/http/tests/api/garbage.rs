//! Garbage to every endpoint: never a 5xx, never axum's plain-text rejections.

use axum::http::{Method, StatusCode};

use crate::harness::{ACCOUNT, App};

fn writes() -> Vec<(Method, String)> {
    let account = format!("/api/v1/accounts/{ACCOUNT}");
    vec![
        (Method::POST, "/api/v1/public/readings".into()),
        (Method::POST, "/api/v1/public/payments".into()),
        (Method::POST, "/api/v1/auth/registration".into()),
        (Method::POST, "/api/v1/auth/registration/confirm".into()),
        (Method::POST, "/api/v1/auth/login".into()),
        (Method::POST, "/api/v1/auth/password-reset".into()),
        (Method::POST, "/api/v1/auth/password-reset/confirm".into()),
        (Method::POST, "/api/v1/profile/password".into()),
        (Method::DELETE, "/api/v1/profile".into()),
        (Method::POST, "/api/v1/accounts".into()),
        (Method::PATCH, account.clone()),
        (Method::POST, format!("{account}/readings")),
        (Method::POST, format!("{account}/payments")),
        (Method::POST, "/api/v1/visit-requests".into()),
    ]
}

const GARBAGE: [&str; 12] = [
    "",
    "not json",
    "[1, 2]",
    "\"text\"",
    "null",
    "{}",
    "{\"phone\": 7, \"value\": [], \"amount\": {}, \"readings\": {\"a\": 1}}",
    "{\"login\": null, \"password\": true, \"label\": 5}",
    "{\"value\": 1e400, \"amount\": -0.0, \"readings\": [[]]}",
    "{\"a\":",
    "{\"email\": \"\\ud800\"}",
    "\u{0}",
];

#[tokio::test]
async fn garbage_is_422_naming_a_field_and_never_5xx() {
    let app = App::new().await;
    let token = app.with_account().await;
    for (method, path) in writes() {
        for garbage in GARBAGE {
            let answer = app
                .call_raw(method.clone(), &path, Some(&token), Some(garbage), &[])
                .await;
            assert!(
                answer.status.is_client_error(),
                "{method} {path} {garbage:?}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.bytes)
            );
            assert_eq!(
                answer.content_type(),
                "application/problem+json",
                "{method} {path}"
            );
            if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
                let body = answer.json();
                if body["code"] == "validation_failed" {
                    assert!(
                        !body["errors"].as_array().unwrap().is_empty(),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn not_json_and_not_an_object_name_the_body() {
    let app = App::new().await;
    for (garbage, code) in [("nope", "invalid_json"), ("[]", "not_an_object")] {
        let answer = app
            .call_raw(Method::POST, "/api/v1/auth/login", None, Some(garbage), &[])
            .await;
        assert_eq!(answer.bad_fields(), ["body"]);
        assert_eq!(answer.json()["errors"][0]["code"], code);
    }
    let form = app
        .call_raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("login=a"),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    form.problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn a_huge_body_is_413() {
    let app = App::new().await;
    let huge = format!("{{\"login\": \"{}\"}}", "x".repeat(70 * 1024));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/payments/notifications/sandbox",
    ] {
        let answer = app
            .call_raw(Method::POST, path, None, Some(&huge), &[])
            .await;
        answer.problem(413, "payload_too_large");
    }
}
