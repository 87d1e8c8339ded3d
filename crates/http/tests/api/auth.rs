//! Registration, login, logout, recovery, profile.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::{Method, StatusCode, header};
use serde_json::json;
use vodokanal_app::ports::{Clock, SmsError, SmsGateway};
use vodokanal_app::sms::{DeliverSms, DeliveryPolicy};
use vodokanal_domain::MobilePhone;

use crate::harness::{App, EMAIL, PASSWORD, PHONE, now};

#[tokio::test]
async fn registration_answers_and_sends_a_code() {
    let app = App::new().await;
    let sent = app
        .post(
            "/api/v1/auth/registration",
            None,
            json!({"phone": "8 910 984-50-03", "email": "Abonent@Example.ru", "consent_personal_data": true}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    assert_eq!(sent.json(), json!({"resend_after": 180, "expires_in": 600}));
    assert_eq!(app.sms_to(PHONE).await.len(), 1);

    let again = app
        .post(
            "/api/v1/auth/registration",
            None,
            json!({"phone": PHONE, "email": EMAIL, "consent_personal_data": true}),
        )
        .await;
    again.problem(429, "too_many_requests");
    assert_eq!(again.headers[header::RETRY_AFTER], "180");

    let wrong = app
        .post(
            "/api/v1/auth/registration/confirm",
            None,
            json!({"phone": PHONE, "code": "000000", "password": PASSWORD}),
        )
        .await;
    wrong.problem(422, "code_invalid");

    let confirmed = app
        .post(
            "/api/v1/auth/registration/confirm",
            None,
            json!({"phone": PHONE, "code": "123456", "password": PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::CREATED);
    let body = confirmed.json();
    assert!(body["token"].as_str().is_some_and(|t| t.len() >= 40));
    assert!(body["expires_at"].is_string());
    assert_eq!(body["user"], json!({"phone": PHONE, "email": EMAIL}));
}

#[tokio::test]
async fn registration_refusals() {
    let app = App::new().await;
    let no_consent = app
        .post(
            "/api/v1/auth/registration",
            None,
            json!({"phone": PHONE, "email": EMAIL, "consent_personal_data": false}),
        )
        .await;
    assert_eq!(no_consent.bad_fields(), ["consent_personal_data"]);
    let landline = app
        .post(
            "/api/v1/auth/registration",
            None,
            json!({"phone": "+74932939393", "email": "nope", "consent_personal_data": "yes"}),
        )
        .await;
    assert_eq!(
        landline.bad_fields(),
        ["phone", "email", "consent_personal_data"]
    );
    let weak = app
        .post(
            "/api/v1/auth/registration/confirm",
            None,
            json!({"phone": PHONE, "code": "12345", "password": "12345678"}),
        )
        .await;
    assert_eq!(weak.bad_fields(), ["code", "password"]);
}

#[tokio::test]
async fn an_e_mail_of_another_user_is_taken() {
    let app = App::new().await;
    app.register().await;
    app.post(
        "/api/v1/auth/registration",
        None,
        json!({"phone": "+79161234567", "email": EMAIL, "consent_personal_data": true}),
    )
    .await;
    let taken = app
        .post(
            "/api/v1/auth/registration/confirm",
            None,
            json!({"phone": "+79161234567", "code": "123456", "password": PASSWORD}),
        )
        .await;
    taken.problem(409, "email_taken");
}

#[tokio::test]
async fn login_logout_and_the_bearer_token() {
    let app = App::new().await;
    app.register().await;
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "89109845003", "password": "not-my-password"}),
        )
        .await;
    wrong.problem(401, "invalid_credentials");
    let by_phone = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "8 (910) 984-50-03", "password": PASSWORD}),
        )
        .await;
    assert_eq!(by_phone.status, StatusCode::OK);
    assert_eq!(by_phone.json()["user"]["phone"], PHONE);
    let by_email = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "ABONENT@example.ru", "password": PASSWORD}),
        )
        .await;
    assert_eq!(by_email.status, StatusCode::OK);
    let token = by_email.json()["token"].as_str().unwrap().to_owned();

    assert_eq!(
        app.get("/api/v1/profile", Some(&token)).await.status,
        StatusCode::OK
    );
    let out = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let gone = app.get("/api/v1/profile", Some(&token)).await;
    gone.problem(401, "unauthorized");
    assert_eq!(gone.headers[header::WWW_AUTHENTICATE], "Bearer");
}

#[tokio::test]
async fn no_token_or_a_bad_one_is_401() {
    let app = App::new().await;
    for path in [
        "/api/v1/profile",
        "/api/v1/accounts",
        "/api/v1/visit-requests",
    ] {
        let none = app.get(path, None).await;
        none.problem(401, "unauthorized");
        assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
        app.get(path, Some("bm90LWEtdG9rZW4"))
            .await
            .problem(401, "unauthorized");
        app.call_raw(
            Method::GET,
            path,
            None,
            None,
            &[("authorization", "Basic eDp5")],
        )
        .await
        .problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn login_failures_are_limited_with_retry_after() {
    let app = App::new().await;
    app.register().await;
    for _ in 0..10 {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"login": PHONE, "password": "wrong-password"}),
        )
        .await
        .problem(401, "invalid_credentials");
    }
    let limited = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": PHONE, "password": PASSWORD}),
        )
        .await;
    limited.problem(429, "too_many_requests");
    let seconds: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds > 0);
}

