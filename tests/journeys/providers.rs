//! The real providers' adapters, against mock servers in the test process: SMS codes through
//! SMS.ru (`VODOKANAL_SMS=smsru`), payments through YooKassa or T-Bank, settled by a
//! notification or, when it is lost, by `vodokanal reconcile-payments`; forged notifications
//! change nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::DateTime;
use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, DEBT, EMAIL, PASSWORD, PHONE, PHONE_E164};
use vodokanal_e2e::{Backend, Deployment, Response, Server, code_in};
use vodokanal_payments::tbank_token;
use wiremock::matchers::{
    basic_auth, body_partial_json, body_string_contains, header_exists, method, path,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A YooKassa notification's source: in its published networks, and outside them.
const YOOKASSA_ADDRESS: &str = "185.71.76.10";
const FOREIGN_ADDRESS: &str = "203.0.113.7";

const SMSRU_API_ID: &str = "e2e-api-id";
const SHOP_ID: &str = "506751";
const SECRET_KEY: &str = "test_e2e-secret";
const TERMINAL_KEY: &str = "1321054611234DEMO";
const TBANK_PASSWORD: &str = "e2e-password";

/// The settings as `Deployment::start_with` and `Deployment::run` take them.
fn env<'a>(settings: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// The form fields of a request.
fn form(request: &Request) -> HashMap<String, String> {
    form_urlencoded::parse(&request.body).into_owned().collect()
}

/// SMS.ru, accepting every message (or refusing the numbers it is told to).
struct SmsRu(MockServer);

/// How long an SMS may take to reach SMS.ru: the server's sender looks every second, and a
/// retry after a stalled gateway waits its backoff.
const SMS_TIMEOUT: Duration = Duration::from_secs(60);

impl SmsRu {
    async fn start() -> Self {
        let server = MockServer::start().await;
        Self::accept(&server).await;
        Self(server)
    }

    /// Accepts every message.
    async fn accept(server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/sms/send"))
            .respond_with(|request: &Request| {
                let to = form(request).remove("to").unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(json!({
                    "status": "OK",
                    "status_code": 100,
                    "sms": {to: {"status": "OK", "status_code": 100, "sms_id": "000000-10000000"}},
                    "balance": 4122.56,
                }))
            })
            .with_priority(2)
            .mount(server)
            .await;
    }

    /// Answers nothing for `delay`: SMS.ru stalled.
    async fn stall(&self, delay: Duration) {
        self.0.reset().await;
        Mock::given(method("POST"))
            .and(path("/sms/send"))
            .respond_with(ResponseTemplate::new(200).set_delay(delay))
            .mount(&self.0)
            .await;
    }

    /// Answers at once again (and forgets what it received while stalled).
    async fn recover(&self) {
        self.0.reset().await;
        Self::accept(&self.0).await;
    }

    /// Waits for a message to `number` (`79…`): its form.
    async fn message_to(&self, number: &str) -> HashMap<String, String> {
        let deadline = Instant::now() + SMS_TIMEOUT;
        loop {
            let messages = self.messages().await;
            if let Some(message) = messages.iter().rev().find(|m| m["to"] == number) {
                return message.clone();
            }
            assert!(
                Instant::now() < deadline,
                "SMS.ru received nothing to {number} within {SMS_TIMEOUT:?}: {messages:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VODOKANAL_SMS", "smsru".into()),
            ("VODOKANAL_SMSRU_API_ID", SMSRU_API_ID.into()),
            ("VODOKANAL_SMSRU_URL", self.0.uri()),
        ]
    }

    /// Answers a message to `number` (`79…`) with SMS.ru's "wrong number" (202).
    async fn refuse(&self, number: &str) {
        Mock::given(method("POST"))
            .and(path("/sms/send"))
            .and(body_string_contains(format!("to={number}&")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "OK",
                "status_code": 100,
                "sms": {number: {"status": "ERROR", "status_code": 202, "status_text": "Неправильно указан номер"}},
                "balance": 4122.56,
            })))
            .with_priority(1)
            .mount(&self.0)
            .await;
    }

    /// The forms of the messages received, oldest first.
    async fn messages(&self) -> Vec<HashMap<String, String>> {
        self.0
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(form)
            .collect()
    }

    /// The code of the last message to `phone` (E.164), once there is one.
    async fn last_code(&self, phone: &str) -> String {
        let message = self.message_to(phone.trim_start_matches('+')).await;
        code_in(&message["msg"])
    }
}

