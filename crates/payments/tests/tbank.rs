//! The T-Bank adapter against a mock server replaying the provider's documented replies.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;

use common::{
    answer, at, bodies, impatient, late, notification, payment_id, policy, request, with_email,
    with_phone,
};
use serde_json::{Map, Value, json};
use vodokanal_app::ports::{NotificationError, PaymentProvider, ProviderError, ProviderReport};
use vodokanal_app::receipts::ReceiptRules;
use vodokanal_domain::Outcome;
use vodokanal_payments::{HttpPolicy, TBankConfig, TBankProvider, tbank_token};
use vodokanal_test_support::fakes::FixedClock;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TERMINAL: &str = "1321054611234DEMO";
const PASSWORD: &str = "Dfsfh56dgKl";

fn config_without_server() -> TBankConfig {
    TBankConfig {
        base_url: String::new(),
        terminal_key: TERMINAL.into(),
        password: PASSWORD.into(),
        notification_url: Some("https://lk.example/api/v1/payments/notifications/tbank".into()),
        receipt_rules: ReceiptRules::default(),
        http: policy(),
    }
}

fn config(server: &MockServer, http: HttpPolicy) -> TBankConfig {
    TBankConfig {
        base_url: format!("{}/v2/", server.uri()),
        http,
        ..config_without_server()
    }
}

fn tbank(server: &MockServer) -> TBankProvider {
    TBankProvider::new(config(server, policy()), Arc::new(FixedClock::default())).unwrap()
}

/// The documented `Init` reply.
fn initialized() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "Success": true,
        "ErrorCode": "0",
        "TerminalKey": TERMINAL,
        "Status": "NEW",
        "PaymentId": "3093639567",
        "OrderId": payment_id(),
        "Amount": 150_000,
        "PaymentURL": "https://securepay.tinkoff.ru/new/fU1ppgqa"
    }))
}

fn failure(code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "Success": false,
        "ErrorCode": code,
        "Message": message,
        "Details": "the request's values would be here"
    }))
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// Asserts that a request body carries the token of its own fields.
fn assert_signed(body: &Value) {
    let token = body["Token"].as_str().unwrap();
    assert_eq!(token, tbank_token(&object(body), PASSWORD));
}

#[tokio::test]
async fn init_sends_the_order_and_answers_the_payment_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/Init"))
        .and(body_partial_json(json!({
            "TerminalKey": TERMINAL,
            "Amount": 150_000,
            "OrderId": payment_id(),
            "Description": "Вода, л/с 123456",
            "SuccessURL": "https://lk.example/payments/x",
            "FailURL": "https://lk.example/payments/x",
            "NotificationURL": "https://lk.example/api/v1/payments/notifications/tbank",
            "DATA": {"account": "123456", "purpose": "water", "payment_id": payment_id()}
        })))
        .respond_with(initialized())
        .expect(1)
        .mount(&server)
        .await;

    let created = tbank(&server).create(&request()).await.unwrap();
    assert_eq!(created.provider_payment_id, "3093639567");
    assert_eq!(
        created.confirmation_url,
        "https://securepay.tinkoff.ru/new/fU1ppgqa"
    );
    let body = &bodies(&server).await[0];
    assert_signed(body);
    assert!(body.get("Receipt").is_none());
}

#[tokio::test]
async fn a_receipt_goes_to_the_email_or_the_phone() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v2/Init", initialized(), 2).await;
    let provider = tbank(&server);
    provider.create(&with_email()).await.unwrap();
    provider.create(&with_phone()).await.unwrap();

    let bodies = bodies(&server).await;
    assert_eq!(
        bodies[0]["Receipt"],
        json!({
            "Email": "payer@example.ru",
            "Taxation": "osn",
            "Items": [{
                "Name": "Вода, л/с 123456",
                "Price": 150_000,
                "Quantity": 1,
                "Amount": 150_000,
                "Tax": "vat22",
                "PaymentMethod": "full_payment",
                "PaymentObject": "service"
            }]
        })
    );
    assert_eq!(bodies[1]["Receipt"]["Phone"], "+79109845003");
    assert!(bodies[1]["Receipt"].get("Email").is_none());
    // The receipt is a nested object: the token is the same as without it.
    assert_signed(&bodies[0]);
    assert_eq!(bodies[0]["Token"], bodies[1]["Token"]);
}

#[tokio::test]
async fn a_5xx_then_success_repeats_the_same_signed_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/Init"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    answer(&server, "POST", "/v2/Init", initialized(), 1).await;

    assert!(tbank(&server).create(&request()).await.is_ok());
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0]["OrderId"], payment_id());
}

