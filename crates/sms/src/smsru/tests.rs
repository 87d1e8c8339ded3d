//! Every documented reply of SMS.ru, replayed by a local mock server.

use std::collections::BTreeMap;
use vodokanal_test_support::logs::logged;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const API_ID: &str = "api-id-0123456789abcdef";
const NUMBER: &str = "79109845003";
const MASKED: &str = "+7******5003";
const TEXT: &str = "Код подтверждения регистрации: 123456. Никому не сообщайте его.";

fn config(server: &MockServer) -> SmsRuConfig {
    SmsRuConfig {
        sender: Some("Vodokanal".into()),
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(1),
        ..SmsRuConfig::new(format!("{}/", server.uri()), API_ID)
    }
}

fn gateway(server: &MockServer) -> SmsRuGateway {
    SmsRuGateway::new(config(server)).unwrap()
}

fn phone() -> MobilePhone {
    "+7 910 984-50-03".parse().unwrap()
}

fn ip() -> IpAddr {
    "203.0.113.7".parse().unwrap()
}

async fn send(gateway: &SmsRuGateway) -> Result<(), SmsError> {
    gateway.send(&phone(), TEXT, Some(ip())).await
}

fn reply(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn accepted() -> Value {
    json!({
        "status": "OK",
        "status_code": 100,
        "sms": {NUMBER: {"status": "OK", "status_code": 100, "sms_id": "000000-10000000"}},
        "balance": 4122.56
    })
}

fn refused(code: u32) -> Value {
    json!({"status": "ERROR", "status_code": code, "status_text": "Отказ"})
}

/// A server that answers every send with `template`.
async fn server_answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/send"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// A server that answers the first send with `first` and every later one with `then`.
async fn server_answering_first(first: ResponseTemplate, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/send"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sms/send"))
        .respond_with(then)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// The form fields of every request the server received.
async fn forms(server: &MockServer) -> Vec<BTreeMap<String, String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| {
            assert_eq!(
                request.headers["content-type"],
                "application/x-www-form-urlencoded"
            );
            form_urlencoded::parse(&request.body).into_owned().collect()
        })
        .collect()
}

