//! The YooKassa adapter against a mock server replaying the provider's documented replies.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::{
    answer, at, bodies, headers, impatient, late, notification, payment_id, policy, request,
    with_email, with_phone,
};
use serde_json::{Value, json};
use vodokanal_app::ports::{NotificationError, PaymentProvider, ProviderError};
use vodokanal_app::receipts::{
    PaymentMode, PaymentSubject, ReceiptItemRule, ReceiptRules, TaxSystem, VatRate,
};
use vodokanal_domain::{Outcome, PaymentPurpose};
use vodokanal_payments::{HttpPolicy, YooKassaConfig, YooKassaProvider};
use wiremock::matchers::{basic_auth, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(server: &MockServer, http: HttpPolicy) -> YooKassaConfig {
    YooKassaConfig {
        base_url: format!("{}/v3/", server.uri()),
        shop_id: "123456".into(),
        secret_key: "test_key".into(),
        notify_networks: YooKassaConfig::published_networks(),
        receipt_rules: ReceiptRules::default(),
        http,
    }
}

fn yookassa(server: &MockServer) -> YooKassaProvider {
    YooKassaProvider::new(config(server, policy())).unwrap()
}

/// The payment object of the documentation, in `status`.
fn payment(status: &str) -> Value {
    json!({
        "id": "2d9a5b1e-000f-5000-9000-1b2f2a6e8f31",
        "status": status,
        "paid": status == "succeeded",
        "amount": {"value": "1500.00", "currency": "RUB"},
        "confirmation": {
            "type": "redirect",
            "confirmation_url": "https://yoomoney.ru/checkout/payments/v2/contract?orderId=2d9a5b1e"
        },
        "created_at": "2026-11-16T09:00:00.000Z",
        "description": "Вода, л/с 123456",
        "metadata": {"account": "123456", "purpose": "water"},
        "recipient": {"account_id": "123456", "gateway_id": "7890"},
        "refundable": false,
        "test": true
    })
}

fn pending() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(payment("pending"))
}

fn error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "type": "error",
        "id": "ab5a11cd-13cc-4e33-af8b-75a74e18dd09",
        "code": code,
        "description": "Error description",
        "parameter": "amount.value"
    }))
}

#[tokio::test]
async fn create_posts_the_payment_with_our_id_as_the_idempotence_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/payments"))
        .and(basic_auth("123456", "test_key"))
        .and(header("Idempotence-Key", payment_id().as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "amount": {"value": "1500.00", "currency": "RUB"},
            "capture": true,
            "confirmation": {"type": "redirect", "return_url": "https://lk.example/payments/x"},
            "description": "Вода, л/с 123456",
            "metadata": {"account": "123456", "purpose": "water", "payment_id": payment_id()}
        })))
        .respond_with(pending())
        .expect(1)
        .mount(&server)
        .await;

    let created = yookassa(&server).create(&request()).await.unwrap();
    assert_eq!(
        created.provider_payment_id,
        "2d9a5b1e-000f-5000-9000-1b2f2a6e8f31"
    );
    assert_eq!(
        created.confirmation_url,
        "https://yoomoney.ru/checkout/payments/v2/contract?orderId=2d9a5b1e"
    );
}

#[tokio::test]
async fn a_receipt_goes_to_the_email_with_the_purposes_item() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v3/payments", pending(), 1).await;
    yookassa(&server).create(&with_email()).await.unwrap();

    assert_eq!(
        bodies(&server).await[0]["receipt"],
        json!({
            "customer": {"email": "payer@example.ru"},
            "items": [{
                "description": "Вода, л/с 123456",
                "quantity": "1.00",
                "amount": {"value": "1500.00", "currency": "RUB"},
                "vat_code": 11,
                "payment_subject": "service",
                "payment_mode": "full_payment"
            }]
        })
    );
}