/// Registers the demo subscriber with the code SMS.ru was asked to send, links the demo
/// account; the token.
async fn linked_subscriber(server: &Server, sms: &SmsRu) -> String {
    server
        .request_registration(PHONE, EMAIL, true)
        .await
        .expect(202);
    let code = sms.last_code(PHONE_E164).await;
    let token = server.confirm_registration(PHONE, &code, PASSWORD).await;
    server.link_demo_account(&token).await;
    token
}

/// A payment of 234.50 for water from the cabinet: the payment.
async fn pay(server: &Server, token: &str) -> Value {
    let payment = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            Some(token),
            &json!({"purpose": "water", "amount": "234.50"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(payment["status"], "pending", "{payment}");
    payment
}

/// The payment's status as `GET /payments/{id}` tells it.
async fn status(server: &Server, payment: &Value) -> String {
    server
        .get(
            &format!("/payments/{}", payment["id"].as_str().unwrap()),
            None,
        )
        .await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// YooKassa: creates every payment as pending (its id `yk-` and ours, the idempotence key),
/// and reports the payments it is told have succeeded.
struct YooKassa(MockServer);

impl YooKassa {
    async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/payments"))
            .and(basic_auth(SHOP_ID, SECRET_KEY))
            .and(header_exists("Idempotence-Key"))
            .respond_with(|request: &Request| {
                let key = request.headers["idempotence-key"].to_str().unwrap();
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                ResponseTemplate::new(200).set_body_json(json!({
                    "id": format!("yk-{key}"),
                    "status": "pending",
                    "paid": false,
                    "amount": body["amount"],
                    "confirmation": {
                        "type": "redirect",
                        "confirmation_url": Self::confirmation_url(key),
                    },
                    "created_at": "2025-06-02T09:15:00.000Z",
                    "test": true,
                }))
            })
            .mount(&server)
            .await;
        Self(server)
    }

    fn confirmation_url(key: &str) -> String {
        format!("https://yoomoney.ru/checkout/payments/v2/contract?orderId=yk-{key}")
    }

    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VODOKANAL_PAYMENTS", "yookassa".into()),
            ("VODOKANAL_YOOKASSA_SHOP_ID", SHOP_ID.into()),
            ("VODOKANAL_YOOKASSA_SECRET_KEY", SECRET_KEY.into()),
            ("VODOKANAL_YOOKASSA_URL", self.0.uri()),
        ]
    }

    /// From now on, reports our `payment` as succeeded.
    async fn succeed(&self, payment: &Value) {
        let id = format!("yk-{}", payment["id"].as_str().unwrap());
        // Paid now: a payment before the registry's balance date would be in the debt already.
        let now = DateTime::from_timestamp(
            i64::try_from(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap(),
            0,
        )
        .unwrap()
        .to_rfc3339();
        Mock::given(method("GET"))
            .and(path(format!("/payments/{id}")))
            .and(basic_auth(SHOP_ID, SECRET_KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": id,
                "status": "succeeded",
                "paid": true,
                "amount": {"value": payment["amount"], "currency": "RUB"},
                "created_at": now,
                "captured_at": now,
            })))
            .mount(&self.0)
            .await;
    }

    /// The requests received with `method`.
    async fn received(&self, method: &str) -> Vec<Request> {
        let mut requests = self.0.received_requests().await.unwrap();
        requests.retain(|request| request.method.as_str() == method);
        requests
    }
}

/// A YooKassa server (`VODOKANAL_YOOKASSA_NOTIFY_NETS` left at the published networks) behind
/// a trusted proxy at 127.0.0.1, where the test client connects from: the source of a
/// notification is its `X-Forwarded-For`.
fn yookassa_settings(sms: &SmsRu, yookassa: &YooKassa) -> Vec<(&'static str, String)> {
    let mut settings = sms.settings();
    settings.extend(yookassa.settings());
    settings.push(("VODOKANAL_TRUSTED_PROXIES", "127.0.0.1/32".into()));
    settings
}

/// YooKassa's notification that `payment` succeeded, from `source` (`X-Forwarded-For`).
async fn notify_yookassa(server: &Server, payment: &Value, source: Option<&str>) -> Response {
    let id = format!("yk-{}", payment["id"].as_str().unwrap());
    let mut request = server
        .request("POST", "/api/v1/payments/notifications/yookassa")
        .json(&json!({
            "type": "notification",
            "event": "payment.succeeded",
            "object": {"id": id, "status": "succeeded", "paid": true,
                       "amount": {"value": payment["amount"], "currency": "RUB"}},
        }));
    if let Some(source) = source {
        request = request.header("X-Forwarded-For", source);
    }
    request.send().await
}

