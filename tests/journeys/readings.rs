//! Meter readings: from the cabinet, anonymously, and outside the reading window.

use chrono::Datelike;
use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD, HOT, OTHER_METER};
use vodokanal_e2e::{Backend, Response, Server};

use crate::moscow_today;

/// The account's reading history, newest first.
async fn history(server: &Server, token: &str) -> Vec<Value> {
    server
        .get(&format!("/accounts/{ACCOUNT}/readings"), Some(token))
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// The readings of `meter` in `period` in the account's history.
async fn of_period(server: &Server, token: &str, meter: &str, period: &str) -> Vec<Value> {
    history(server, token)
        .await
        .into_iter()
        .filter(|reading| reading["meter_number"] == meter && reading["period"] == period)
        .collect()
}

async fn submit(server: &Server, token: &str, readings: &Value) -> Response {
    server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/readings"),
            Some(token),
            &json!({ "readings": readings }),
        )
        .await
}

async fn readings_are_checked_replaced_and_stored_all_or_none(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.linked_subscriber().await;

    submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": "100.000"}]),
    )
    .await
    .assert_problem(422, "reading_below_previous");
    submit(
        &server,
        &token,
        &json!([{"meter_number": OTHER_METER, "value": "600"}]),
    )
    .await
    .assert_problem(404, "meter_not_found");

    let first = submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": "130.456"}]),
    )
    .await
    .expect(201)
    .json()[0]
        .clone();
    assert_eq!(first["account_number"], ACCOUNT);
    assert_eq!(first["value"], "130.456");
    assert_eq!(first["previous_value"], "123.456");
    assert_eq!(first["consumption"], "7.000");
    assert_eq!(first["source"], "cabinet");
    assert_eq!(first["warnings"], json!([]));
    let period = first["period"].as_str().unwrap().to_owned();
    assert_eq!(period, moscow_today().format("%Y-%m").to_string());

    // A second reading in the period replaces the first.
    let second = submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": 131.5}]),
    )
    .await
    .expect(201);
    assert_eq!(second.json()[0]["value"], "131.500");
    let stored = of_period(&server, &token, COLD, &period).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["value"], "131.500");

    // The hot water meter's last reading is 45.120: the batch fails as a whole.
    submit(
        &server,
        &token,
        &json!([
            {"meter_number": COLD, "value": "140.000"},
            {"meter_number": HOT, "value": "1.000"},
        ]),
    )
    .await
    .assert_problem(422, "reading_below_previous");
    let stored = of_period(&server, &token, COLD, &period).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["value"], "131.500");
    assert!(of_period(&server, &token, HOT, &period).await.is_empty());

    // An unusually large consumption is accepted with a warning.
    let high = submit(
        &server,
        &token,
        &json!([{"meter_number": HOT, "value": "100.000"}]),
    )
    .await
    .expect(201)
    .json()[0]
        .clone();
    assert_eq!(high["consumption"], "54.880");
    assert_eq!(high["warnings"], json!(["consumption_unusually_high"]));

    // Four decimals, a negative value, one meter twice: the fields are named.
    for (readings, field) in [
        (
            json!([{"meter_number": COLD, "value": "140.0001"}]),
            "readings[0].value",
        ),
        (
            json!([{"meter_number": COLD, "value": -1}]),
            "readings[0].value",
        ),
        (json!([{"meter_number": COLD}]), "readings[0].value"),
        (
            json!([{"meter_number": COLD, "value": 141}, {"meter_number": COLD, "value": 142}]),
            "readings",
        ),
        (json!([]), "readings"),
    ] {
        let response = submit(&server, &token, &readings).await;
        response.assert_problem(422, "validation_failed");
        assert_eq!(response.fields(), [field], "{readings}");
    }
}

