//! «Скачать историю» (the CSV) and «Добавить в календарь» (the .ics files).

use axum::http::{StatusCode, header};
use serde_json::json;
use vodokanal_app::readings::VoidReadingCommand;
use vodokanal_http::HttpConfig;

use crate::harness::{ACCOUNT, App, METER, SECOND_ACCOUNT, SECOND_METER, settings};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text's content lines, unfolded; asserts CRLF line ends and lines of at most 75 octets.
fn ics_lines(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    for line in text.trim_end_matches("\r\n").split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    }
    text.replace("\r\n ", "")
        .trim_end_matches("\r\n")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

fn header_of(answer: &crate::harness::Answer, name: header::HeaderName) -> &str {
    answer.headers.get(name).unwrap().to_str().unwrap()
}

/// A subscriber with both accounts linked, a voided reading and its replacement on the first,
/// someone's anonymous reading and a pending payment on the second; their token.
async fn subscriber_with_history(app: &App) -> String {
    let token = app.with_account().await;
    let linked = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": SECOND_ACCOUNT, "meter_last4": "5678"}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED);
    // A reading, voided by the operator, then its replacement.
    let path = format!("/api/v1/accounts/{ACCOUNT}/readings");
    let body = json!({"readings": [{"meter_number": METER, "value": "110.5"}]});
    assert_eq!(
        app.post(&path, Some(&token), body).await.status,
        StatusCode::CREATED
    );
    app.use_cases
        .void_reading
        .execute(VoidReadingCommand {
            meter_number: METER.parse().unwrap(),
            period: "2026-11".parse().unwrap(),
            reason: "ошибка ввода".parse().unwrap(),
        })
        .await
        .unwrap();
    let body = json!({"readings": [{"meter_number": METER, "value": "105.25"}]});
    assert_eq!(
        app.post(&path, Some(&token), body).await.status,
        StatusCode::CREATED
    );
    // Someone else's anonymous reading of the second account's meter.
    let anonymous = app
        .post(
            "/api/v1/public/readings",
            None,
            json!({"full_name": "Петров Пётр Петрович", "phone": "+79161234567",
                   "meter_number": SECOND_METER, "value": "7"}),
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::CREATED,
        "{:?}",
        anonymous.json()
    );
    let paid = app
        .post(
            &format!("/api/v1/accounts/{SECOND_ACCOUNT}/payments"),
            Some(&token),
            json!({"purpose": "heating", "amount": "1234.5"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.json());
    token
}

#[tokio::test]
async fn the_history_is_a_csv_of_both_accounts_readings_and_payments() {
    let app = App::new().await;
    let token = subscriber_with_history(&app).await;
    let answer = app.get("/api/v1/profile/history.csv", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        header_of(&answer, header::CONTENT_DISPOSITION),
        "attachment; filename=\"vodokanal-history-2026-11-16.csv\""
    );
    assert_eq!(header_of(&answer, header::CACHE_CONTROL), "no-store");
    assert!(answer.bytes.starts_with(BOM));
    let text = std::str::from_utf8(&answer.bytes[BOM.len()..]).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|line| line.split(';').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "Дата",
            "Лицевой счет",
            "Запись",
            "Счетчик",
            "Период",
            "Показание, м³",
            "Расход, м³",
            "Источник",
            "Назначение платежа",
            "Сумма, руб.",
            "Статус"
        ]
    );
    assert!(rows.iter().all(|row| row.len() == 11), "{rows:?}");
    let body = &rows[1..];
    // The registry's reading of 25 October comes first: oldest first.
    assert_eq!(body[0][1], ACCOUNT);
    assert_eq!(body[0][7], "данные водоканала");
    // The registry gives a date, no time.
    assert_eq!(body[0][0].len(), "25.10.2026".len(), "{:?}", body[0]);
    assert_eq!(body[0][5], "100,000");
    let of = |account: &str, kind: &str| -> Vec<Vec<&str>> {
        body.iter()
            .filter(|row| row[1] == account && row[2] == kind)
            .cloned()
            .collect()
    };
    let first = of(ACCOUNT, "Показание");
    assert_eq!(first.len(), 3, "{first:?}");
    let voided: Vec<_> = first.iter().filter(|r| r[10] == "Аннулировано").collect();
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0][5], "110,500");
    assert_eq!(voided[0][0], "16.11.2026 12:00");
    assert_eq!(voided[0][4], "ноябрь 2026");
    assert!(
        first
            .iter()
            .any(|r| r[5] == "105,250" && r[10] == "Принято")
    );
    let second = of(SECOND_ACCOUNT, "Показание");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0][7], "без регистрации");
    let payments = of(SECOND_ACCOUNT, "Платеж");
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0][8..], ["Отопление", "1234,50", "Ожидает оплаты"]);
    assert!(!text.contains("Петров") && !text.contains("9161234567"));
}

