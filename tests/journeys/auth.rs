//! Registration, login and its limit, logout, password recovery.

use serde_json::{Value, json};
use vodokanal_e2e::demo::{EMAIL, PASSWORD, PHONE, PHONE_E164};
use vodokanal_e2e::{Backend, Response, Server, e164};

const NEW_PASSWORD: &str = "Novyi-parol-2026!";

/// A registered phone other than the demo subscriber's, and one that nobody registered.
const OTHER_PHONE: &str = "8 915 123 45 67";
const OTHER_EMAIL: &str = "maria.ivanova@example.ru";
const UNKNOWN_PHONE: &str = "+7 916 000 11 22";

async fn register_confirm_and_log_in_by_phone_or_email(backend: Backend) {
    let server = Server::start(backend).await;

    let refused = server.request_registration(PHONE, EMAIL, false).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.fields(), ["consent_personal_data"]);
    assert!(server.sms_to(PHONE_E164).is_empty());
    let response = server
        .request_registration(PHONE, EMAIL, true)
        .await
        .expect(202);
    assert_eq!(response.json()["resend_after"], 180);
    assert_eq!(response.json()["expires_in"], 600);
    let code = server.last_code(PHONE_E164).await;

    let response = server
        .api(
            "POST",
            "/auth/registration/confirm",
            None,
            &json!({"phone": "89109845003", "code": code, "password": PASSWORD}),
        )
        .await
        .expect(201);
    assert_eq!(response.content_type(), "application/json; charset=utf-8");
    let confirmed = response.json();
    assert_eq!(confirmed["user"]["phone"], PHONE_E164);
    assert_eq!(confirmed["user"]["email"], EMAIL);
    assert!(confirmed["expires_at"].is_string(), "{confirmed}");
    let token = confirmed["token"].as_str().unwrap();

    // The code confirms once.
    server
        .api(
            "POST",
            "/auth/registration/confirm",
            None,
            &json!({"phone": PHONE, "code": code, "password": PASSWORD}),
        )
        .await
        .assert_problem(422, "code_invalid");

    let response = server
        .api("GET", "/profile", Some(token), &Value::Null)
        .await
        .expect(200);
    assert_eq!(response.json()["phone"], PHONE_E164);
    assert_eq!(response.json()["email"], EMAIL);

    for login in ["9109845003", "79109845003", "+7 910 984 50 03"] {
        let response = server.login(login, PASSWORD).await;
        assert_eq!(response.status, 200, "{login}: {}", response.body);
        assert_eq!(response.json()["user"]["phone"], PHONE_E164);
    }
    let response = server
        .login(&EMAIL.to_uppercase(), PASSWORD)
        .await
        .expect(200);
    assert_eq!(response.json()["user"]["email"], EMAIL);

    server
        .login(EMAIL, "not-the-password")
        .await
        .assert_problem(401, "invalid_credentials");
    server
        .login(UNKNOWN_PHONE, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    // A registered phone gets the same 202, an SMS that points to recovery, and no code; the
    // e-mail of another user is refused at the confirm step.
    let again = server
        .request_registration(PHONE, OTHER_EMAIL, true)
        .await
        .expect(202);
    assert_eq!(again.json(), response_of_a_fresh_request(&server).await);
    let text = server.next_sms(PHONE_E164).await;
    assert!(text.contains("восстановлением пароля"), "{text}");
    server
        .request_registration(OTHER_PHONE, EMAIL, true)
        .await
        .expect(202);
    let code = server.last_code(&e164(OTHER_PHONE)).await;
    server
        .api(
            "POST",
            "/auth/registration/confirm",
            None,
            &json!({"phone": OTHER_PHONE, "code": code, "password": PASSWORD}),
        )
        .await
        .assert_problem(409, "email_taken");
}

/// The answer to a registration of a phone nobody asked a code for.
async fn response_of_a_fresh_request(server: &Server) -> Value {
    server
        .request_registration(UNKNOWN_PHONE, "new@example.ru", true)
        .await
        .expect(202)
        .json()
}

