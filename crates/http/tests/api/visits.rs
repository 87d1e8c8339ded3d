//! Visit requests.

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{ACCOUNT, App, METER, PHONE};

#[tokio::test]
async fn a_visit_is_booked_and_listed() {
    let app = App::new().await;
    let token = app.with_account().await;
    let booked = app
        .post(
            "/api/v1/visit-requests",
            Some(&token),
            json!({"kind": "meter_acceptance", "account_number": ACCOUNT, "meter_number": METER,
                   "phone": "8 910 984 50 03", "visit_date": "2026-11-17", "visit_time": "10:30",
                   "notes": "Домофон не работает"}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.json());
    let visit = booked.json();
    assert_eq!(visit["kind"], "meter_acceptance");
    assert_eq!(visit["account_number"], ACCOUNT);
    assert_eq!(visit["meter_number"], METER);
    assert_eq!(visit["phone"], PHONE);
    assert_eq!(visit["visit_date"], "2026-11-17");
    assert_eq!(visit["visit_time"], "10:30");
    assert_eq!(visit["notes"], "Домофон не работает");
    assert_eq!(visit["status"], "new");
    assert!(visit["id"].is_string() && visit["created_at"].is_string());

    let list = app.get("/api/v1/visit-requests", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json(), json!([visit]));
}

#[tokio::test]
async fn visit_refusals() {
    let app = App::new().await;
    let token = app.with_account().await;
    let book = |overrides: serde_json::Value| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut body = json!({"kind": "meter_verification", "account_number": ACCOUNT,
                "phone": PHONE, "visit_date": "2026-11-17", "visit_time": "10:00"});
            for (k, v) in overrides.as_object().unwrap() {
                body[k] = v.clone();
            }
            app.post("/api/v1/visit-requests", Some(&token), body).await
        }
    };
    book(json!({"visit_date": "2026-11-16"}))
        .await
        .problem(422, "visit_slot_unavailable");
    book(json!({"visit_date": "2026-11-22"}))
        .await
        .problem(422, "visit_slot_unavailable");
    book(json!({"account_number": "999999"}))
        .await
        .problem(404, "not_found");
    book(json!({"meter_number": "ВСХ-9"}))
        .await
        .problem(404, "meter_not_found");
    assert_eq!(
        book(
            json!({"kind": "repair", "visit_date": "17.11.2026", "visit_time": "10", "phone": null})
        )
        .await
        .bad_fields(),
        ["kind", "phone", "visit_date", "visit_time"]
    );
}