#[tokio::test]
async fn a_receipt_by_phone_with_configured_rules() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v3/payments", pending(), 1).await;
    let mut rules = ReceiptRules::default();
    rules.tax_system = Some(TaxSystem::UsnIncome);
    rules.set_item(
        PaymentPurpose::Water,
        ReceiptItemRule {
            vat: VatRate::Vat20,
            payment_subject: PaymentSubject::Payment,
            payment_mode: PaymentMode::Advance,
        },
    );
    let provider = YooKassaProvider::new(YooKassaConfig {
        receipt_rules: rules,
        ..config(&server, policy())
    })
    .unwrap();
    provider.create(&with_phone()).await.unwrap();

    let receipt = &bodies(&server).await[0]["receipt"];
    assert_eq!(receipt["customer"], json!({"phone": "79109845003"}));
    assert_eq!(receipt["tax_system_code"], 2);
    assert_eq!(receipt["items"][0]["vat_code"], 4);
    assert_eq!(receipt["items"][0]["payment_subject"], "payment");
    assert_eq!(receipt["items"][0]["payment_mode"], "advance");
}

#[tokio::test]
async fn a_5xx_is_retried_with_the_same_idempotence_key_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/payments"))
        .respond_with(error(500, "internal_server_error"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    answer(&server, "POST", "/v3/payments", pending(), 1).await;

    let created = yookassa(&server).create(&with_email()).await.unwrap();
    assert_eq!(
        created.provider_payment_id,
        "2d9a5b1e-000f-5000-9000-1b2f2a6e8f31"
    );
    assert_eq!(
        headers(&server, "Idempotence-Key").await,
        [payment_id(), payment_id()]
    );
    let bodies = bodies(&server).await;
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn a_202_is_still_processing_and_asked_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/payments"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"type": "processing"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer(&server, "POST", "/v3/payments", pending(), 1).await;
    assert!(yookassa(&server).create(&request()).await.is_ok());
    assert_eq!(headers(&server, "Idempotence-Key").await.len(), 2);
}

#[tokio::test]
async fn a_5xx_every_time_is_unavailable_after_two_retries() {
    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v3/payments",
        error(500, "internal_server_error"),
        3,
    )
    .await;
    let outcome = yookassa(&server).create(&request()).await;
    assert_eq!(
        outcome,
        Err(ProviderError::Unavailable(
            "HTTP 500 (after 3 attempts)".into()
        ))
    );
    assert_eq!(
        headers(&server, "Idempotence-Key").await,
        vec![payment_id(); 3]
    );
}

#[tokio::test]
async fn a_timeout_is_unavailable_after_two_retries() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v3/payments", late(pending()), 3).await;
    let provider = YooKassaProvider::new(config(&server, impatient())).unwrap();
    let outcome = provider.create(&request()).await;
    assert_eq!(
        outcome,
        Err(ProviderError::Unavailable(
            "timed out (after 3 attempts)".into()
        ))
    );
}