async fn the_login_limit_answers_429_with_retry_after(backend: Backend) {
    let server = Server::start(backend).await;
    server.register(PHONE, EMAIL, PASSWORD).await;

    // Ten failures in any form of the phone count together.
    for (n, login) in ["89109845003", PHONE_E164]
        .iter()
        .cycle()
        .take(10)
        .enumerate()
    {
        let response = server.login(login, "wrong-password").await;
        assert_eq!(
            (response.status, response.code().as_str()),
            (401, "invalid_credentials"),
            "failure {n}: {}",
            response.body
        );
    }
    let limited = server.login(PHONE, PASSWORD).await;
    limited.assert_problem(429, "too_many_requests");
    let retry_after = limited.retry_after();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");

    // The limit is per user: the e-mail of the same subscriber is refused too.
    server
        .login(EMAIL, PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");

    // An unknown login is limited alike, under its own key.
    for _ in 0..10 {
        server
            .login(UNKNOWN_PHONE, "wrong-password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let unknown = server.login(UNKNOWN_PHONE, PASSWORD).await;
    unknown.assert_problem(429, "too_many_requests");
    assert!((1..=15 * 60).contains(&unknown.retry_after()));
}

async fn logging_out_ends_the_session(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let other = server.token(EMAIL, PASSWORD).await;

    let response = server
        .api("POST", "/auth/logout", Some(&token), &Value::Null)
        .await
        .expect(204);
    assert!(response.body.is_empty(), "{}", response.body);
    let refused = server
        .api("GET", "/profile", Some(&token), &Value::Null)
        .await;
    refused.assert_problem(401, "unauthorized");
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    server
        .api("POST", "/auth/logout", Some(&token), &Value::Null)
        .await
        .assert_problem(401, "unauthorized");
    server
        .api("GET", "/profile", None, &Value::Null)
        .await
        .assert_problem(401, "unauthorized");

    // The other session goes on.
    server
        .api("GET", "/profile", Some(&other), &Value::Null)
        .await
        .expect(200);
}

/// Requests a reset code for `phone`: the response.
async fn request_reset(server: &Server, phone: &str) -> Response {
    server
        .api(
            "POST",
            "/auth/password-reset",
            None,
            &json!({"phone": phone}),
        )
        .await
}

/// Confirms a reset: the response.
async fn confirm_reset(server: &Server, phone: &str, code: &str, password: &str) -> Response {
    server
        .api(
            "POST",
            "/auth/password-reset/confirm",
            None,
            &json!({"phone": phone, "code": code, "new_password": password}),
        )
        .await
}

async fn a_password_reset_answers_alike_and_ends_every_session(backend: Backend) {
    let server = Server::start(backend).await;
    let registered = server.register(PHONE, EMAIL, PASSWORD).await;
    let logged_in = server.token(EMAIL, PASSWORD).await;

    // A registered and an unknown phone get the same answer; only the first gets an SMS.
    let known = request_reset(&server, PHONE).await.expect(202);
    let unknown = request_reset(&server, UNKNOWN_PHONE).await.expect(202);
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.json()["resend_after"], 180);
    let code = server.last_code(PHONE_E164).await;
    // Sent by the same sender as the code above, so it would be there by now.
    assert!(server.sms_to(&e164(UNKNOWN_PHONE)).is_empty());
    let sent = server.sms_to(PHONE_E164).len();

    // A second request within 180 s is refused alike for both, with Retry-After.
    for phone in [PHONE, UNKNOWN_PHONE] {
        let early = request_reset(&server, phone).await;
        early.assert_problem(429, "too_many_requests");
        assert!((1..=180).contains(&early.retry_after()), "{phone}");
    }
    assert_eq!(
        server.sms_to(PHONE_E164).len(),
        sent,
        "no new code was queued"
    );

    // The code is bound to its phone; a weak password is refused before the code is tried.
    confirm_reset(&server, UNKNOWN_PHONE, &code, NEW_PASSWORD)
        .await
        .assert_problem(422, "code_invalid");
    let weak = confirm_reset(&server, PHONE, &code, "12345678").await;
    weak.assert_problem(422, "validation_failed");
    assert_eq!(weak.fields(), ["new_password"]);

    let response = confirm_reset(&server, PHONE, &code, NEW_PASSWORD)
        .await
        .expect(204);
    assert!(response.body.is_empty(), "{}", response.body);
    confirm_reset(&server, PHONE, &code, NEW_PASSWORD)
        .await
        .assert_problem(422, "code_invalid");

    for token in [&registered, &logged_in] {
        server
            .api("GET", "/profile", Some(token), &Value::Null)
            .await
            .assert_problem(401, "unauthorized");
    }
    server
        .login(PHONE, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let token = server.token(PHONE, NEW_PASSWORD).await;
    server
        .api("GET", "/profile", Some(&token), &Value::Null)
        .await
        .expect(200);
}

async fn five_wrong_codes_void_a_reset_code(backend: Backend) {
    let server = Server::start(backend).await;
    server.register(PHONE, EMAIL, PASSWORD).await;
    request_reset(&server, PHONE).await.expect(202);
    let code = server.last_code(PHONE_E164).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for _ in 0..5 {
        confirm_reset(&server, PHONE, wrong, NEW_PASSWORD)
            .await
            .assert_problem(422, "code_invalid");
    }
    confirm_reset(&server, PHONE, &code, NEW_PASSWORD)
        .await
        .assert_problem(422, "code_invalid");
    server.login(PHONE, PASSWORD).await.expect(200);
    server
        .login(PHONE, NEW_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}

vodokanal_e2e::journeys!(
    register_confirm_and_log_in_by_phone_or_email,
    the_login_limit_answers_429_with_retry_after,
    logging_out_ends_the_session,
    a_password_reset_answers_alike_and_ends_every_session,
    five_wrong_codes_void_a_reset_code,
);
