//! Payments, anonymous and from the cabinet, and the provider's notifications.

use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use vodokanal_domain::payment::ReceiptContact;
use vodokanal_http::HttpConfig;

use crate::harness::{ACCOUNT, App, EMAIL, PHONE, settings};

#[tokio::test]
async fn an_anonymous_payment_is_started_and_shown() {
    let app = App::new().await;
    let started = app
        .call_raw(
            Method::POST,
            "/api/v1/public/payments",
            None,
            Some(r#"{"account_number": "123456", "purpose": "water", "amount": 12.1, "email": "payer@example.ru"}"#),
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.json());
    let payment = started.json();
    assert_eq!(payment["amount"], "12.10");
    assert_eq!(payment["account_number"], ACCOUNT);
    assert_eq!(payment["purpose"], "water");
    assert_eq!(payment["status"], "pending");
    assert!(
        payment["confirmation_url"]
            .as_str()
            .unwrap()
            .contains("/sandbox/pay/")
    );
    assert!(payment["paid_at"].is_null());
    assert!(payment["created_at"].is_string());

    let id = payment["id"].as_str().unwrap();
    let shown = app.get(&format!("/api/v1/payments/{id}"), None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json(), payment);

    app.get(
        "/api/v1/payments/00000000-0000-4000-8000-000000000000",
        None,
    )
    .await
    .problem(404, "not_found");
    assert_eq!(
        app.get("/api/v1/payments/not-a-uuid", None)
            .await
            .bad_fields(),
        ["id"]
    );
}

#[tokio::test]
async fn anonymous_payment_refusals() {
    let app = App::new().await;
    app.post(
        "/api/v1/public/payments",
        None,
        json!({"account_number": "999999", "purpose": "water", "amount": "10"}),
    )
    .await
    .problem(404, "not_found");
    let bad = app
        .post(
            "/api/v1/public/payments",
            None,
            json!({"account_number": ACCOUNT, "purpose": "beer", "amount": 1.005, "return_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(bad.bad_fields(), ["purpose", "amount", "return_url"]);
    app.provider.down.store(true, Ordering::SeqCst);
    let down = app
        .post(
            "/api/v1/public/payments",
            None,
            json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10"}),
        )
        .await;
    down.problem(503, "payment_provider_unavailable");
    assert!(down.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn a_cabinet_payment_settles_through_a_notification() {
    let app = App::new().await;
    let token = app.with_account().await;
    let path = format!("/api/v1/accounts/{ACCOUNT}/payments");
    let started = app
        .post(
            &path,
            Some(&token),
            json!({"purpose": "heating", "amount": "234.50"}),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.json());
    let id = started.json()["id"].as_str().unwrap().to_owned();

    let notify = |body: &'static str, provider: &'static str| {
        let app = &app;
        async move {
            app.call_raw(
                Method::POST,
                &format!("/api/v1/payments/notifications/{provider}"),
                None,
                Some(body),
                &[],
            )
            .await
        }
    };
    notify("forged", "sandbox").await.problem(403, "forbidden");
    notify("x", "yookassa").await.problem(404, "not_found");
    notify("sb-unknown", "sandbox")
        .await
        .problem(404, "not_found");
    let ignored = notify("refund", "sandbox").await;
    assert_eq!(ignored.status, StatusCode::OK);
    let provider_id: &'static str = Box::leak(format!("sb-{id}").into_boxed_str());
    let ok = notify(provider_id, "sandbox").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.bytes, b"OK");
    assert_eq!(notify(provider_id, "sandbox").await.status, StatusCode::OK);

    let history = app.get(&path, Some(&token)).await;
    assert_eq!(history.status, StatusCode::OK);
    assert_eq!(history.json()[0]["status"], "succeeded");
    assert_eq!(history.json()[0]["paid_at"], "2026-11-16T09:00:00Z");
    let account = app
        .get(&format!("/api/v1/accounts/{ACCOUNT}"), Some(&token))
        .await;
    assert_eq!(account.json()["debt"], "1000.00");
}

fn with_receipts() -> vodokanal_app::Settings {
    vodokanal_app::Settings {
        receipts: true,
        ..settings()
    }
}

#[tokio::test]
async fn with_receipts_on_an_anonymous_payer_must_give_an_email() {
    let app = App::with(with_receipts(), HttpConfig::default(), |_| {}).await;
    let refused = app
        .post(
            "/api/v1/public/payments",
            None,
            json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10"}),
        )
        .await;
    assert_eq!(refused.bad_fields(), ["email"]);
    assert!(app.provider.receipt_contacts.lock().unwrap().is_empty());

    let started = app
        .post(
            "/api/v1/public/payments",
            None,
            json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10", "email": "Payer@Example.ru"}),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.json());
    assert_eq!(
        *app.provider.receipt_contacts.lock().unwrap(),
        [Some(ReceiptContact::Email(
            "payer@example.ru".parse().unwrap()
        ))]
    );
}

#[tokio::test]
async fn with_receipts_on_a_cabinet_receipt_goes_to_the_phone_until_the_address_is_verified() {
    let app = App::with(with_receipts(), HttpConfig::default(), |_| {}).await;
    let token = app.with_account().await;
    let pay = || async {
        let started = app
            .post(
                &format!("/api/v1/accounts/{ACCOUNT}/payments"),
                Some(&token),
                json!({"purpose": "water", "amount": "10"}),
            )
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.json());
    };
    pay().await;
    app.deliver().await;
    let text = app.mail.mails().last().unwrap().text.clone();
    let link = text
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let verified = app
        .post("/api/v1/email/verify", None, json!({"token": link}))
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    pay().await;
    assert_eq!(
        *app.provider.receipt_contacts.lock().unwrap(),
        [
            Some(ReceiptContact::Phone(PHONE.parse().unwrap())),
            Some(ReceiptContact::Email(EMAIL.parse().unwrap()))
        ]
    );
}

#[tokio::test]
async fn a_provider_down_leaves_the_payment_canceled_not_pending() {
    let app = App::new().await;
    let token = app.with_account().await;
    let path = format!("/api/v1/accounts/{ACCOUNT}/payments");
    app.provider.down.store(true, Ordering::SeqCst);
    app.post(
        &path,
        Some(&token),
        json!({"purpose": "water", "amount": "10"}),
    )
    .await
    .problem(503, "payment_provider_unavailable");
    let history = app.get(&path, Some(&token)).await.json();
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["status"], "canceled");
    assert!(history[0]["confirmation_url"].is_null());
}

#[tokio::test]
async fn a_return_url_must_lead_to_the_public_url_or_a_configured_origin() {
    let settings = vodokanal_app::Settings {
        public_url: "https://lk.example.ru".into(),
        ..settings()
    };
    let config = HttpConfig {
        return_origins: vec!["https://app.example.ru".into()],
        ..HttpConfig::default()
    };
    let app = App::with(settings, config, |_| {}).await;
    let token = app.with_account().await;
    let cabinet = format!("/api/v1/accounts/{ACCOUNT}/payments");
    for foreign in [
        "https://evil.example/payments/1",
        "https://lk.example.ru.evil.example/payments/1",
        "http://lk.example.ru/payments/1",
        "https://lk.example.ru:8443/payments/1",
        "https://lk.example.ru@evil.example/payments/1",
        "https://app.example.ru.evil.example/",
    ] {
        let anonymous = app
            .post(
                "/api/v1/public/payments",
                None,
                json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10", "return_url": foreign}),
            )
            .await;
        assert_eq!(anonymous.bad_fields(), ["return_url"], "{foreign}");
        let from_cabinet = app
            .post(
                &cabinet,
                Some(&token),
                json!({"purpose": "water", "amount": "10", "return_url": foreign}),
            )
            .await;
        assert_eq!(from_cabinet.bad_fields(), ["return_url"], "{foreign}");
    }
    assert!(app.provider.created.lock().unwrap().is_empty());

    for allowed in [
        "https://lk.example.ru/payments/done",
        "https://LK.example.ru:443/x?y=1",
        "https://app.example.ru/done",
    ] {
        let anonymous = app
            .post(
                "/api/v1/public/payments",
                None,
                json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10", "return_url": allowed}),
            )
            .await;
        assert_eq!(anonymous.status, StatusCode::CREATED, "{allowed}");
        let from_cabinet = app
            .post(
                &cabinet,
                Some(&token),
                json!({"purpose": "water", "amount": "10", "return_url": allowed}),
            )
            .await;
        assert_eq!(from_cabinet.status, StatusCode::CREATED, "{allowed}");
    }
}
