//! An account's readings in the cabinet.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ACCOUNT, App, METER};

fn path() -> String {
    format!("/api/v1/accounts/{ACCOUNT}/readings")
}

#[tokio::test]
async fn a_batch_is_stored_and_listed() {
    let app = App::new().await;
    let token = app.with_account().await;
    let stored = app
        .call_raw(
            Method::POST,
            &path(),
            Some(&token),
            Some(&format!(
                r#"{{"readings": [{{"meter_number": "{METER}", "value": 150.25}}]}}"#
            )),
            &[],
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{:?}", stored.json());
    let reading = &stored.json()[0];
    assert_eq!(reading["value"], "150.250");
    assert_eq!(reading["consumption"], "50.250");
    assert_eq!(reading["source"], "cabinet");
    assert_eq!(reading["warnings"], json!(["consumption_unusually_high"]));

    let history = app.get(&path(), Some(&token)).await;
    assert_eq!(history.status, StatusCode::OK);
    let list = history.json();
    assert_eq!(list[0]["value"], "150.250");
    assert_eq!(list[0]["id"], reading["id"]);
    let page = app
        .get(
            &format!("{}?limit=1&before=2030-01-01T00:00:00%2B03:00", path()),
            Some(&token),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn batch_refusals() {
    let app = App::new().await;
    let token = app.with_account().await;
    let post = |body: serde_json::Value| {
        let app = &app;
        let token = token.clone();
        async move { app.post(&path(), Some(&token), body).await }
    };
    let below = post(json!({"readings": [{"meter_number": METER, "value": "99"}]})).await;
    let body = below.problem(422, "reading_below_previous");
    assert_eq!(
        body["detail"],
        format!("Показание счётчика {METER} меньше предыдущего (100.000 м³).")
    );
    post(json!({"readings": [{"meter_number": "ВСХ-9", "value": "101"}]}))
        .await
        .problem(404, "meter_not_found");
    assert_eq!(
        post(json!({"readings": []})).await.bad_fields(),
        ["readings"]
    );
    assert_eq!(
        post(json!({"readings": [
            {"meter_number": METER, "value": "101"},
            {"meter_number": METER, "value": "102"}
        ]}))
        .await
        .bad_fields(),
        ["readings"]
    );
    let mut fields = post(
        json!({"readings": [{"meter_number": METER}, 5, {"value": "-1", "meter_number": "!"}]}),
    )
    .await
    .bad_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "readings[0].value",
            "readings[1]",
            "readings[2].meter_number",
            "readings[2].value"
        ]
    );
    assert_eq!(
        post(json!({"readings": "many"})).await.bad_fields(),
        ["readings"]
    );
}

#[tokio::test]
async fn bad_history_parameters_are_422() {
    let app = App::new().await;
    let token = app.with_account().await;
    let bad = app
        .get(
            &format!("{}?limit=0&before=yesterday", path()),
            Some(&token),
        )
        .await;
    assert_eq!(bad.bad_fields(), ["limit", "before"]);
}

#[tokio::test]
async fn a_voided_reading_shows_when_it_was_voided() {
    let mut store = None;
    let app = App::with(
        crate::harness::settings(),
        vodokanal_http::HttpConfig::default(),
        |parts| store = Some(parts.stores.readings.clone()),
    )
    .await;
    let token = app.with_account().await;
    let stored = app
        .post(
            &path(),
            Some(&token),
            json!({"readings": [{"meter_number": METER, "value": "150"}]}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED);
    assert!(stored.json()[0]["voided_at"].is_null());
    let voided_at = crate::harness::now() + chrono::TimeDelta::hours(1);
    store
        .unwrap()
        .void(
            &METER.parse().unwrap(),
            "2026-11".parse().unwrap(),
            &vodokanal_domain::Voided {
                at: voided_at,
                reason: "ошибка".parse().unwrap(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    let history = app.get(&path(), Some(&token)).await.json();
    assert_eq!(history[0]["value"], "150.000");
    assert_eq!(history[0]["source"], "cabinet");
    assert_eq!(history[0]["voided_at"], "2026-11-16T10:00:00Z");
    assert!(history[1]["voided_at"].is_null());
    // The period takes a new reading; the voided one stays beside it.
    let next = app
        .post(
            &path(),
            Some(&token),
            json!({"readings": [{"meter_number": METER, "value": "120"}]}),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{:?}", next.json());
    let history = app.get(&path(), Some(&token)).await.json();
    let mut november: Vec<(&str, bool)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["period"] == "2026-11")
        .map(|r| (r["value"].as_str().unwrap(), r["voided_at"].is_null()))
        .collect();
    november.sort_unstable();
    assert_eq!(november, [("120.000", true), ("150.000", false)]);
}