#[tokio::test]
async fn password_reset_answers_alike_and_ends_sessions() {
    let app = App::new().await;
    let token = app.register().await;
    let unknown = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"phone": "+79161234567"}),
        )
        .await;
    let known = app
        .post("/api/v1/auth/password-reset", None, json!({"phone": PHONE}))
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(unknown.bytes, known.bytes);
    let expired_or_wrong = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"phone": PHONE, "code": "654321", "new_password": "new-password-77"}),
        )
        .await;
    expired_or_wrong.problem(422, "code_invalid");
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"phone": PHONE, "code": "123456", "new_password": "new-password-77"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/profile", Some(&token))
        .await
        .problem(401, "unauthorized");
}

#[tokio::test]
async fn the_profile_can_be_seen_changed_and_deleted() {
    let app = App::new().await;
    let token = app.register().await;
    let profile = app.get("/api/v1/profile", Some(&token)).await;
    assert_eq!(profile.status, StatusCode::OK);
    let body = profile.json();
    assert_eq!(body["phone"], PHONE);
    assert_eq!(body["email"], EMAIL);
    assert_eq!(body["created_at"], "2026-11-16T09:00:00Z");

    let wrong = app
        .post(
            "/api/v1/profile/password",
            Some(&token),
            json!({"current_password": "nope-nope", "new_password": "another-pass-1"}),
        )
        .await;
    wrong.problem(401, "invalid_credentials");
    let changed = app
        .post(
            "/api/v1/profile/password",
            Some(&token),
            json!({"current_password": PASSWORD, "new_password": "another-pass-1"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);

    let refused = app
        .call(
            Method::DELETE,
            "/api/v1/profile",
            Some(&token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    refused.problem(401, "invalid_credentials");
    let deleted = app
        .call(
            Method::DELETE,
            "/api/v1/profile",
            Some(&token),
            Some(json!({"password": "another-pass-1"})),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/profile", Some(&token))
        .await
        .problem(401, "unauthorized");
}

/// A gateway that answers with the outcomes it is given, in order, then is down.
#[derive(Debug)]
struct Scripted(Mutex<VecDeque<Result<(), SmsError>>>);

#[async_trait]
impl SmsGateway for Scripted {
    async fn send(
        &self,
        _to: &MobilePhone,
        _text: &str,
        _client_ip: Option<IpAddr>,
    ) -> Result<(), SmsError> {
        self.0
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Err(SmsError::Unavailable("no money".into())))
    }
}

#[derive(Debug)]
struct Later(chrono::DateTime<chrono::Utc>);

impl Clock for Later {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

#[tokio::test]
async fn a_gateway_failure_is_the_senders_not_the_subscribers() {
    let app = App::new().await;
    let request = || {
        app.post(
            "/api/v1/auth/registration",
            None,
            json!({"phone": PHONE, "email": EMAIL, "consent_personal_data": true}),
        )
    };
    // The request answers before the gateway is asked.
    let sent = request().await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{:?}", sent.json());
    assert_eq!(sent.json(), json!({"resend_after": 180, "expires_in": 600}));

    // The gateway is down: the sender keeps the message for a retry; the code stands, so the
    // pause runs.
    let gateway = Arc::new(Scripted(Mutex::new(VecDeque::from([Err(
        SmsError::Unavailable("no money".into()),
    )]))));
    let outbox = app.stores.outbox.clone();
    let sender = |gateway: Arc<Scripted>, at| {
        DeliverSms::new(
            outbox.clone(),
            gateway,
            Arc::new(Later(at)),
            DeliveryPolicy::default(),
        )
    };
    let first = sender(gateway.clone(), now()).execute().await.unwrap();
    assert_eq!(first.retried, 1);
    request().await.problem(429, "too_many_requests");

    // Once the gateway answers, the retry delivers the message.
    let answering = Arc::new(Scripted(Mutex::new(VecDeque::from([Ok(())]))));
    let later = now() + chrono::TimeDelta::seconds(5);
    let second = sender(answering.clone(), later).execute().await.unwrap();
    assert_eq!(second.sent, 1);
    assert!(answering.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_logins() {
    let app = App::new().await;
    let token = app.register().await;
    for _ in 0..10 {
        app.post(
            "/api/v1/profile/password",
            Some(&token),
            json!({"current_password": "nope-nope", "new_password": "another-pass-1"}),
        )
        .await
        .problem(401, "invalid_credentials");
    }
    // The right password no longer helps: neither here nor at the login of the same phone.
    let limited = app
        .post(
            "/api/v1/profile/password",
            Some(&token),
            json!({"current_password": PASSWORD, "new_password": "another-pass-1"}),
        )
        .await;
    limited.problem(429, "too_many_requests");
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"login": PHONE, "password": PASSWORD}),
    )
    .await
    .problem(429, "too_many_requests");
}

#[tokio::test]
async fn wrong_passwords_at_profile_deletion_count_as_failed_logins() {
    let app = App::new().await;
    let token = app.register().await;
    let delete = |password: &'static str| {
        app.call(
            Method::DELETE,
            "/api/v1/profile",
            Some(&token),
            Some(json!({"password": password})),
        )
    };
    for _ in 0..10 {
        delete("nope-nope")
            .await
            .problem(401, "invalid_credentials");
    }
    let limited = delete(PASSWORD).await;
    limited.problem(429, "too_many_requests");
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    // Nothing was deleted.
    assert_eq!(
        app.get("/api/v1/profile", Some(&token)).await.status,
        StatusCode::OK
    );
}
