//! `Idempotency-Key` on the POSTs that create readings, payments and visit requests.

use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD};
use vodokanal_e2e::{Backend, Response, Server};

use crate::first_day;

/// POSTs `body` to `/api/v1{path}` under `key`.
async fn post(
    server: &Server,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> Response {
    server
        .request("POST", &format!("/api/v1{path}"))
        .bearer(token)
        .idempotency_key(key)
        .json(body)
        .send()
        .await
}

/// The length of the JSON array at `path`.
async fn count(server: &Server, path: &str, token: &str) -> usize {
    server
        .get(path, Some(token))
        .await
        .as_array()
        .unwrap()
        .len()
}

/// A POST that creates something, and the list in the cabinet that shows it.
struct Endpoint<'a> {
    path: &'a str,
    token: Option<&'a str>,
    listed_at: &'a str,
    viewer: &'a str,
}

/// Checks that `first` under `key` is replayed byte for byte and creates nothing more, and
/// that `other` under the same key is refused.
async fn replays(
    server: &Server,
    endpoint: &Endpoint<'_>,
    key: &str,
    first: &Value,
    other: &Value,
) {
    let Endpoint {
        path,
        token,
        listed_at,
        viewer,
    } = *endpoint;
    let created = post(server, path, token, key, first).await.expect(201);
    let before = count(server, listed_at, viewer).await;
    let again = post(server, path, token, key, first).await.expect(201);
    assert_eq!(again.body, created.body, "{path}");
    assert_eq!(again.content_type(), "application/json; charset=utf-8");
    assert_eq!(count(server, listed_at, viewer).await, before, "{path}");
    post(server, path, token, key, other)
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(server, listed_at, viewer).await, before, "{path}");
}

async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body(backend: Backend) {
    let server = Server::start(backend).await;
    let token_text = server.linked_subscriber().await;
    let token = Some(token_text.as_str());
    let readings = format!("/accounts/{ACCOUNT}/readings");
    let payments = format!("/accounts/{ACCOUNT}/payments");

    let cabinet = |path| Endpoint {
        path,
        token,
        listed_at: path,
        viewer: &token_text,
    };
    replays(
        &server,
        &cabinet(&readings),
        "reading-1",
        &json!({"readings": [{"meter_number": COLD, "value": "130"}]}),
        &json!({"readings": [{"meter_number": COLD, "value": "131"}]}),
    )
    .await;
    replays(
        &server,
        &cabinet(&payments),
        "payment-1",
        &json!({"purpose": "water", "amount": "100.00"}),
        &json!({"purpose": "water", "amount": "200.00"}),
    )
    .await;
    let day = first_day(2, None);
    let visit = |time: &str| {
        json!({
            "kind": "meter_acceptance",
            "account_number": ACCOUNT,
            "phone": "+79109845003",
            "visit_date": day.format("%Y-%m-%d").to_string(),
            "visit_time": time,
        })
    };
    replays(
        &server,
        &cabinet("/visit-requests"),
        "visit-1",
        &visit("10:00"),
        &visit("11:00"),
    )
    .await;
    // Anonymous calls are keyed by the client's address: the cabinet's key does not clash.
    let anonymous = Endpoint {
        path: "/public/payments",
        token: None,
        listed_at: &payments,
        viewer: &token_text,
    };
    replays(
        &server,
        &anonymous,
        "payment-1",
        &json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10"}),
        &json!({"account_number": ACCOUNT, "purpose": "court", "amount": "10"}),
    )
    .await;

    // A key is scoped to its endpoint: the visit's key creates a payment.
    post(
        &server,
        &payments,
        token,
        "visit-1",
        &json!({"purpose": "water", "amount": "1"}),
    )
    .await
    .expect(201);
    // A failure is not stored: the same key may be used again once the body is right.
    post(
        &server,
        &payments,
        token,
        "retry-1",
        &json!({"purpose": "water"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    post(
        &server,
        &payments,
        token,
        "retry-1",
        &json!({"purpose": "water", "amount": "1"}),
    )
    .await
    .expect(201);
    // A key is 1 to 255 visible ASCII characters.
    let invalid = post(
        &server,
        &payments,
        token,
        &"k".repeat(256),
        &json!({"purpose": "water", "amount": "1"}),
    )
    .await;
    invalid.assert_problem(422, "validation_failed");
    assert_eq!(invalid.fields(), ["Idempotency-Key"]);
}

vodokanal_e2e::journeys!(an_idempotency_key_replays_the_first_answer_and_refuses_another_body);
