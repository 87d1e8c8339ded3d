//! `Idempotency-Key`: replay byte for byte, reuse refused, invalid keys refused.

use axum::http::{Method, StatusCode};

use crate::harness::{ACCOUNT, App, METER};

#[tokio::test]
async fn a_repeat_replays_the_first_answer_and_stores_nothing_new() {
    let app = App::new().await;
    let token = app.with_account().await;
    let path = format!("/api/v1/accounts/{ACCOUNT}/readings");
    let body = format!(r#"{{"readings": [{{"meter_number": "{METER}", "value": "120"}}]}}"#);
    let send = |body: String, key: &'static str| {
        let app = &app;
        let token = token.clone();
        let path = path.clone();
        async move {
            app.call_raw(
                Method::POST,
                &path,
                Some(&token),
                Some(&body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let first = send(body.clone(), "k-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = send(body.clone(), "k-1").await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.bytes, first.bytes);
    assert_eq!(second.content_type(), "application/json; charset=utf-8");

    let history = app.get(&path, Some(&token)).await.json();
    let cabinet: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "cabinet")
        .collect();
    assert_eq!(cabinet.len(), 1);

    let other = body.replace("120", "121");
    send(other.clone(), "k-1")
        .await
        .problem(422, "idempotency_key_reused");
    let fresh = send(other, "k-2").await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    assert_ne!(fresh.bytes, first.bytes);
}

#[tokio::test]
async fn a_failed_request_releases_its_key() {
    let app = App::new().await;
    let body = format!(
        r#"{{"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "{METER}", "value": "90"}}"#
    );
    let send = || {
        app.call_raw(
            Method::POST,
            "/api/v1/public/readings",
            None,
            Some(&body),
            &[("idempotency-key", "retry-me")],
        )
    };
    send().await.problem(422, "reading_below_previous");
    send().await.problem(422, "reading_below_previous");
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = App::new().await;
    let body = format!(
        r#"{{"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "{METER}", "value": "101"}}"#
    );
    let first = app
        .call_raw(
            Method::POST,
            "/api/v1/public/readings",
            None,
            Some(&body),
            &[("idempotency-key", "same")],
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other_endpoint = app
        .call_raw(
            Method::POST,
            "/api/v1/public/payments",
            None,
            Some(r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#),
            &[("idempotency-key", "same")],
        )
        .await;
    assert_eq!(other_endpoint.status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_invalid_key_is_422() {
    let app = App::new().await;
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "ключ"] {
        let answer = app
            .call_raw(
                Method::POST,
                "/api/v1/public/payments",
                None,
                Some(r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#),
                &[("idempotency-key", key)],
            )
            .await;
        assert_eq!(answer.bad_fields(), ["Idempotency-Key"], "{key}");
    }
}
