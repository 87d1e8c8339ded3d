//! The profile: changing the password, deleting the profile.

use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD, EMAIL, LAST4, PASSWORD, PHONE};
use vodokanal_e2e::{Backend, Server};

const NEW_PASSWORD: &str = "Novyi-parol-2026!";

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let server = Server::start(backend).await;
    let this = server.register(PHONE, EMAIL, PASSWORD).await;
    let other = server.token(EMAIL, PASSWORD).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    server
        .api(
            "POST",
            "/profile/password",
            Some(&this),
            &change("not-the-password", NEW_PASSWORD),
        )
        .await
        .assert_problem(401, "invalid_credentials");
    let weak = server
        .api(
            "POST",
            "/profile/password",
            Some(&this),
            &change(PASSWORD, "qwerty123"),
        )
        .await;
    weak.assert_problem(422, "validation_failed");
    assert_eq!(weak.fields(), ["new_password"]);
    server
        .api("GET", "/profile", Some(&other), &Value::Null)
        .await
        .expect(200);

    let response = server
        .api(
            "POST",
            "/profile/password",
            Some(&this),
            &change(PASSWORD, NEW_PASSWORD),
        )
        .await
        .expect(204);
    assert!(response.body.is_empty(), "{}", response.body);

    server
        .api("GET", "/profile", Some(&this), &Value::Null)
        .await
        .expect(200);
    server
        .api("GET", "/profile", Some(&other), &Value::Null)
        .await
        .assert_problem(401, "unauthorized");
    server
        .login(EMAIL, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    server.login(PHONE, NEW_PASSWORD).await.expect(200);
}

/// Submits a reading and starts a payment on the demo account: their ids.
async fn leave_a_reading_and_a_payment(server: &Server, token: Option<&str>) -> (Value, Value) {
    let reading = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/readings"),
            token,
            &json!({"readings": [{"meter_number": COLD, "value": "130.000"}]}),
        )
        .await
        .expect(201)
        .json()[0]["id"]
        .clone();
    let payment = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            token,
            &json!({"purpose": "water", "amount": "10.00"}),
        )
        .await
        .expect(201)
        .json()["id"]
        .clone();
    (reading, payment)
}

async fn deleting_the_profile_keeps_readings_and_payments_without_the_user(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;
    let token = Some(token.as_str());
    let (reading, payment) = leave_a_reading_and_a_payment(&server, token).await;

    server
        .api(
            "DELETE",
            "/profile",
            token,
            &json!({"password": "not-the-password"}),
        )
        .await
        .assert_problem(401, "invalid_credentials");
    let missing = server.api("DELETE", "/profile", token, &json!({})).await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.fields(), ["password"]);
    server
        .api("DELETE", "/profile", token, &json!({"password": PASSWORD}))
        .await
        .expect(204);

    // The user and the sessions are gone.
    server
        .api("GET", "/profile", token, &Value::Null)
        .await
        .assert_problem(401, "unauthorized");
    for login in [PHONE, EMAIL] {
        server
            .login(login, PASSWORD)
            .await
            .assert_problem(401, "invalid_credentials");
    }

    // The phone and the e-mail are free again: a code (not "already registered") comes, and
    // the e-mail is not taken. The new user has no links.
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let token = Some(token.as_str());
    let accounts = server.get("/accounts", token).await;
    assert_eq!(accounts, json!([]));

    // The reading and the payment stay, with the account.
    server
        .api(
            "POST",
            "/accounts",
            token,
            &json!({"account_number": ACCOUNT, "meter_last4": LAST4}),
        )
        .await
        .expect(201);
    let readings = server
        .get(&format!("/accounts/{ACCOUNT}/readings"), token)
        .await;
    assert!(
        readings
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == reading),
        "{readings}"
    );
    let payments = server
        .get(&format!("/accounts/{ACCOUNT}/payments"), token)
        .await;
    assert_eq!(payments[0]["id"], payment, "{payments}");
    server
        .api(
            "GET",
            &format!("/payments/{}", payment.as_str().unwrap()),
            None,
            &Value::Null,
        )
        .await
        .expect(200);
}

vodokanal_e2e::journeys!(
    changing_the_password_ends_the_other_sessions,
    deleting_the_profile_keeps_readings_and_payments_without_the_user,
);
