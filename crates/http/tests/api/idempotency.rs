//! `Idempotency-Key`: replay byte for byte, reuse refused, invalid keys refused, a bad body
//! refused before any claim, the scope of a key, work that outlives its client, an answer that commits with its work, and a claim left
//! by a dead process taken over after its lease.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use tokio::sync::Notify;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, ClaimToken, Claimed, Idempotency, IdempotencyRecordKey};
use vodokanal_app::ports::{
    Claim, ClaimCutoffs, CreatedPayment, IdempotencyStore, Notification, NotificationError,
    PaymentProvider, PaymentRequest, ProviderError, ProviderReport,
};
use vodokanal_http::HttpConfig;

use crate::harness::{ACCOUNT, App, METER, SECOND_ACCOUNT, now, settings};

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
async fn a_bad_body_is_refused_before_its_key_is_claimed() {
    let app = App::new().await;
    // The claim of a request that is still running: a repeat of it would be 409.
    left_behind(&app, "busy", 1).await;
    let bad = app
        .call_raw(
            Method::POST,
            "/api/v1/public/payments",
            None,
            Some(r#"{"account_number": "123456", "purpose": "beer", "amount": "-1"}"#),
            &[("idempotency-key", "busy")],
        )
        .await;
    assert_eq!(bad.bad_fields(), ["purpose", "amount"]);
    pay_under(&app, "busy")
        .await
        .problem(409, "idempotency_request_in_progress");
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
#[derive(Debug, Default)]
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
    let app = App::with(settings(), HttpConfig::default(), move |parts| {
        parts.services.provider = held;
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

const PAYMENT: &str = r#"{"account_number": "123456", "purpose": "water", "amount": "10"}"#;

/// An anonymous payment under `key`, from the harness's caller (198.51.100.7).
async fn pay_under(app: &App, key: &str) -> crate::harness::Answer {
    app.call_raw(
        Method::POST,
        "/api/v1/public/payments",
        None,
        Some(PAYMENT),
        &[("idempotency-key", key)],
    )
    .await
}

/// The claim a request under `key` left behind when its process died `seconds` ago.
async fn left_behind(app: &App, key: &str, seconds: i64) {
    let claim = Claimed {
        record: IdempotencyRecordKey {
            caller: "ip:198.51.100.7".into(),
            endpoint: "POST /api/v1/public/payments".into(),
            key: key.into(),
        },
        token: ClaimToken::from_bytes([42; 16]),
    };
    let at = now() - TimeDelta::seconds(seconds);
    let cutoffs = ClaimCutoffs {
        expired_before: at - TimeDelta::hours(24),
        abandoned_before: at - TimeDelta::seconds(60),
    };
    let claimed = app
        .stores
        .idempotency
        .claim(
            &claim,
            &Idempotency::fingerprint(PAYMENT.as_bytes()),
            at,
            cutoffs,
        )
        .await
        .unwrap();
    assert_eq!(claimed, Claim::Started);
}

#[tokio::test]
async fn a_claim_left_by_a_dead_process_is_taken_over_after_its_lease() {
    let app = App::new().await;
    // Within the lease (60 s by default) the first request may still be running.
    left_behind(&app, "recent", 59).await;
    pay_under(&app, "recent")
        .await
        .problem(409, "idempotency_request_in_progress");
    // Past it, the retry takes the claim over and does the work, once.
    left_behind(&app, "abandoned", 61).await;
    let retry = pay_under(&app, "abandoned").await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.json());
    assert_eq!(pay_under(&app, "abandoned").await.bytes, retry.bytes);
    assert_eq!(app.provider.created.lock().unwrap().len(), 1);
}

/// The idempotency store, except that storing an answer apart from its work always fails.
#[derive(Debug)]
struct NoSeparateAnswers(Arc<dyn IdempotencyStore>);

#[async_trait]
impl IdempotencyStore for NoSeparateAnswers {
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError> {
        self.0.claim(claim, fingerprint, now, cutoffs).await
    }
    async fn complete(&self, _answer: &Answer) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("the process died here".into()))
    }
    async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        self.0.release(claim).await
    }
}

#[tokio::test]
async fn the_answer_commits_with_the_work_it_answers() {
    let app = App::with(settings(), HttpConfig::default(), |parts| {
        parts.stores.idempotency = Arc::new(NoSeparateAnswers(parts.stores.idempotency.clone()));
    })
    .await;
    let token = app.with_account().await;
    let requests = [
        (
            "/api/v1/public/payments".to_owned(),
            None,
            PAYMENT.to_owned(),
        ),
        (
            "/api/v1/public/readings".to_owned(),
            None,
            format!(
                r#"{{"full_name": "Иванов Иван", "phone": "+79109845003", "meter_number": "{METER}", "value": "101"}}"#
            ),
        ),
        (
            format!("/api/v1/accounts/{ACCOUNT}/readings"),
            Some(token.as_str()),
            format!(r#"{{"readings": [{{"meter_number": "{METER}", "value": "120"}}]}}"#),
        ),
        (
            format!("/api/v1/accounts/{ACCOUNT}/payments"),
            Some(token.as_str()),
            r#"{"purpose": "water", "amount": "100"}"#.to_owned(),
        ),
        (
            "/api/v1/visit-requests".to_owned(),
            Some(token.as_str()),
            json!({
                "kind": "meter_acceptance",
                "account_number": ACCOUNT,
                "phone": "+79109845003",
                "visit_date": "2026-11-18",
                "visit_time": "10:30"
            })
            .to_string(),
        ),
    ];
    for (path, token, body) in requests {
        let send = || {
            app.call_raw(
                Method::POST,
                &path,
                token,
                Some(&body),
                &[("idempotency-key", "once")],
            )
        };
        let first = send().await;
        assert_eq!(
            first.status,
            StatusCode::CREATED,
            "{path}: {:?}",
            first.json()
        );
        // Had the answer been stored apart from the work, the retry would find the key
        // running (409) for a day while the work stands.
        let retry = send().await;
        assert_eq!(
            retry.status,
            StatusCode::CREATED,
            "{path}: {:?}",
            retry.json()
        );
        assert_eq!(retry.bytes, first.bytes, "{path}");
    }
}