#[tokio::test]
async fn a_5xx_every_time_or_a_timeout_is_unavailable() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v2/Init", ResponseTemplate::new(500), 3).await;
    assert_eq!(
        tbank(&server).create(&request()).await,
        Err(ProviderError::Unavailable(
            "HTTP 500 (after 3 attempts)".into()
        ))
    );

    let server = MockServer::start().await;
    answer(&server, "POST", "/v2/Init", late(initialized()), 3).await;
    let provider = TBankProvider::new(
        config(&server, impatient()),
        Arc::new(FixedClock::default()),
    )
    .unwrap();
    assert_eq!(
        provider.create(&request()).await,
        Err(ProviderError::Unavailable(
            "timed out (after 3 attempts)".into()
        ))
    );
}

#[tokio::test]
async fn http_refusals_by_class() {
    for status in [400, 401, 403, 404] {
        let server = MockServer::start().await;
        answer(
            &server,
            "POST",
            "/v2/Init",
            ResponseTemplate::new(status),
            1,
        )
        .await;
        assert_eq!(
            tbank(&server).create(&request()).await,
            Err(ProviderError::Rejected(format!("HTTP {status}")))
        );
    }
    let server = MockServer::start().await;
    answer(&server, "POST", "/v2/Init", ResponseTemplate::new(429), 1).await;
    assert_eq!(
        tbank(&server).create(&request()).await,
        Err(ProviderError::Unavailable("HTTP 429".into()))
    );
}

#[tokio::test]
async fn a_redirect_is_a_refusal_and_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = format!("{}/elsewhere", server.uri());
    answer(
        &server,
        "POST",
        "/v2/Init",
        ResponseTemplate::new(302).insert_header("location", elsewhere.as_str()),
        1,
    )
    .await;
    Mock::given(path("/elsewhere"))
        .respond_with(initialized())
        .expect(0)
        .mount(&server)
        .await;
    assert_eq!(
        tbank(&server).create(&request()).await,
        Err(ProviderError::Rejected("HTTP 302".into()))
    );
}

#[tokio::test]
async fn success_false_is_a_refusal_unless_the_provider_failed() {
    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v2/Init",
        failure(
            "204",
            "Неверный токен. Проверьте пару TerminalKey и SecretKey.",
        ),
        1,
    )
    .await;
    assert_eq!(
        tbank(&server).create(&request()).await,
        Err(ProviderError::Rejected(
            "Init: ErrorCode 204 (Неверный токен. Проверьте пару TerminalKey и SecretKey.)".into()
        ))
    );

    for code in ["3", "9999"] {
        let server = MockServer::start().await;
        answer(
            &server,
            "POST",
            "/v2/Init",
            failure(code, "Внутренняя ошибка системы"),
            1,
        )
        .await;
        assert!(
            matches!(
                tbank(&server).create(&request()).await,
                Err(ProviderError::Unavailable(ref m)) if !m.contains("would be here")
            ),
            "{code}"
        );
    }
}

#[tokio::test]
async fn a_malformed_reply_is_unavailable() {
    for reply in [
        ResponseTemplate::new(200).set_body_string("<html>Bad gateway</html>"),
        ResponseTemplate::new(200).set_body_json(json!({"Success": true, "ErrorCode": "0"})),
    ] {
        let server = MockServer::start().await;
        answer(&server, "POST", "/v2/Init", reply, 1).await;
        assert!(matches!(
            tbank(&server).create(&request()).await,
            Err(ProviderError::Unavailable(_))
        ));
    }
}

async fn state(reply: ResponseTemplate) -> Result<ProviderReport, ProviderError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/GetState"))
        .and(body_partial_json(
            json!({"TerminalKey": TERMINAL, "PaymentId": "3093639567"}),
        ))
        .respond_with(reply)
        .expect(1)
        .mount(&server)
        .await;
    let report = tbank(&server).report("3093639567").await;
    assert_signed(&bodies(&server).await[0]);
    report
}

fn state_reply(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "Success": true,
        "ErrorCode": "0",
        "TerminalKey": TERMINAL,
        "Status": status,
        "PaymentId": "3093639567",
        "OrderId": payment_id(),
        "Amount": 150_000,
        "Params": [{"Key": "Route", "Value": "ACQ"}]
    }))
}

