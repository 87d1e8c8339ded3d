//! Linking, relabelling and unlinking accounts; a restart that finds the data.

use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD, DEBT, EMAIL, HOT, LAST4, OTHER_ACCOUNT, PASSWORD, PHONE};
use vodokanal_e2e::{Backend, Server};

async fn link_an_account_refuse_wrong_digits_relabel_and_unlink(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let token = Some(token.as_str());

    // No such account and wrong digits: one answer.
    for (account, last4) in [(ACCOUNT, "9999"), ("999999", LAST4)] {
        server
            .api(
                "POST",
                "/accounts",
                token,
                &json!({"account_number": account, "meter_last4": last4}),
            )
            .await
            .assert_problem(422, "account_link_failed");
    }
    let path = format!("/accounts/{ACCOUNT}");
    server
        .api("GET", &path, token, &Value::Null)
        .await
        .assert_problem(404, "not_found");

    let body = json!({"account_number": ACCOUNT, "meter_last4": LAST4, "label": "Дом"});
    let account = server
        .api("POST", "/accounts", token, &body)
        .await
        .expect(201)
        .json();
    assert_eq!(account["account_number"], ACCOUNT);
    assert_eq!(account["label"], "Дом");
    assert_eq!(account["debt"], DEBT);
    assert_eq!(account["balance_as_of"], "2026-10-31");
    let meters = account["meters"].as_array().unwrap();
    assert_eq!(meters.len(), 2, "{account}");
    let cold = meters.iter().find(|m| m["meter_number"] == COLD).unwrap();
    assert_eq!(cold["service"], "cold_water");
    assert_eq!(cold["last_reading"]["value"], "123.456");
    assert!(meters.iter().any(|m| m["meter_number"] == HOT), "{account}");

    server
        .api("POST", "/accounts", token, &body)
        .await
        .assert_problem(409, "account_already_linked");

    let response = server
        .api("PATCH", &path, token, &json!({"label": "Дача"}))
        .await
        .expect(200);
    assert_eq!(response.json()["label"], "Дача");
    let accounts = server.get("/accounts", token).await;
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(accounts[0]["label"], "Дача");
    let response = server
        .api("PATCH", &path, token, &json!({"label": ""}))
        .await
        .expect(200);
    assert_eq!(response.json()["label"], Value::Null);
    server
        .api("PATCH", &path, token, &json!({"label": "д".repeat(51)}))
        .await
        .assert_problem(422, "validation_failed");

    // Another account is not the caller's: 404 on every path.
    let other = format!("/accounts/{OTHER_ACCOUNT}");
    for (method, path, body) in [
        ("GET", other.clone(), Value::Null),
        ("PATCH", other.clone(), json!({"label": "x"})),
        ("DELETE", other.clone(), Value::Null),
        ("GET", format!("{other}/readings"), Value::Null),
        ("GET", format!("{other}/payments"), Value::Null),
    ] {
        let response = server.api(method, &path, token, &body).await;
        assert_eq!(response.status, 404, "{method} {path}: {}", response.body);
        response.assert_problem(404, "not_found");
    }

    // Unlinking keeps the account: it can be linked again.
    server
        .api("DELETE", &path, token, &Value::Null)
        .await
        .expect(204);
    server
        .api("GET", &path, token, &Value::Null)
        .await
        .assert_problem(404, "not_found");
    let accounts = server.get("/accounts", token).await;
    assert_eq!(accounts, json!([]));
    let account = server
        .api("POST", "/accounts", token, &body)
        .await
        .expect(201)
        .json();
    assert_eq!(account["debt"], DEBT);
}

async fn a_restart_on_the_same_database_keeps_the_data(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;
    let reading = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/readings"),
            Some(&token),
            &json!({"readings": [{"meter_number": COLD, "value": "125.000"}]}),
        )
        .await
        .expect(201)
        .json()[0]
        .clone();
    let deployment = server.deployment().clone();
    drop(server);

    let server = deployment.start().await;
    // The session survives, and so do the user, the link and the reading.
    server
        .api("GET", "/profile", Some(&token), &Value::Null)
        .await
        .expect(200);
    let token = server.token(EMAIL, PASSWORD).await;
    let accounts = server.get("/accounts", Some(&token)).await;
    assert_eq!(accounts[0]["account_number"], ACCOUNT, "{accounts}");
    let readings = server
        .get(&format!("/accounts/{ACCOUNT}/readings"), Some(&token))
        .await;
    assert_eq!(readings[0], reading, "{readings}");
}

vodokanal_e2e::journeys!(
    link_an_account_refuse_wrong_digits_relabel_and_unlink,
    a_restart_on_the_same_database_keeps_the_data,
);
