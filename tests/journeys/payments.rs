//! Payments from the cabinet and without registration, settled on the sandbox provider's page.

use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, DEBT};
use vodokanal_e2e::{Backend, Response, Server};

/// Checks a new payment and returns its sandbox page's path.
fn pending_page(server: &Server, payment: &Value, amount: &str) -> String {
    assert_eq!(payment["account_number"], ACCOUNT, "{payment}");
    assert_eq!(payment["purpose"], "water");
    assert_eq!(payment["amount"], amount);
    assert_eq!(payment["status"], "pending");
    assert_eq!(payment["paid_at"], Value::Null);
    let page = format!("/sandbox/pay/{}", payment["id"].as_str().unwrap());
    assert_eq!(
        payment["confirmation_url"],
        format!("{}{page}", server.base_url())
    );
    page
}

/// `POST /public/payments` without registration: the response.
async fn pay_anonymously(
    server: &Server,
    account: &str,
    purpose: &str,
    amount: &Value,
) -> Response {
    server
        .api(
            "POST",
            "/public/payments",
            None,
            &json!({"account_number": account, "purpose": purpose, "amount": amount}),
        )
        .await
}

/// Presses a button of the sandbox page (`succeeded` or `canceled`).
async fn decide(server: &Server, page: &str, result: &str) {
    let response = server
        .request("POST", page)
        .form(&format!("result={result}"))
        .send()
        .await
        .expect(200);
    assert!(response.content_type().starts_with("text/html"));
}

async fn payments_from_the_cabinet_and_anonymously_lower_the_debt_once(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;
    assert_eq!(server.demo_debt(&token).await, DEBT);

    // From the cabinet.
    let payment = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            Some(&token),
            &json!({"purpose": "water", "amount": "234.50"}),
        )
        .await
        .expect(201)
        .json();
    let page = pending_page(&server, &payment, "234.50");
    let shown = server.request("GET", &page).send().await.expect(200);
    assert!(shown.body.contains("Оплатить") && shown.body.contains("Отменить"));
    for _ in 0..2 {
        decide(&server, &page, "succeeded").await;
        assert_eq!(server.demo_debt(&token).await, "1000.00");
    }

    // Without registration, by account number.
    pay_anonymously(&server, "999999", "water", &json!("1"))
        .await
        .assert_problem(404, "not_found");
    let invalid = pay_anonymously(&server, ACCOUNT, "gas", &json!("1.001")).await;
    invalid.assert_problem(422, "validation_failed");
    assert_eq!(invalid.fields(), ["purpose", "amount"]);
    let anonymous = pay_anonymously(&server, ACCOUNT, "water", &json!(100))
        .await
        .expect(201)
        .json();
    let page = pending_page(&server, &anonymous, "100.00");
    for _ in 0..2 {
        decide(&server, &page, "succeeded").await;
        assert_eq!(server.demo_debt(&token).await, "900.00");
    }
    let status = server
        .get(
            &format!("/payments/{}", anonymous["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status["status"], "succeeded");
    assert!(status["paid_at"].is_string(), "{status}");

    // A canceled payment changes nothing, and a later "succeeded" does not revive it.
    let canceled = pay_anonymously(&server, ACCOUNT, "water", &json!("50.00"))
        .await
        .expect(201)
        .json();
    let page = pending_page(&server, &canceled, "50.00");
    decide(&server, &page, "canceled").await;
    decide(&server, &page, "succeeded").await;
    assert_eq!(server.demo_debt(&token).await, "900.00");

    let history = server
        .get(&format!("/accounts/{ACCOUNT}/payments"), Some(&token))
        .await;
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|payment| payment["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["canceled", "succeeded", "succeeded"],
        "{history}"
    );
    assert_eq!(history[2]["id"], payment["id"]);
    server
        .api(
            "GET",
            "/payments/00000000-0000-4000-8000-000000000000",
            None,
            &Value::Null,
        )
        .await
        .assert_problem(404, "not_found");
}

vodokanal_e2e::journeys!(payments_from_the_cabinet_and_anonymously_lower_the_debt_once);