/// A handled notification: `200 OK`, as the providers expect.
fn assert_handled(response: &Response) {
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "OK"),
        "{}",
        response.body
    );
}

async fn registration_codes_go_through_sms_ru(backend: Backend) {
    let sms = SmsRu::start().await;
    let deployment = Deployment::new(backend).await;
    let server = deployment.start_with(&env(&sms.settings())).await;

    server
        .request_registration(PHONE, EMAIL, true)
        .await
        .expect(202);
    let message = &sms.message_to(PHONE_E164.trim_start_matches('+')).await;
    let messages = sms.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(message["api_id"], SMSRU_API_ID);
    assert_eq!(message["to"], PHONE_E164.trim_start_matches('+'));
    assert_eq!(message["json"], "1");
    assert_eq!(message["ip"], "127.0.0.1");
    let code = code_in(&message["msg"]);
    assert!(
        server.sms_to(PHONE_E164).is_empty(),
        "the log gateway's outbox was used"
    );

    let token = server.confirm_registration(PHONE, &code, PASSWORD).await;
    assert_eq!(server.get("/profile", Some(&token)).await["email"], EMAIL);
    server.token(PHONE, PASSWORD).await;
    server.token(EMAIL, PASSWORD).await;

    // A number SMS.ru refuses gets the answer of any other: what the gateway says is the
    // background sender's (logged for the operator), never the request's.
    sms.refuse("79001112233").await;
    server
        .request_registration("+7 900 111-22-33", "other@example.ru", true)
        .await
        .expect(202);
    sms.message_to("79001112233").await;
}

/// The median of some durations.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn a_reset_answers_alike_in_time_and_body_while_sms_ru_is_stalled(backend: Backend) {
    const ROUNDS: usize = 5;
    let sms = SmsRu::start().await;
    let deployment = Deployment::new(backend).await;
    let server = deployment.start_with(&env(&sms.settings())).await;
    let registered: Vec<String> = (0..ROUNDS).map(|i| format!("+7900000001{i}")).collect();
    let unknown: Vec<String> = (0..ROUNDS).map(|i| format!("+7900000002{i}")).collect();
    for (i, phone) in registered.iter().enumerate() {
        server
            .request_registration(phone, &format!("reset{i}@example.ru"), true)
            .await
            .expect(202);
        let code = sms.last_code(phone).await;
        server.confirm_registration(phone, &code, PASSWORD).await;
    }

    // SMS.ru answers nothing for longer than the test's requests take.
    sms.stall(Duration::from_secs(30)).await;
    let reset = |phone: &str| {
        let body = json!({"phone": phone});
        let server = &server;
        async move {
            let started = Instant::now();
            let response = server
                .api("POST", "/auth/password-reset", None, &body)
                .await;
            (started.elapsed(), response)
        }
    };
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for (known, stranger) in registered.iter().zip(&unknown) {
        let (known_time, known_answer) = reset(known).await;
        let (unknown_time, unknown_answer) = reset(stranger).await;
        assert_eq!(known_answer.status, unknown_answer.status);
        assert_eq!(known_answer.body, unknown_answer.body);
        known_answer.expect(202);
        known_times.push(known_time);
        unknown_times.push(unknown_time);
    }
    let (known, stranger) = (median(known_times), median(unknown_times));
    assert!(
        known.abs_diff(stranger) <= Duration::from_millis(50),
        "registered {known:?}, unknown {stranger:?}"
    );

    // Once SMS.ru answers, every reset code arrives (the sender retried), and it works.
    sms.recover().await;
    for phone in &registered {
        let code = sms.last_code(phone).await;
        server
            .api(
                "POST",
                "/auth/password-reset/confirm",
                None,
                &json!({"phone": phone, "code": code, "new_password": "новый пароль у реки"}),
            )
            .await
            .expect(204);
    }
    for phone in &unknown {
        let number = phone.trim_start_matches('+');
        assert!(sms.messages().await.iter().all(|m| m["to"] != number));
    }
}