/// An anonymous reading of `meter`: the response.
async fn anonymous(server: &Server, meter: &str, value: &str) -> Response {
    server
        .api(
            "POST",
            "/public/readings",
            None,
            &json!({
                "full_name": "Петров Иван Сергеевич",
                "phone": "8 (910) 984-50-03",
                "meter_number": meter,
                "value": value,
            }),
        )
        .await
}

async fn an_anonymous_reading_is_checked_and_shows_in_the_cabinet(backend: Backend) {
    let server = Server::start(backend).await;

    anonymous(&server, "ВСХ-9999999", "10")
        .await
        .assert_problem(404, "meter_not_found");
    anonymous(&server, COLD, "100.000")
        .await
        .assert_problem(422, "reading_below_previous");
    let missing = server
        .api(
            "POST",
            "/public/readings",
            None,
            &json!({"meter_number": COLD, "value": "130"}),
        )
        .await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.fields(), ["full_name", "phone"]);

    let reading = anonymous(&server, COLD, "127.5").await.expect(201).json();
    assert_eq!(reading["meter_number"], COLD);
    assert_eq!(reading["value"], "127.500");
    assert_eq!(reading["source"], "anonymous");

    // The subscriber sees it whole: the account, the previous value, the consumption.
    let token = server.linked_subscriber().await;
    let history = history(&server, &token).await;
    assert_eq!(history[0]["id"], reading["id"], "{history:?}");
    assert_eq!(history[0]["account_number"], ACCOUNT);
    assert_eq!(history[0]["previous_value"], "123.456");
    assert_eq!(history[0]["consumption"], "4.044");
    assert_eq!(history[0]["source"], "anonymous");
    assert!(history[0]["voided_at"].is_null());
}

/// A stranger who knows the meter's number (it is printed on the meter) can neither learn the
/// account, nor overwrite the subscriber's reading, nor poison the base of the next readings;
/// and is stopped after 3 tries a day per meter, 20 an hour in all.
async fn a_stranger_can_neither_learn_nor_overwrite_nor_poison(backend: Backend) {
    let server = Server::start(backend).await;
    let period = moscow_today().format("%Y-%m").to_string();

    // 1. Nothing of the account or its history.
    let given = anonymous(&server, COLD, "127.5").await.expect(201);
    let reading = given.json();
    for field in ["account_number", "previous_value", "consumption"] {
        assert!(reading[field].is_null(), "{field}: {reading}");
    }
    assert!(!given.body.contains(ACCOUNT), "{reading}");
    let below = anonymous(&server, COLD, "100").await;
    below.assert_problem(422, "reading_below_previous");
    assert!(!below.body.contains("123"), "{}", below.body);

    // 2. The subscriber's own reading stands.
    let token = server.linked_subscriber().await;
    submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": "130"}]),
    )
    .await
    .expect(201);
    anonymous(&server, COLD, "131")
        .await
        .assert_problem(409, "reading_already_submitted");
    let stored = of_period(&server, &token, COLD, &period).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["value"], "130.000");
    assert_eq!(stored[0]["source"], "cabinet");

    // 3. No poison: the hot meter's base stays 45.120.
    anonymous(&server, HOT, "999999.999")
        .await
        .assert_problem(422, "reading_implausible");
    assert!(of_period(&server, &token, HOT, &period).await.is_empty());

    // 4. The 4th anonymous reading of the cold meter today is a 429.
    let fourth = anonymous(&server, COLD, "132").await;
    fourth.assert_problem(429, "too_many_requests");
    assert!(fourth.header("retry-after").is_some());
    // 5 tries so far from this address; 15 more, unknown meters too, and then no more.
    for i in 0..15 {
        anonymous(&server, &format!("ВСХ-{i:07}"), "1")
            .await
            .assert_problem(404, "meter_not_found");
    }
    anonymous(&server, "ВСХ-0000099", "1")
        .await
        .assert_problem(429, "too_many_requests");
}