#[tokio::test]
async fn the_history_needs_a_session_and_may_be_empty() {
    let app = App::new().await;
    app.get("/api/v1/profile/history.csv", None)
        .await
        .problem(401, "unauthorized");
    let token = app.register().await;
    let answer = app.get("/api/v1/profile/history.csv", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        std::str::from_utf8(&answer.bytes).unwrap().lines().count(),
        1
    );
}

#[tokio::test]
async fn a_booked_visit_is_a_calendar_file_for_its_owner_only() {
    let app = App::new().await;
    let token = app.with_account().await;
    let booked = app
        .post(
            "/api/v1/visit-requests",
            Some(&token),
            json!({"kind": "meter_verification", "account_number": ACCOUNT, "meter_number": METER,
                   "phone": "8 910 984 50 03", "visit_date": "2026-11-17", "visit_time": "10:30"}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED);
    let id = booked.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/visit-requests/{id}/calendar.ics");

    let answer = app.get(&path, Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "text/calendar; charset=utf-8");
    assert_eq!(
        header_of(&answer, header::CONTENT_DISPOSITION),
        "attachment; filename=\"vodokanal-visit-2026-11-17.ics\""
    );
    let lines = ics_lines(&answer.bytes);
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Moscow",
        "TZOFFSETTO:+0300",
        "BEGIN:VEVENT",
        &format!("UID:{id}@127.0.0.1"),
        "DTSTAMP:20261116T090000Z",
        "DTSTART;TZID=Europe/Moscow:20261117T103000",
        "DTEND;TZID=Europe/Moscow:20261117T110000",
        "SUMMARY:Сверка ИПУ",
        "LOCATION:г. Иваново\\, ул. Лежневская\\, д. 1\\, кв. 2",
        &format!(
            "DESCRIPTION:Лицевой счет {ACCOUNT}.\\nСчетчик {METER}.\\nКонтактный центр: +7 (4932) 93-01-08."
        ),
        "END:VEVENT",
        "END:VCALENDAR",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line} in {lines:?}");
    }
    // The same visit, the same file (but its stamp).
    assert_eq!(app.get(&path, Some(&token)).await.bytes, answer.bytes);

    let stranger = app.register_as("+79161112233", "other@example.ru").await;
    app.get(&path, Some(&stranger))
        .await
        .problem(404, "not_found");
    let unknown = "/api/v1/visit-requests/00000000-0000-4000-8000-000000000000/calendar.ics";
    app.get(unknown, Some(&token))
        .await
        .problem(404, "not_found");
    app.get("/api/v1/visit-requests/nope/calendar.ics", Some(&token))
        .await
        .problem(404, "not_found");
    app.get(&path, None).await.problem(401, "unauthorized");
}

#[tokio::test]
async fn the_reading_window_is_a_calendar_file_when_there_is_one() {
    App::new()
        .await
        .get("/api/v1/reading-window.ics", None)
        .await
        .problem(404, "not_found");

    let mut with_window = settings();
    with_window.reading_policy.window = Some("15-25".parse().unwrap());
    let app = App::with(with_window, HttpConfig::default(), |_| {}).await;
    let answer = app.get("/api/v1/reading-window.ics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "text/calendar; charset=utf-8");
    assert_eq!(
        header_of(&answer, header::CONTENT_DISPOSITION),
        "attachment; filename=\"vodokanal-reading-window.ics\""
    );
    let lines = ics_lines(&answer.bytes);
    for line in [
        "BEGIN:VEVENT",
        "UID:reading-window-15-25-15@127.0.0.1",
        "DTSTART;VALUE=DATE:20261115",
        "DTEND;VALUE=DATE:20261126",
        "RRULE:FREQ=MONTHLY",
        "SUMMARY:Передать показания ИПУ",
        "TRIGGER:PT9H",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line} in {lines:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DESCRIPTION:")
                && l.ends_with("http://127.0.0.1:8080/#/readings")),
        "{lines:?}"
    );
}
