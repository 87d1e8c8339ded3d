//! Without registration: `/info`, anonymous readings and payments.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ACCOUNT, App, METER};

#[tokio::test]
async fn info_has_the_contract_shape() {
    let app = App::new().await;
    let answer = app.get("/api/v1/info", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/json; charset=utf-8");
    let body = answer.json();
    // The defaults are the app guide's "Контактный центр", word for word.
    assert_eq!(
        body["contact_center"],
        json!({
            "address": "Ленинский район, Иваново, 153038, Строителей проспект, 4а",
            "hours": [
                {"days": "Пн-Пт", "opens": "08:30", "closes": "18:30"},
                {"days": "Сб", "opens": "09:00", "closes": "17:30"}
            ],
            "phones": ["+7 (4932) 93-01-08", "+7 (4932) 56-13-30"]
        })
    );
    assert_eq!(body["timezone"], "Europe/Moscow");
    let purposes: Vec<_> = body["payment_purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        purposes,
        [
            ("water", "Вода"),
            ("temporary_water_supply", "Временный водопровод"),
            ("court", "Судебные"),
            ("heating", "Отопление")
        ]
    );
    assert!(body["readings_help"].is_string());
    assert!(body["payments_help"].is_string());
    assert!(body["reading_window"].is_null());
}

#[tokio::test]
async fn an_anonymous_reading_is_read_from_the_number_text() {
    let app = App::new().await;
    let answer = app
        .call_raw(
            Method::POST,
            "/api/v1/public/readings",
            None,
            Some(&format!(
                r#"{{"full_name": "Иванов Иван", "phone": "8 (910) 984-50-03", "meter_number": "{METER}", "value": 112.1}}"#
            )),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
    let reading = answer.json();
    assert_eq!(reading["value"], "112.100");
    assert_eq!(reading["previous_value"], "100.000");
    assert_eq!(reading["consumption"], "12.100");
    assert_eq!(reading["account_number"], ACCOUNT);
    assert_eq!(reading["meter_number"], METER);
    assert_eq!(reading["period"], "2026-11");
    assert_eq!(reading["source"], "anonymous");
    assert_eq!(reading["warnings"], json!([]));
    assert!(reading["id"].is_string());
    assert!(reading["submitted_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn anonymous_reading_errors() {
    let app = App::new().await;
    let unknown = app
        .post(
            "/api/v1/public/readings",
            None,
            json!({"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "NOPE-1", "value": "1"}),
        )
        .await;
    unknown.problem(404, "meter_not_found");
    let below = app
        .post(
            "/api/v1/public/readings",
            None,
            json!({"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": METER, "value": "99.5"}),
        )
        .await;
    let body = below.problem(422, "reading_below_previous");
    assert_eq!(body["detail"], "Показание меньше предыдущего (100.000 м³).");
    let bad = app
        .post(
            "/api/v1/public/readings",
            None,
            json!({"full_name": 5, "phone": "12", "value": "1.2345"}),
        )
        .await;
    let mut fields = bad.bad_fields();
    fields.sort();
    assert_eq!(fields, ["full_name", "meter_number", "phone", "value"]);
    let phone = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "phone")
        .cloned()
        .unwrap();
    assert_eq!(
        phone["message"],
        "Введите номер телефона в формате +7 XXX XXX-XX-XX"
    );
}

#[tokio::test]
async fn the_reading_window_is_enforced() {
    let mut settings = crate::harness::settings();
    settings.reading_policy.window = Some("20-25".parse().unwrap());
    let app = App::with(settings, vodokanal_http::HttpConfig::default(), |_| {}).await;
    let info = app.get("/api/v1/info", None).await.json();
    assert_eq!(
        info["reading_window"],
        json!({"from_day": 20, "to_day": 25})
    );
    let closed = app
        .post(
            "/api/v1/public/readings",
            None,
            json!({"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": METER, "value": "101"}),
        )
        .await;
    let body = closed.problem(422, "reading_window_closed");
    assert_eq!(
        body["detail"],
        "Показания принимаются с 20 по 25 число месяца."
    );
}
