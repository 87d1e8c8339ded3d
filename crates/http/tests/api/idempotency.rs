//! `Idempotency-Key`: replay byte for byte, reuse refused, invalid keys refused, the scope of a
//! key, and work that outlives its client.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use serde_json::json;
use tokio::sync::Notify;
use vodokanal_app::ports::{
    CreatedPayment, Notification, NotificationError, PaymentProvider, PaymentRequest,
    ProviderError, ProviderReport,
};
use vodokanal_http::HttpConfig;

use crate::harness::{ACCOUNT, App, METER, SECOND_ACCOUNT, settings};

#[tokio::test]
async fn a_repeat_replays_the_first_answer_and_stores_nothing_new() {
    let app = App::new().await;
    let token = app.with_account().await;
    let path = format!("/api/v1/accounts/{ACCOUNT}/readings");
    let body = format!(r#"{{"readings": [{{"meter_number": "{METER}", "value": "120"}}]}}"#);
    let send = |body: String, key: &'static str| {
        let app = &app;
        let token = token.clone();
        let path = path.clone();
        async move {
            app.call_raw(
                Method::POST,
                &path,
                Some(&token),
                Some(&body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let first = send(body.clone(), "k-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = send(body.clone(), "k-1").await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.bytes, first.bytes);
    assert_eq!(second.content_type(), "application/json; charset=utf-8");

    let history = app.get(&path, Some(&token)).await.json();
    let cabinet: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "cabinet")
        .collect();
    assert_eq!(cabinet.len(), 1);

    let other = body.replace("120", "121");
    send(other.clone(), "k-1")
        .await
        .problem(422, "idempotency_key_reused");
    let fresh = send(other, "k-2").await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    assert_ne!(fresh.bytes, first.bytes);
}

#[tokio::test]
async fn a_failed_request_releases_its_key() {
    let app = App::new().await;
    let body = format!(
        r#"{{"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "{METER}", "value": "90"}}"#
    );
    let send = || {
        app.call_raw(
            Method::POST,
            "/api/v1/public/readings",
            None,
            Some(&body),
            &[("idempotency-key", "retry-me")],
        )
    };
    send().await.problem(422, "reading_below_previous");
    send().await.problem(422, "reading_below_previous");
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = App::new().await;
    let body = format!(
        r#"{{"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "{METER}", "value": "101"}}"#
    );
    let first = app
        .call_raw(
            Method::POST,
            "/api/v1/public/readings",
            None,
            Some(&body),
            &[("idempotency-key", "same")],
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other_endpoint = app
        .call_raw(
            Method::POST,
            "/api/v1/public/payments",
            None,
            Some(r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#),
            &[("idempotency-key", "same")],
        )
        .await;
    assert_eq!(other_endpoint.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_same_key_and_body_on_two_accounts_are_two_payments() {
    let app = App::new().await;
    let token = app.with_account().await;
    let linked = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"account_number": SECOND_ACCOUNT, "meter_last4": "5678"}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED, "{:?}", linked.json());
    let pay = |account: &'static str| {
        let path = format!("/api/v1/accounts/{account}/payments");
        let token = token.clone();
        let app = &app;
        async move {
            app.call_raw(
                Method::POST,
                &path,
                Some(&token),
                Some(r#"{"purpose": "water", "amount": "100"}"#),
                &[("idempotency-key", "pay-1")],
            )
            .await
        }
    };
    let first = pay(ACCOUNT).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.json());
    let second = pay(SECOND_ACCOUNT).await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.json());
    assert_ne!(first.json()["id"], second.json()["id"]);
    assert_eq!(second.json()["account_number"], SECOND_ACCOUNT);
    assert_eq!(app.provider.created.lock().unwrap().len(), 2);

    // The same account written another way is the same request: replayed.
    let spaced = app
        .call_raw(
            Method::POST,
            "/api/v1/accounts/123-456/payments",
            Some(&token),
            Some(r#"{"purpose": "water", "amount": "100"}"#),
            &[("idempotency-key", "pay-1")],
        )
        .await;
    assert_eq!(spaced.bytes, first.bytes);
    assert_eq!(app.provider.created.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_invalid_key_is_422() {
    let app = App::new().await;
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "ключ"] {
        let answer = app
            .call_raw(
                Method::POST,
                "/api/v1/public/payments",
                None,
                Some(r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#),
                &[("idempotency-key", key)],
            )
            .await;
        assert_eq!(answer.bad_fields(), ["Idempotency-Key"], "{key}");
    }
}

/// A provider that holds every payment until `go`, telling `entered` when one arrives.
#[derive(Default)]
struct HeldProvider {
    entered: Notify,
    go: Notify,
    creates: AtomicUsize,
}

#[async_trait]
impl PaymentProvider for HeldProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        self.entered.notify_one();
        self.go.notified().await;
        Ok(CreatedPayment {
            provider_payment_id: format!("held-{}", request.payment_id),
            confirmation_url: format!("http://127.0.0.1:8080/sandbox/pay/{}", request.payment_id),
        })
    }
    async fn report(&self, _provider_payment_id: &str) -> Result<ProviderReport, ProviderError> {
        Err(ProviderError::UnknownPayment)
    }
    fn read_notification(&self, _notification: &Notification) -> Result<String, NotificationError> {
        Err(NotificationError::Irrelevant)
    }
}

#[tokio::test]
async fn a_client_that_goes_away_does_not_cut_the_work_under_its_key() {
    let provider = Arc::new(HeldProvider::default());
    let held = provider.clone();
    let app = App::with(settings(), HttpConfig::default(), move |ports| {
        ports.provider = held;
    })
    .await;
    let request = || {
        app.call_raw(
            Method::POST,
            "/api/v1/public/payments",
            None,
            Some(r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#),
            &[("idempotency-key", "gone")],
        )
    };
    // The client hangs up while the provider is creating the payment.
    tokio::select! {
        _ = request() => panic!("the request finished while the provider held it"),
        () = provider.entered.notified() => {}
    }
    provider.go.notify_one();

    // The work went on without the client: the retry waits for it, then gets its answer.
    let mut retry = request().await;
    for _ in 0..10_000 {
        if retry.status != StatusCode::CONFLICT {
            break;
        }
        tokio::task::yield_now().await;
        retry = request().await;
    }
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.json());
    assert_eq!(provider.creates.load(Ordering::SeqCst), 1);
    assert_eq!(request().await.bytes, retry.bytes);
}