/// The subscriber's own slip is accepted with a warning; the operator voids it from the command
/// line: it stays in the history with `voided_at`, leaves the export and the account's last
/// reading, and the period takes a new reading.
async fn the_operator_voids_a_wrong_reading(backend: Backend) {
    let server = Server::start(backend).await;
    let period = moscow_today().format("%Y-%m").to_string();
    let token = server.linked_subscriber().await;
    submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": "130"}]),
    )
    .await
    .expect(201);
    let slip = submit(
        &server,
        &token,
        &json!([{"meter_number": HOT, "value": "999999.999"}]),
    )
    .await
    .expect(201);
    assert_eq!(
        slip.json()[0]["warnings"],
        json!(["consumption_unusually_high"])
    );
    let deployment = server.deployment();
    let export = |deployment: vodokanal_e2e::Deployment, period: String| async move {
        deployment
            .run_args(&["export", "readings", "--period", &period], &[])
            .await
    };
    assert!(
        export(deployment.clone(), period.clone())
            .await
            .contains("999999.999")
    );
    let report = deployment
        .run_args(
            &[
                "readings",
                "void",
                "--meter",
                HOT,
                "--period",
                &period,
                "--reason",
                "ошибка абонента, звонок в контактный центр",
            ],
            &[],
        )
        .await;
    assert_eq!(
        report,
        format!("voided: meter {HOT} period {period} value 999999.999 source cabinet\n")
    );
    assert!(
        std::fs::read_to_string(deployment.log())
            .unwrap()
            .contains("reading voided by the operator")
    );
    let csv = export(deployment.clone(), period.clone()).await;
    assert!(!csv.contains("999999.999"), "{csv}");
    assert!(csv.contains("130.000"), "{csv}");
    let kept = of_period(&server, &token, HOT, &period).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["source"], "cabinet");
    assert!(kept[0]["voided_at"].is_string(), "{kept:?}");
    // The period takes a new reading.
    submit(
        &server,
        &token,
        &json!([{"meter_number": HOT, "value": "50"}]),
    )
    .await
    .expect(201);
    let hot = of_period(&server, &token, HOT, &period).await;
    assert_eq!(hot.len(), 2, "{hot:?}");
    assert_eq!(hot[0]["value"], "50.000");
    assert!(hot[0]["voided_at"].is_null());
    let account = server
        .get(&format!("/accounts/{ACCOUNT}"), Some(&token))
        .await;
    let meter = account["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meter_number"] == HOT)
        .unwrap()
        .clone();
    assert_eq!(meter["last_reading"]["value"], "50.000", "{meter}");
}

/// A window of days of the month that holds neither today nor tomorrow (in Moscow).
fn closed_window() -> (u32, u32) {
    if moscow_today().day() <= 14 {
        (20, 25)
    } else {
        (5, 10)
    }
}

async fn readings_outside_the_window_are_refused(backend: Backend) {
    let (from, to) = closed_window();
    let deployment = vodokanal_e2e::Deployment::new(backend).await;
    let server = deployment
        .start_with(&[("VODOKANAL_READING_WINDOW", &format!("{from}-{to}"))])
        .await;

    let info = server.get("/info", None).await;
    assert_eq!(
        info["reading_window"],
        json!({"from_day": from, "to_day": to})
    );
    anonymous(&server, COLD, "130")
        .await
        .assert_problem(422, "reading_window_closed");
    let token = server.linked_subscriber().await;
    submit(
        &server,
        &token,
        &json!([{"meter_number": COLD, "value": "130"}]),
    )
    .await
    .assert_problem(422, "reading_window_closed");
    assert!(
        history(&server, &token)
            .await
            .iter()
            .all(|r| r["source"] == "registry")
    );
}

vodokanal_e2e::journeys!(
    readings_are_checked_replaced_and_stored_all_or_none,
    an_anonymous_reading_is_checked_and_shows_in_the_cabinet,
    a_stranger_can_neither_learn_nor_overwrite_nor_poison,
    the_operator_voids_a_wrong_reading,
    readings_outside_the_window_are_refused,
);