#[tokio::test]
async fn a_provider_that_can_not_be_reached_is_unavailable() {
    let server = MockServer::start().await;
    let config = YooKassaConfig {
        base_url: common::closed_port_url(),
        ..config(&server, policy())
    };
    let outcome = YooKassaProvider::new(config)
        .unwrap()
        .create(&request())
        .await;
    assert!(
        matches!(outcome, Err(ProviderError::Unavailable(ref m)) if m.ends_with("(after 3 attempts)")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn each_4xx_is_a_refusal_sent_once() {
    for (status, code) in [
        (400, "invalid_request"),
        (401, "invalid_credentials"),
        (403, "forbidden"),
        (404, "not_found"),
    ] {
        let server = MockServer::start().await;
        answer(&server, "POST", "/v3/payments", error(status, code), 1).await;
        let outcome = yookassa(&server).create(&request()).await;
        assert_eq!(
            outcome,
            Err(ProviderError::Rejected(format!(
                "HTTP {status}: {code} (amount.value)"
            ))),
        );
    }
}

#[tokio::test]
async fn a_redirect_is_a_refusal_and_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = format!("{}/elsewhere", server.uri());
    answer(
        &server,
        "POST",
        "/v3/payments",
        ResponseTemplate::new(307).insert_header("location", elsewhere.as_str()),
        1,
    )
    .await;
    Mock::given(path("/elsewhere"))
        .respond_with(pending())
        .expect(0)
        .mount(&server)
        .await;
    assert_eq!(
        yookassa(&server).create(&request()).await,
        Err(ProviderError::Rejected("HTTP 307".into()))
    );
}

#[tokio::test]
async fn too_many_requests_is_unavailable_and_not_repeated_at_once() {
    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v3/payments",
        error(429, "too_many_requests"),
        1,
    )
    .await;
    let outcome = yookassa(&server).create(&request()).await;
    assert_eq!(
        outcome,
        Err(ProviderError::Unavailable(
            "HTTP 429: too_many_requests (amount.value)".into()
        ))
    );
}

#[tokio::test]
async fn a_malformed_reply_is_unavailable() {
    let server = MockServer::start().await;
    answer(
        &server,
        "POST",
        "/v3/payments",
        ResponseTemplate::new(200).set_body_string("{\"id\": \"2d9a"),
        1,
    )
    .await;
    let outcome = yookassa(&server).create(&request()).await;
    assert!(
        matches!(outcome, Err(ProviderError::Unavailable(ref m)) if m.starts_with("unreadable reply")),
        "{outcome:?}"
    );

    let server = MockServer::start().await;
    let mut without_url = payment("pending");
    without_url["confirmation"] = json!({"type": "redirect"});
    answer(
        &server,
        "POST",
        "/v3/payments",
        ResponseTemplate::new(200).set_body_json(without_url),
        1,
    )
    .await;
    assert!(matches!(
        yookassa(&server).create(&request()).await,
        Err(ProviderError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_payment_canceled_at_once_is_refused() {
    let server = MockServer::start().await;
    let mut canceled = payment("canceled");
    canceled["confirmation"] = Value::Null;
    canceled["cancellation_details"] = json!({"party": "yoo_kassa", "reason": "fraud_suspected"});
    answer(
        &server,
        "POST",
        "/v3/payments",
        ResponseTemplate::new(200).set_body_json(canceled),
        1,
    )
    .await;
    assert!(matches!(
        yookassa(&server).create(&request()).await,
        Err(ProviderError::Rejected(_))
    ));
}

async fn report_of(
    reply: ResponseTemplate,
) -> Result<vodokanal_app::ports::ProviderReport, ProviderError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/payments/2d9a5b1e-000f-5000-9000-1b2f2a6e8f31"))
        .and(basic_auth("123456", "test_key"))
        .respond_with(reply)
        .mount(&server)
        .await;
    yookassa(&server)
        .report("2d9a5b1e-000f-5000-9000-1b2f2a6e8f31")
        .await
}

#[tokio::test]
async fn report_maps_each_status() {
    let mut succeeded = payment("succeeded");
    succeeded["captured_at"] = json!("2026-11-16T09:05:00.123Z");
    let report = report_of(ResponseTemplate::new(200).set_body_json(succeeded))
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Some(Outcome::Succeeded {
            paid_at: at("2026-11-16T09:05:00.123Z")
        })
    );
    assert_eq!(report.amount, "1500.00".parse().unwrap());

    for (status, outcome) in [
        ("pending", None),
        ("waiting_for_capture", None),
        ("canceled", Some(Outcome::Canceled)),
    ] {
        let report = report_of(ResponseTemplate::new(200).set_body_json(payment(status)))
            .await
            .unwrap();
        assert_eq!(report.outcome, outcome, "{status}");
    }
    assert!(matches!(
        report_of(ResponseTemplate::new(200).set_body_json(payment("refunded"))).await,
        Err(ProviderError::Unavailable(_))
    ));
}

#[tokio::test]
async fn report_errors() {
    assert_eq!(
        report_of(error(404, "not_found")).await,
        Err(ProviderError::UnknownPayment)
    );
    assert!(matches!(
        report_of(error(401, "invalid_credentials")).await,
        Err(ProviderError::Rejected(_))
    ));
    assert!(matches!(
        report_of(error(503, "internal_server_error")).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(matches!(
        report_of(ResponseTemplate::new(200).set_body_string("<html>")).await,
        Err(ProviderError::Unavailable(_))
    ));
    let mut dollars = payment("succeeded");
    dollars["amount"] = json!({"value": "15.00", "currency": "USD"});
    assert!(matches!(
        report_of(ResponseTemplate::new(200).set_body_json(dollars)).await,
        Err(ProviderError::Rejected(_))
    ));
}

fn event(name: &str) -> String {
    json!({"type": "notification", "event": name, "object": payment("succeeded")}).to_string()
}

#[tokio::test]
async fn a_notification_from_the_providers_networks_names_the_payment() {
    let server = MockServer::start().await;
    let provider = yookassa(&server);
    for from in [
        "185.71.76.1",
        "77.75.156.11",
        "2a02:5180:0:1509::1",
        "::ffff:77.75.153.7",
    ] {
        assert_eq!(
            provider.read_notification(&notification(&event("payment.succeeded"), Some(from))),
            Ok("2d9a5b1e-000f-5000-9000-1b2f2a6e8f31".to_owned()),
            "{from}"
        );
    }
    assert_eq!(
        provider.read_notification(&notification(
            &event("payment.canceled"),
            Some("185.71.77.30")
        )),
        Ok("2d9a5b1e-000f-5000-9000-1b2f2a6e8f31".to_owned())
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_notification_from_elsewhere_is_untrusted() {
    let server = MockServer::start().await;
    let provider = yookassa(&server);
    for from in [
        Some("198.51.100.7"),
        Some("185.71.76.32"),
        Some("77.75.156.12"),
        None,
    ] {
        assert!(
            matches!(
                provider.read_notification(&notification(&event("payment.succeeded"), from)),
                Err(NotificationError::Untrusted(_))
            ),
            "{from:?}"
        );
    }
    // Even garbage from elsewhere is untrusted, not unreadable.
    assert!(matches!(
        provider.read_notification(&notification("not json", Some("198.51.100.7"))),
        Err(NotificationError::Untrusted(_))
    ));
}

#[tokio::test]
async fn configured_networks_replace_the_published_ones() {
    let server = MockServer::start().await;
    let provider = YooKassaProvider::new(YooKassaConfig {
        notify_networks: vec!["10.0.0.0/8".parse().unwrap()],
        ..config(&server, policy())
    })
    .unwrap();
    assert!(
        provider
            .read_notification(&notification(&event("payment.succeeded"), Some("10.1.2.3")))
            .is_ok()
    );
    assert!(matches!(
        provider.read_notification(&notification(
            &event("payment.succeeded"),
            Some("185.71.76.1")
        )),
        Err(NotificationError::Untrusted(_))
    ));
}

#[tokio::test]
async fn refunds_are_irrelevant_and_garbage_is_malformed() {
    let server = MockServer::start().await;
    let provider = yookassa(&server);
    let from = Some("185.71.76.1");
    assert_eq!(
        provider.read_notification(&notification(&event("refund.succeeded"), from)),
        Err(NotificationError::Irrelevant)
    );
    assert_eq!(
        provider.read_notification(&notification(&event("payout.succeeded"), from)),
        Err(NotificationError::Irrelevant)
    );
    for body in [
        "not json",
        r#"{"event": "payment.succeeded"}"#,
        r#"{"event": "payment.succeeded", "object": {"id": " "}}"#,
    ] {
        assert!(
            matches!(
                provider.read_notification(&notification(body, from)),
                Err(NotificationError::Malformed(_))
            ),
            "{body}"
        );
    }
}