async fn a_yookassa_payment_is_settled_by_its_notification_once(backend: Backend) {
    let (sms, yookassa) = (SmsRu::start().await, YooKassa::start().await);
    let mut settings = yookassa_settings(&sms, &yookassa);
    settings.push(("VODOKANAL_RECEIPTS", "on".into()));
    let server = Deployment::new(backend)
        .await
        .start_with(&env(&settings))
        .await;
    let token = linked_subscriber(&server, &sms).await;
    assert_eq!(server.demo_debt(&token).await, DEBT);

    let payment = pay(&server, &token).await;
    let id = payment["id"].as_str().unwrap();
    assert_eq!(payment["confirmation_url"], YooKassa::confirmation_url(id));
    let created = yookassa.received("POST").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].headers["idempotence-key"], id);
    let body: Value = serde_json::from_slice(&created[0].body).unwrap();
    assert_eq!(
        body["amount"],
        json!({"value": "234.50", "currency": "RUB"}),
        "{body}"
    );
    assert_eq!(body["capture"], true);
    assert_eq!(body["confirmation"]["type"], "redirect");
    assert!(body["confirmation"]["return_url"].is_string(), "{body}");
    assert_eq!(
        body["metadata"],
        json!({"account": ACCOUNT, "purpose": "water", "payment_id": id})
    );
    // The address is not verified yet (docs/notices.md): the receipt goes to the phone.
    assert_eq!(
        body["receipt"]["customer"],
        json!({"phone": PHONE_E164.trim_start_matches('+')})
    );
    assert_eq!(body["receipt"]["items"][0]["amount"], body["amount"]);

    yookassa.succeed(&payment).await;
    for _ in 0..2 {
        assert_handled(&notify_yookassa(&server, &payment, Some(YOOKASSA_ADDRESS)).await);
        assert_eq!(status(&server, &payment).await, "succeeded");
        assert_eq!(server.demo_debt(&token).await, "1000.00");
    }
}

async fn a_forged_yookassa_notification_changes_nothing(backend: Backend) {
    let (sms, yookassa) = (SmsRu::start().await, YooKassa::start().await);
    let server = Deployment::new(backend)
        .await
        .start_with(&env(&yookassa_settings(&sms, &yookassa)))
        .await;
    let token = linked_subscriber(&server, &sms).await;
    let payment = pay(&server, &token).await;
    // Were the notification believed, the provider's answer would settle the payment.
    yookassa.succeed(&payment).await;

    for source in [Some(FOREIGN_ADDRESS), None] {
        notify_yookassa(&server, &payment, source)
            .await
            .assert_problem(403, "forbidden");
    }
    assert!(
        yookassa.received("GET").await.is_empty(),
        "the provider was asked"
    );
    assert_eq!(status(&server, &payment).await, "pending");
    assert_eq!(server.demo_debt(&token).await, DEBT);

    // The same notification from YooKassa's network is believed.
    assert_handled(&notify_yookassa(&server, &payment, Some(YOOKASSA_ADDRESS)).await);
    assert_eq!(server.demo_debt(&token).await, "1000.00");
}

async fn a_lost_yookassa_notification_is_settled_by_reconciliation(backend: Backend) {
    let (sms, yookassa) = (SmsRu::start().await, YooKassa::start().await);
    let settings = yookassa_settings(&sms, &yookassa);
    let deployment = Deployment::new(backend).await;
    let server = deployment.start_with(&env(&settings)).await;
    let token = linked_subscriber(&server, &sms).await;
    let payment = pay(&server, &token).await;
    yookassa.succeed(&payment).await;
    // No notification comes; the server's own reconciliation waits 10 minutes.
    assert_eq!(status(&server, &payment).await, "pending");

    let mut once = settings.clone();
    once.push(("VODOKANAL_RECONCILE_AFTER", "0".into()));
    let report = deployment.run("reconcile-payments", &env(&once)).await;
    assert!(report.contains("checked: 1\nsucceeded: 1\n"), "{report}");
    assert_eq!(yookassa.received("GET").await.len(), 1);
    assert_eq!(status(&server, &payment).await, "succeeded");
    assert_eq!(server.demo_debt(&token).await, "1000.00");

    let report = deployment.run("reconcile-payments", &env(&once)).await;
    assert!(report.contains("checked: 0\n"), "{report}");
    assert_eq!(server.demo_debt(&token).await, "1000.00");
}

/// T-Bank's id of the one payment of a journey.
const TBANK_PAYMENT_ID: u64 = 6_155_312_072;
/// What [`pay`] pays, in kopecks.
const KOPECKS: u64 = 23_450;

