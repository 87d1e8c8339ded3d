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
    // v1.1: a meter number reveals neither the account nor its history.
    assert!(reading["account_number"].is_null(), "{reading}");
    assert!(reading["previous_value"].is_null(), "{reading}");
    assert!(reading["consumption"].is_null(), "{reading}");
    assert!(reading["voided_at"].is_null(), "{reading}");
    assert!(
        !answer
            .bytes
            .windows(ACCOUNT.len())
            .any(|w| w == ACCOUNT.as_bytes())
    );
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
    // v1.1: the previous value is the subscriber's, not the stranger's.
    assert_eq!(
        body["detail"],
        "Показание меньше предыдущего. Проверьте его."
    );
    assert!(!String::from_utf8_lossy(&below.bytes).contains("100"));
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

/// An anonymous reading of `meter` with `value`, from the harness's one client address.
async fn anonymous(app: &App, meter: &str, value: &str) -> crate::harness::Answer {
    app.post(
        "/api/v1/public/readings",
        None,
        json!({"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": meter, "value": value}),
    )
    .await
}

async fn cabinet(app: &App, token: &str, value: &str) -> crate::harness::Answer {
    app.post(
        &format!("/api/v1/accounts/{ACCOUNT}/readings"),
        Some(token),
        json!({"readings": [{"meter_number": METER, "value": value}]}),
    )
    .await
}

/// The values of the account's November readings of [`METER`], with their sources.
async fn november(app: &App, token: &str) -> Vec<(String, String)> {
    app.get(&format!("/api/v1/accounts/{ACCOUNT}/readings"), Some(token))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["period"] == "2026-11" && r["meter_number"] == METER)
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_owned(),
                r["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_stranger_never_replaces_the_subscribers_reading() {
    let app = App::new().await;
    let token = app.with_account().await;
    assert_eq!(
        cabinet(&app, &token, "110").await.status,
        StatusCode::CREATED
    );
    let refused = anonymous(&app, METER, "111").await;
    let body = refused.problem(409, "reading_already_submitted");
    assert_eq!(
        body["detail"],
        "Показание этого счётчика за текущий месяц уже передано в личном кабинете. Если оно \
         неверно, обратитесь в контактный центр."
    );
    assert_eq!(
        november(&app, &token).await,
        [("110.000".to_owned(), "cabinet".to_owned())]
    );
}

#[tokio::test]
async fn the_subscriber_replaces_a_strangers_reading() {
    let app = App::new().await;
    assert_eq!(
        anonymous(&app, METER, "105").await.status,
        StatusCode::CREATED
    );
    let token = app.with_account().await;
    assert_eq!(
        november(&app, &token).await,
        [("105.000".to_owned(), "anonymous".to_owned())]
    );
    assert_eq!(
        cabinet(&app, &token, "104").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        november(&app, &token).await,
        [("104.000".to_owned(), "cabinet".to_owned())]
    );
}

#[tokio::test]
async fn an_implausible_anonymous_value_is_refused_and_the_cabinets_only_warned() {
    let app = App::new().await;
    // The previous reading is 100: the default cap is 3 × 30 m³.
    assert_eq!(
        anonymous(&app, METER, "190").await.status,
        StatusCode::CREATED
    );
    let poison = anonymous(&app, METER, "999999.999").await;
    let body = poison.problem(422, "reading_implausible");
    assert!(!body["detail"].as_str().unwrap().contains("999"), "{body}");
    let token = app.with_account().await;
    assert_eq!(
        november(&app, &token).await,
        [("190.000".to_owned(), "anonymous".to_owned())]
    );
    let high = cabinet(&app, &token, "999999.999").await;
    assert_eq!(high.status, StatusCode::CREATED, "{:?}", high.json());
    assert_eq!(
        high.json()[0]["warnings"],
        json!(["consumption_unusually_high"])
    );
}

#[tokio::test]
async fn the_anonymous_cap_is_a_setting() {
    let mut settings = crate::harness::settings();
    settings.reading_policy.anonymous_cap = Some("5".parse().unwrap());
    let app = App::with(settings, vodokanal_http::HttpConfig::default(), |_| {}).await;
    anonymous(&app, METER, "105.001")
        .await
        .problem(422, "reading_implausible");
    assert_eq!(
        anonymous(&app, METER, "105").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_fourth_anonymous_reading_of_a_meter_in_a_day_is_429() {
    let app = App::new().await;
    for value in ["101", "102", "99"] {
        // A refused reading counts as much as a stored one.
        let answer = anonymous(&app, METER, value).await;
        assert!(
            [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY].contains(&answer.status),
            "{:?}",
            answer.json()
        );
    }
    let fourth = anonymous(&app, METER, "103").await;
    fourth.problem(429, "too_many_requests");
    let wait: i64 = fourth.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(wait, 24 * 3600);
}

#[tokio::test]
async fn unknown_meters_count_against_the_client_network() {
    let app = App::new().await;
    for i in 0..20 {
        anonymous(&app, &format!("ВСХ-{i:07}"), "1")
            .await
            .problem(404, "meter_not_found");
    }
    let answer = anonymous(&app, "ВСХ-9999999", "1").await;
    answer.problem(429, "too_many_requests");
    assert!(answer.headers.contains_key("retry-after"));
    anonymous(&app, METER, "101")
        .await
        .problem(429, "too_many_requests");
}
