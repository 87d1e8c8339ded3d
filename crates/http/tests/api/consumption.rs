//! An account's consumption at a glance (issue 18).

use axum::http::StatusCode;
use serde_json::{Value, json};
use vodokanal_domain::{AccountNumber, MeterNumber, Voided};
use vodokanal_test_support::builders;

use crate::harness::{ACCOUNT, App, METER, SECOND_ACCOUNT, now};

fn path(account: &str) -> String {
    format!("/api/v1/accounts/{account}/consumption")
}

/// The points of the first meter of an answer, by period.
fn point<'a>(body: &'a Value, period: &str) -> &'a Value {
    body["meters"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == period)
        .unwrap()
}

#[tokio::test]
async fn the_series_has_gaps_a_base_before_them_and_no_voided_reading() {
    let app = App::new().await;
    let token = app.with_account().await;
    let (account, meter) = (
        ACCOUNT.parse::<AccountNumber>().unwrap(),
        METER.parse::<MeterNumber>().unwrap(),
    );
    // June and August from the cabinet, October the registry's (100), November's posted now.
    app.stores
        .readings
        .save_all(
            &[
                builders::reading(&account, &meter, "2026-06", "80"),
                builders::reading(&account, &meter, "2026-08", "95"),
            ],
            None,
        )
        .await
        .unwrap();
    // August's is voided: a gap, and not the base of October.
    let voided = Voided {
        at: now(),
        reason: "ошибка".parse().unwrap(),
    };
    app.stores
        .readings
        .void(&meter, builders::period("2026-08"), &voided)
        .await
        .unwrap();
    let posted = app
        .post(
            &format!("/api/v1/accounts/{ACCOUNT}/readings"),
            Some(&token),
            json!({"readings": [{"meter_number": METER, "value": "104.5"}]}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:?}", posted.json());

    let answer = app.get(&path(ACCOUNT), Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["current_period"], "2026-11");
    let periods: Vec<&str> = body["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(periods.len(), 12);
    assert_eq!(periods[0], "2025-12");
    assert_eq!(periods[11], "2026-11");
    let series = &body["meters"][0];
    assert_eq!(series["meter_number"], METER);
    assert_eq!(series["service"], "cold_water");
    assert_eq!(series["points"].as_array().unwrap().len(), 12);
    let gap =
        json!({"period": "2026-07", "value": null, "consumption": null, "spans_periods": null});
    assert_eq!(point(&body, "2026-07"), &gap);
    assert_eq!(
        point(&body, "2026-06"),
        &json!({"period": "2026-06", "value": "80.000", "consumption": null, "spans_periods": null}),
        "a first reading has no consumption"
    );
    assert_eq!(point(&body, "2026-08")["value"], Value::Null, "voided");
    assert_eq!(
        point(&body, "2026-10"),
        &json!({"period": "2026-10", "value": "100.000", "consumption": "20.000", "spans_periods": 4}),
        "spans the gap back to June"
    );
    assert_eq!(
        point(&body, "2026-11"),
        &json!({"period": "2026-11", "value": "104.500", "consumption": "4.500", "spans_periods": 1})
    );
}

#[tokio::test]
async fn an_account_not_linked_is_not_found_and_a_stranger_unauthorized() {
    let app = App::new().await;
    let token = app.with_account().await;
    app.get(&path(SECOND_ACCOUNT), Some(&token))
        .await
        .problem(404, "not_found");
    app.get(&path("999999"), Some(&token))
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&path(ACCOUNT), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