#[tokio::test]
async fn get_state_maps_each_status() {
    let paid = Some(Outcome::Succeeded {
        paid_at: at("2026-11-16T09:00:00Z"),
    });
    for (status, outcome) in [
        ("NEW", None),
        ("FORM_SHOWED", None),
        ("AUTHORIZING", None),
        ("AUTHORIZED", None),
        ("CONFIRMING", None),
        ("CONFIRMED", paid),
        // Money that went back is not a payment that succeeded.
        ("REFUNDING", None),
        ("REFUNDED", Some(Outcome::Canceled)),
        ("CANCELED", Some(Outcome::Canceled)),
        ("REVERSING", Some(Outcome::Canceled)),
        ("REVERSED", Some(Outcome::Canceled)),
        ("DEADLINE_EXPIRED", Some(Outcome::Canceled)),
        ("ATTEMPTS_EXPIRED", Some(Outcome::Canceled)),
        ("REJECTED", Some(Outcome::Canceled)),
        ("AUTH_FAIL", Some(Outcome::Canceled)),
    ] {
        let report = state(state_reply(status)).await.unwrap();
        assert_eq!(report.outcome, outcome, "{status}");
        assert_eq!(report.amount, "1500.00".parse().unwrap());
    }
    // Part of it stayed: neither succeeded nor canceled; an operator settles it.
    for status in ["PARTIAL_REFUNDED", "PARTIAL_REVERSED"] {
        let refused = state(state_reply(status)).await;
        assert!(
            matches!(&refused, Err(ProviderError::Rejected(m)) if m.contains(status)),
            "{status}: {refused:?}"
        );
    }
    assert!(matches!(
        state(state_reply("SOMETHING_NEW")).await,
        Err(ProviderError::Unavailable(_))
    ));
}

#[tokio::test]
async fn get_state_errors() {
    assert!(matches!(
        state(failure("7", "Неверный статус транзакции")).await,
        Err(ProviderError::Rejected(_))
    ));
    assert!(matches!(
        state(
            ResponseTemplate::new(200)
                .set_body_json(json!({"Success": true, "Status": "CONFIRMED"}))
        )
        .await,
        Err(ProviderError::Unavailable(_))
    ));
}

/// The documentation's notification example, signed with [`PASSWORD`].
fn genuine() -> Map<String, Value> {
    object(&json!({
        "TerminalKey": TERMINAL,
        "OrderId": "201709",
        "Success": true,
        "Status": "AUTHORIZED",
        "PaymentId": 8_742_591,
        "ErrorCode": "0",
        "Amount": 9855,
        "RebillId": 101_709,
        "CardId": 322_264,
        "Pan": "430000******0777",
        "ExpDate": "1122",
        "Token": "b906d28e76c6428e37b25fcf86c0adc52c63d503013fdd632e300593d165766b"
    }))
}

fn resigned(mut fields: Map<String, Value>) -> Map<String, Value> {
    let token = tbank_token(&fields, PASSWORD);
    fields.insert("Token".into(), token.into());
    fields
}

/// The adapter without a server: reading a notification asks nothing.
fn offline() -> TBankProvider {
    TBankProvider::new(
        TBankConfig {
            base_url: common::closed_port_url(),
            notification_url: None,
            ..config_without_server()
        },
        Arc::new(FixedClock::default()),
    )
    .unwrap()
}

fn read(fields: &Map<String, Value>) -> Result<String, NotificationError> {
    offline().read_notification(&notification(
        &Value::Object(fields.clone()).to_string(),
        Some("91.194.226.181"),
    ))
}

#[test]
fn a_signed_notification_names_the_payment() {
    assert_eq!(read(&genuine()), Ok("8742591".to_owned()));
    let mut confirmed = genuine();
    confirmed.insert("Status".into(), "CONFIRMED".into());
    confirmed.insert("DATA".into(), json!({"account": "123456"}));
    assert_eq!(read(&resigned(confirmed)), Ok("8742591".to_owned()));
}

#[test]
fn a_forged_notification_is_untrusted() {
    let mut forged = genuine();
    forged.insert("Status".into(), "CONFIRMED".into());
    assert!(matches!(
        read(&forged),
        Err(NotificationError::Untrusted(_))
    ));

    let mut unsigned = genuine();
    unsigned.remove("Token");
    assert!(matches!(
        read(&unsigned),
        Err(NotificationError::Untrusted(_))
    ));

    let mut other_terminal = genuine();
    other_terminal.insert("TerminalKey".into(), "OtherTerminal".into());
    assert!(matches!(
        read(&resigned(other_terminal)),
        Err(NotificationError::Untrusted(_))
    ));

    let mut other_password = genuine();
    other_password.insert("Status".into(), "CONFIRMED".into());
    let token = tbank_token(&other_password, "guessed");
    other_password.insert("Token".into(), token.into());
    assert!(matches!(
        read(&other_password),
        Err(NotificationError::Untrusted(_))
    ));
}

#[test]
fn a_refund_is_irrelevant_and_garbage_malformed() {
    for status in ["REFUNDED", "PARTIAL_REFUNDED"] {
        let mut refund = genuine();
        refund.insert("Status".into(), status.into());
        assert_eq!(read(&resigned(refund)), Err(NotificationError::Irrelevant));
    }
    let mut without_id = genuine();
    without_id.remove("PaymentId");
    assert!(matches!(
        read(&resigned(without_id)),
        Err(NotificationError::Malformed(_))
    ));
    assert!(matches!(
        offline().read_notification(&notification("[1, 2]", None)),
        Err(NotificationError::Malformed(_))
    ));
}
