//! Visit requests: both kinds booked and listed, the slots the rules refuse.

use chrono::{Days, NaiveDate, Weekday};
use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD, OTHER_ACCOUNT, OTHER_METER, PHONE_E164};
use vodokanal_e2e::{Backend, Response, Server};

use crate::{first_day, moscow_today};

fn booking(kind: &str, date: NaiveDate, time: &str) -> Value {
    json!({
        "kind": kind,
        "account_number": ACCOUNT,
        "phone": "8 910 984 50 03",
        "visit_date": date.format("%Y-%m-%d").to_string(),
        "visit_time": time,
    })
}

async fn book(server: &Server, token: &str, body: &Value) -> Response {
    server
        .api("POST", "/visit-requests", Some(token), body)
        .await
}

async fn visits_of_both_kinds_are_booked_listed_and_bad_slots_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;
    // Two days ahead, so that "today" may turn over during the test; Monday to Friday,
    // when the contact center works 08:30 to 18:30.
    let weekday = first_day(2, None);

    let mut acceptance = booking("meter_acceptance", weekday, "08:30");
    acceptance["notes"] = json!("Новый счётчик в ванной");
    let accepted = book(&server, &token, &acceptance).await.expect(201).json();
    assert_eq!(accepted["kind"], "meter_acceptance");
    assert_eq!(accepted["account_number"], ACCOUNT);
    assert_eq!(accepted["meter_number"], Value::Null);
    assert_eq!(accepted["phone"], PHONE_E164);
    assert_eq!(accepted["visit_date"], acceptance["visit_date"]);
    assert_eq!(accepted["visit_time"], "08:30");
    assert_eq!(accepted["notes"], "Новый счётчик в ванной");
    assert_eq!(accepted["status"], "new");
    assert!(accepted["created_at"].is_string(), "{accepted}");

    let mut verification = booking("meter_verification", weekday, "18:00");
    verification["meter_number"] = json!(COLD);
    let verified = book(&server, &token, &verification)
        .await
        .expect(201)
        .json();
    assert_eq!(verified["kind"], "meter_verification");
    assert_eq!(verified["meter_number"], COLD);
    assert_eq!(verified["notes"], Value::Null);

    let listed = server.get("/visit-requests", Some(&token)).await;
    let mut ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["id"])
        .collect();
    ids.sort_by_key(ToString::to_string);
    let mut expected = vec![&accepted["id"], &verified["id"]];
    expected.sort_by_key(ToString::to_string);
    assert_eq!(ids, expected, "{listed}");
    let listed_acceptance = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == accepted["id"])
        .unwrap();
    assert_eq!(listed_acceptance, &accepted);

    // The slots the rules refuse, each with the contract's one code.
    let today = moscow_today();
    let sunday = first_day(2, Some(Weekday::Sun));
    let saturday = first_day(2, Some(Weekday::Sat));
    for (date, time, why) in [
        (today - Days::new(1), "10:00", "past"),
        (today, "10:00", "today"),
        (today + Days::new(90), "10:00", "too far ahead"),
        (sunday, "10:00", "day off"),
        (weekday, "08:00", "before opening"),
        (weekday, "18:30", "ends after closing"),
        (saturday, "17:30", "ends after Saturday's closing"),
        (weekday, "10:15", "off the half-hour grid"),
    ] {
        let response = book(&server, &token, &booking("meter_acceptance", date, time)).await;
        assert_eq!(
            (response.status, response.code().as_str()),
            (422, "visit_slot_unavailable"),
            "{why}: {}",
            response.body
        );
    }

    // What the rules of the request itself refuse.
    let mut unknown_kind = booking("repair", weekday, "10:00");
    unknown_kind["visit_date"] = json!("2026-02-30");
    let response = book(&server, &token, &unknown_kind).await;
    response.assert_problem(422, "validation_failed");
    assert_eq!(response.fields(), ["kind", "visit_date"]);
    let mut not_linked = booking("meter_verification", weekday, "10:00");
    not_linked["account_number"] = json!(OTHER_ACCOUNT);
    book(&server, &token, &not_linked)
        .await
        .assert_problem(404, "not_found");
    let mut other_meter = booking("meter_verification", weekday, "10:00");
    other_meter["meter_number"] = json!(OTHER_METER);
    book(&server, &token, &other_meter)
        .await
        .assert_problem(404, "meter_not_found");

    // Each subscriber sees only their own.
    let other = server
        .register(
            "+7 915 123 45 67",
            "maria.ivanova@example.ru",
            "Sheremetevskiy-85",
        )
        .await;
    let theirs = server.get("/visit-requests", Some(&other)).await;
    assert_eq!(theirs, json!([]));
    server
        .api("GET", "/visit-requests", None, &Value::Null)
        .await
        .assert_problem(401, "unauthorized");
}

vodokanal_e2e::journeys!(visits_of_both_kinds_are_booked_listed_and_bad_slots_refused);