/// T-Bank: `Init` opens a form; `GetState` says the payment of [`KOPECKS`] is confirmed.
async fn t_bank() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Init"))
        .and(body_partial_json(json!({"TerminalKey": TERMINAL_KEY})))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            ResponseTemplate::new(200).set_body_json(json!({
                "Success": true,
                "ErrorCode": "0",
                "TerminalKey": TERMINAL_KEY,
                "Status": "NEW",
                "PaymentId": TBANK_PAYMENT_ID.to_string(),
                "OrderId": body["OrderId"],
                "Amount": body["Amount"],
                "PaymentURL": format!("https://securepay.tinkoff.ru/new/{TBANK_PAYMENT_ID}"),
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/GetState"))
        .and(body_partial_json(
            json!({"TerminalKey": TERMINAL_KEY, "PaymentId": TBANK_PAYMENT_ID.to_string()}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Success": true,
            "ErrorCode": "0",
            "TerminalKey": TERMINAL_KEY,
            "Status": "CONFIRMED",
            "PaymentId": TBANK_PAYMENT_ID.to_string(),
            "Amount": KOPECKS,
        })))
        .mount(&server)
        .await;
    server
}

/// T-Bank's notification that `payment` is confirmed, signed with `password`.
async fn notify_t_bank(server: &Server, payment: &Value, password: &str) -> Response {
    let Value::Object(mut fields) = json!({
        "TerminalKey": TERMINAL_KEY,
        "OrderId": payment["id"],
        "Success": true,
        "Status": "CONFIRMED",
        "PaymentId": TBANK_PAYMENT_ID,
        "ErrorCode": "0",
        "Amount": KOPECKS,
        "Pan": "430000******0777",
        "ExpDate": "1130",
    }) else {
        unreachable!()
    };
    let signed = tbank_token(&fields, password);
    fields.insert("Token".into(), signed.into());
    server
        .request("POST", "/api/v1/payments/notifications/tbank")
        .json(&Value::Object(fields))
        .send()
        .await
}

async fn a_forged_t_bank_notification_changes_nothing(backend: Backend) {
    let (sms, tbank) = (SmsRu::start().await, t_bank().await);
    let mut settings = sms.settings();
    settings.extend([
        ("VODOKANAL_PAYMENTS", "tbank".into()),
        ("VODOKANAL_TBANK_TERMINAL_KEY", TERMINAL_KEY.into()),
        ("VODOKANAL_TBANK_PASSWORD", TBANK_PASSWORD.into()),
        ("VODOKANAL_TBANK_URL", tbank.uri()),
    ]);
    let server = Deployment::new(backend)
        .await
        .start_with(&env(&settings))
        .await;
    let token = linked_subscriber(&server, &sms).await;
    let payment = pay(&server, &token).await;
    assert_eq!(
        payment["confirmation_url"],
        format!("https://securepay.tinkoff.ru/new/{TBANK_PAYMENT_ID}")
    );
    let init = tbank.received_requests().await.unwrap();
    let Value::Object(init) = serde_json::from_slice::<Value>(&init[0].body).unwrap() else {
        panic!("Init's body is not an object");
    };
    assert_eq!(init["OrderId"], payment["id"]);
    assert_eq!(init["Amount"], KOPECKS);
    assert_eq!(init["Token"], tbank_token(&init, TBANK_PASSWORD));

    let forged = notify_t_bank(&server, &payment, "not-the-password").await;
    forged.assert_problem(403, "forbidden");
    let asked = |requests: Vec<Request>| {
        requests
            .iter()
            .filter(|request| request.url.path() == "/GetState")
            .count()
    };
    assert_eq!(asked(tbank.received_requests().await.unwrap()), 0);
    assert_eq!(status(&server, &payment).await, "pending");
    assert_eq!(server.demo_debt(&token).await, DEBT);

    // Signed with the password, it is believed, and confirmed with GetState.
    assert_handled(&notify_t_bank(&server, &payment, TBANK_PASSWORD).await);
    assert_eq!(asked(tbank.received_requests().await.unwrap()), 1);
    assert_eq!(status(&server, &payment).await, "succeeded");
    assert_eq!(server.demo_debt(&token).await, "1000.00");
}

vodokanal_e2e::journeys!(
    registration_codes_go_through_sms_ru,
    a_reset_answers_alike_in_time_and_body_while_sms_ru_is_stalled,
    a_yookassa_payment_is_settled_by_its_notification_once,
    a_forged_yookassa_notification_changes_nothing,
    a_lost_yookassa_notification_is_settled_by_reconciliation,
    a_forged_t_bank_notification_changes_nothing,
);
