//! Accounts in the cabinet.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ACCOUNT, App, METER, PHONE, settings};

#[tokio::test]
async fn linking_answers_the_contract_codes() {
    let app = App::new().await;
    let token = app.register().await;
    let wrong_digits = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": ACCOUNT, "meter_last4": "9999"}),
        )
        .await;
    let no_account = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": "999999", "meter_last4": "1234"}),
        )
        .await;
    wrong_digits.problem(422, "account_link_failed");
    no_account.problem(422, "account_link_failed");
    assert_eq!(wrong_digits.bytes, no_account.bytes);

    let linked = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": ACCOUNT, "meter_last4": "1234", "label": "Дача"}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED);
    let account = linked.json();
    assert_eq!(account["account_number"], ACCOUNT);
    assert_eq!(account["label"], "Дача");
    assert!(account["address"].is_string());
    assert_eq!(account["debt"], "1234.50");
    assert_eq!(account["balance_as_of"], "2026-10-31");
    assert_eq!(account["other_holders"], 0);
    let meter = &account["meters"][0];
    assert_eq!(meter["meter_number"], METER);
    assert_eq!(meter["service"], "cold_water");
    assert_eq!(meter["verification_due"], "2030-01-15");
    assert_eq!(meter["last_reading"]["value"], "100.000");
    assert!(meter["last_reading"]["date"].is_string());

    let again = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": ACCOUNT, "meter_last4": "1234"}),
        )
        .await;
    again.problem(409, "account_already_linked");

    let bad = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": "12ab", "meter_last4": 1234, "label": "x".repeat(51)}),
        )
        .await;
    assert_eq!(bad.bad_fields(), ["account_number", "meter_last4", "label"]);
}

#[tokio::test]
async fn too_many_failed_links_are_429() {
    let app = App::new().await;
    let token = app.register().await;
    for _ in 0..5 {
        app.post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": ACCOUNT, "meter_last4": "0000"}),
        )
        .await
        .problem(422, "account_link_failed");
    }
    let limited = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": ACCOUNT, "meter_last4": "1234"}),
        )
        .await;
    limited.problem(429, "too_many_requests");
    assert!(limited.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn list_view_relabel_and_unlink() {
    let app = App::new().await;
    let token = app.with_account().await;
    let list = app.get("/api/v1/accounts", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json().as_array().unwrap().len(), 1);
    assert!(list.json()[0]["label"].is_null());

    let path = format!("/api/v1/accounts/{ACCOUNT}");
    let one = app.get(&path, Some(&token)).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["account_number"], ACCOUNT);

    let relabel = |label: serde_json::Value| {
        let app = &app;
        let token = token.clone();
        let path = path.clone();
        async move {
            app.call(
                Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"label": label})),
            )
            .await
        }
    };
    let set = relabel(json!("  Квартира  ")).await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(set.json()["label"], "Квартира");
    let cleared = relabel(json!("")).await;
    assert!(cleared.json()["label"].is_null());
    relabel(json!("Дом")).await;
    let nulled = relabel(serde_json::Value::Null).await;
    assert_eq!(nulled.status, StatusCode::OK);
    assert!(nulled.json()["label"].is_null());
    let missing = app
        .call(
            Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"lable": "x"})),
        )
        .await;
    assert_eq!(missing.bad_fields(), ["label"]);

    let unlinked = app.call(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(unlinked.status, StatusCode::NO_CONTENT);
    app.get(&path, Some(&token)).await.problem(404, "not_found");
    app.call(Method::DELETE, &path, Some(&token), None)
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn an_account_not_linked_or_malformed_is_404_everywhere() {
    let app = App::new().await;
    let token = app.register().await;
    for number in [ACCOUNT, "12ab", "1"] {
        for (method, suffix, body) in [
            (Method::GET, "", None),
            (Method::PATCH, "", Some(json!({"label": "x"}))),
            (Method::DELETE, "", None),
            (Method::GET, "/readings", None),
            (
                Method::POST,
                "/readings",
                Some(json!({"readings": [{"meter_number": METER, "value": "101"}]})),
            ),
            (Method::GET, "/payments", None),
            (
                Method::POST,
                "/payments",
                Some(json!({"purpose": "water", "amount": "10"})),
            ),
        ] {
            let path = format!("/api/v1/accounts/{number}{suffix}");
            app.call(method, &path, Some(&token), body)
                .await
                .problem(404, "not_found");
        }
    }
}

#[tokio::test]
async fn a_second_profile_on_an_account_is_counted_and_the_first_is_told_by_sms() {
    let app = App::new().await;
    let first = app.with_account().await;
    let second = app.register_as("+79001234567", "second@example.ru").await;
    let linked = app
        .post(
            "/api/v1/accounts",
            Some(&second),
            json!({"account_number": ACCOUNT, "meter_last4": "1234"}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED, "{:?}", linked.json());
    assert_eq!(linked.json()["other_holders"], 1);

    for token in [&first, &second] {
        let one = app
            .get(&format!("/api/v1/accounts/{ACCOUNT}"), Some(token))
            .await;
        assert_eq!(one.json()["other_holders"], 1, "{:?}", one.json());
        let list = app.get("/api/v1/accounts", Some(token)).await;
        assert_eq!(list.json()[0]["other_holders"], 1, "{:?}", list.json());
    }

    // The first holder is told, with the contact center's first phone; the newcomer is not.
    let phone = settings().contact_center.phones[0].clone();
    assert_eq!(
        app.sms_to(PHONE).await.last().unwrap(),
        &format!(
            "К лицевому счёту {ACCOUNT} привязан новый профиль. Если это не вы, позвоните {phone}."
        )
    );
    assert!(
        app.sms_to("+79001234567")
            .await
            .iter()
            .all(|text| !text.contains("привязан"))
    );
}

#[tokio::test]
async fn the_document_names_other_holders() {
    let app = App::new().await;
    let document = app.get("/api/v1/openapi.json", None).await.json();
    let account = &document["components"]["schemas"]["AccountDto"];
    assert_eq!(
        account["properties"]["other_holders"]["type"], "integer",
        "{account}"
    );
    assert!(
        account["required"]
            .as_array()
            .unwrap()
            .contains(&"other_holders".into())
    );
}