/// The log names no number in clear and no `api_id`.
fn assert_nothing_secret(log: &str) {
    for secret in [NUMBER, "9109845003", API_ID, "123456"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// Sends once against `reply` and expects an `Unavailable` after exactly one request, logged
/// as an error whose line contains `expected`.
async fn unavailable_after_one_request(template: ResponseTemplate, expected: &str) {
    let server = server_answering(template).await;
    let gateway = gateway(&server);
    let (outcome, log) = logged(send(&gateway)).await;
    let Err(SmsError::Unavailable(reason)) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains(expected), "{reason}");
    assert_eq!(requests(&server).await, 1, "{reason}");
    assert!(log.contains(" ERROR "), "{log}");
    assert!(log.contains(expected), "{log}");
    assert!(log.contains(MASKED), "{log}");
    assert_nothing_secret(&log);
}

#[tokio::test]
async fn a_message_is_posted_as_a_form_with_every_field() {
    let server = server_answering(reply(&accepted())).await;
    let gateway = gateway(&server);
    let (outcome, log) = logged(send(&gateway)).await;
    assert_eq!(outcome, Ok(()));
    let expected: BTreeMap<String, String> = [
        ("api_id", API_ID),
        ("to", NUMBER),
        ("msg", TEXT),
        ("json", "1"),
        ("from", "Vodokanal"),
        ("ip", "203.0.113.7"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(forms(&server).await, vec![expected]);
    assert!(log.contains("sms_id=\"000000-10000000\""), "{log}");
    assert!(log.contains("balance=\"4122.56\""), "{log}");
    assert_nothing_secret(&log);
}

#[tokio::test]
async fn without_a_sender_or_an_address_those_fields_are_left_out() {
    let server = server_answering(reply(&accepted())).await;
    let gateway = SmsRuGateway::new(SmsRuConfig {
        sender: None,
        ..config(&server)
    })
    .unwrap();
    assert_eq!(gateway.send(&phone(), TEXT, None).await, Ok(()));
    let forms = forms(&server).await;
    let keys: Vec<&str> = forms[0].keys().map(String::as_str).collect();
    assert_eq!(keys, ["api_id", "json", "msg", "to"]);
}

#[tokio::test]
async fn a_reply_without_status_text_or_recipients_and_with_a_text_balance_is_accepted() {
    for body in [
        json!({"status": "OK", "status_code": 100, "balance": "4122.56"}),
        json!({"status": "OK", "status_code": "100", "sms": {}}),
        json!({"status": "OK", "status_code": 100, "sms": {NUMBER: {"status": "OK", "status_code": 100}}}),
    ] {
        let server = server_answering(reply(&body)).await;
        assert_eq!(send(&gateway(&server)).await, Ok(()), "{body}");
        assert_eq!(requests(&server).await, 1);
    }
}

#[tokio::test]
async fn a_bad_number_or_no_route_is_the_numbers_fault() {
    for code in [202, 207] {
        let server = server_answering(reply(&refused(code))).await;
        let (outcome, log) = logged(send(&gateway(&server))).await;
        assert_eq!(outcome, Err(SmsError::InvalidNumber), "{code}");
        assert_eq!(requests(&server).await, 1);
        assert!(!log.contains(" ERROR "), "{log}");
        assert_nothing_secret(&log);
    }
}

#[tokio::test]
async fn the_providers_limits_are_rate_limits_never_retried() {
    for code in [
        206, 230, 231, 232, 233, 501, 502, 503, 504, 505, 506, 507, 508, 550,
    ] {
        let server = server_answering(reply(&refused(code))).await;
        assert_eq!(
            send(&gateway(&server)).await,
            Err(SmsError::RateLimited),
            "{code}"
        );
        assert_eq!(requests(&server).await, 1, "{code}");
    }
}

#[tokio::test]
async fn no_money_is_an_error_the_operator_acts_on() {
    unavailable_after_one_request(
        reply(&refused(201)),
        "SMS.ru refused: not enough money on the account; top it up in the SMS.ru cabinet (code 201)",
    )
    .await;
}

#[tokio::test]
async fn a_bad_api_id_is_an_error_the_operator_acts_on() {
    for code in [200, 301] {
        unavailable_after_one_request(
            reply(&refused(code)),
            &format!("the api_id is not valid; check VODOKANAL_SMSRU_API_ID (code {code})"),
        )
        .await;
    }
}

#[tokio::test]
async fn an_unapproved_sender_is_an_error_the_operator_acts_on() {
    unavailable_after_one_request(reply(&refused(204)), "the sender name is not approved").await;
}

#[tokio::test]
async fn an_unknown_code_is_unavailable_with_the_providers_words() {
    unavailable_after_one_request(
        reply(
            &json!({"status": "ERROR", "status_code": 999, "status_text": "Странно: 79109845003"}),
        ),
        "SMS.ru refused: an unexpected status (code 999) (Странно: +7******5003)",
    )
    .await;
}

#[tokio::test]
async fn a_reply_that_is_not_json_is_unavailable_and_not_retried() {
    unavailable_after_one_request(
        ResponseTemplate::new(200).set_body_string("100\n000000-10000000\nbalance=4122.56"),
        "not the expected JSON",
    )
    .await;
    unavailable_after_one_request(
        reply(&json!({"status": "OK", "balance": 1})),
        "not the expected JSON",
    )
    .await;
}

#[tokio::test]
async fn an_http_client_error_is_unavailable_and_not_retried() {
    unavailable_after_one_request(ResponseTemplate::new(404), "HTTP 404 Not Found").await;
}

#[tokio::test]
async fn a_redirect_is_an_error_and_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/sms/send"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri()).as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(reply(&accepted()))
        .expect(0)
        .mount(&server)
        .await;
    let result = send(&gateway(&server)).await;
    assert!(
        matches!(&result, Err(SmsError::Unavailable(reason)) if reason.contains("HTTP 302")),
        "{result:?}"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_refusal_of_the_recipient_inside_an_accepted_request_decides() {
    let body = json!({
        "status": "OK",
        "status_code": 100,
        "sms": {NUMBER: {"status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять сообщения"}},
        "balance": "4122.56"
    });
    let server = server_answering(reply(&body)).await;
    assert_eq!(send(&gateway(&server)).await, Err(SmsError::InvalidNumber));
    assert_eq!(requests(&server).await, 1);

    let body = json!({
        "status": "OK",
        "status_code": 100,
        "sms": {NUMBER: {"status": "ERROR", "status_code": 201}},
    });
    unavailable_after_one_request(reply(&body), "not enough money").await;
}

#[tokio::test]
async fn service_unavailable_then_success_is_sent_in_two_requests() {
    let server = server_answering_first(reply(&refused(220)), reply(&accepted())).await;
    let (outcome, log) = logged(send(&gateway(&server))).await;
    assert_eq!(outcome, Ok(()));
    assert_eq!(requests(&server).await, 2);
    let forms = forms(&server).await;
    assert_eq!(forms[0], forms[1]);
    assert!(log.contains("trying again"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
}

#[tokio::test]
async fn a_recipients_server_error_then_success_is_sent_in_two_requests() {
    let first = json!({
        "status": "OK",
        "status_code": 100,
        "sms": {NUMBER: {"status": "ERROR", "status_code": 500}},
    });
    let server = server_answering_first(reply(&first), reply(&accepted())).await;
    assert_eq!(send(&gateway(&server)).await, Ok(()));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn an_http_server_error_then_success_is_sent_in_two_requests() {
    let server = server_answering_first(ResponseTemplate::new(502), reply(&accepted())).await;
    assert_eq!(send(&gateway(&server)).await, Ok(()));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_server_error_three_times_is_unavailable_after_three_requests() {
    let server = server_answering(reply(&refused(500))).await;
    // More retries than allowed are capped.
    let gateway = SmsRuGateway::new(SmsRuConfig {
        retries: 10,
        ..config(&server)
    })
    .unwrap();
    let (outcome, log) = logged(send(&gateway)).await;
    let Err(SmsError::Unavailable(reason)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        reason,
        "SMS.ru refused: a server error on the SMS.ru side (code 500) (Отказ) (tried 3 times)"
    );
    assert_eq!(requests(&server).await, 3);
    assert_eq!(log.matches("trying again").count(), 2, "{log}");
    assert_eq!(log.matches(" ERROR ").count(), 1, "{log}");
    assert_nothing_secret(&log);
}

#[tokio::test]
async fn without_retries_a_server_error_is_unavailable_at_once() {
    let server = server_answering(reply(&refused(220))).await;
    let gateway = SmsRuGateway::new(SmsRuConfig {
        retries: 0,
        ..config(&server)
    })
    .unwrap();
    assert!(matches!(
        send(&gateway).await,
        Err(SmsError::Unavailable(_))
    ));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_retried_then_unavailable() {
    let server = server_answering(reply(&accepted()).set_delay(Duration::from_secs(3))).await;
    let gateway = SmsRuGateway::new(SmsRuConfig {
        timeout: Duration::from_millis(100),
        ..config(&server)
    })
    .unwrap();
    let (outcome, log) = logged(send(&gateway)).await;
    assert_eq!(
        outcome,
        Err(SmsError::Unavailable(
            "SMS.ru did not answer within 100ms (tried 3 times)".into()
        ))
    );
    assert_eq!(requests(&server).await, 3);
    assert_nothing_secret(&log);
}

#[tokio::test]
async fn a_server_that_cannot_be_reached_is_retried_then_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gateway = SmsRuGateway::new(SmsRuConfig {
        backoff: Duration::from_millis(1),
        ..SmsRuConfig::new(format!("http://127.0.0.1:{port}"), API_ID)
    })
    .unwrap();
    let (outcome, log) = logged(send(&gateway)).await;
    let Err(SmsError::Unavailable(reason)) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.starts_with("SMS.ru can't be reached: "), "{reason}");
    assert!(reason.ends_with("(tried 3 times)"), "{reason}");
    assert_eq!(log.matches("trying again").count(), 2, "{log}");
    assert_nothing_secret(&log);
}

#[test]
fn the_api_id_never_shows_in_debug() {
    let config = SmsRuConfig::new("https://sms.ru", API_ID);
    let gateway = SmsRuGateway::new(config.clone()).unwrap();
    for text in [format!("{config:?}"), format!("{gateway:?}")] {
        assert!(!text.contains(API_ID), "{text}");
        assert!(text.contains("https://sms.ru"), "{text}");
    }
}
