//! Two server processes on one PostgreSQL database (issue 15, point 4), sharing
//! `VODOKANAL_SECRET` as the README says they must, with clients alternating between them or
//! calling both at once: every limit of `docs/security.md` counts once across both, an
//! `Idempotency-Key` gives one result, a meter keeps one reading a period, a payment notified
//! to both settles once, and the background jobs both run (the SMS sender, reconciliation,
//! purge) do each piece of work once.
//!
//! The client networks of the per-network limits are `X-Forwarded-For` addresses (the test's
//! 127.0.0.1 is a trusted proxy), one network per limit, so that the limits don't meet.
#![expect(
    clippy::unwrap_used,
    reason = "a fault test that can't go on fails loudly"
)]

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use serde_json::{Value, json};
use sqlx::Connection as _;
use vodokanal_e2e::demo::{ACCOUNT, COLD, EMAIL, OTHER_METER, PASSWORD, PHONE, PHONE_E164};
use vodokanal_e2e::{Backend, Deployment, Response, Server, e164};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The secret both processes share.
const SECRET: &str = "5f0c2d7a9b14e3c8a6f1d0b2e4c7a9f3b5d8e1c0a2f4b6d9e3c5a7f0b2d4e6c8";

/// How long the SMS sender (every second in each process) may take to deliver a message.
const SMS_TIMEOUT: Duration = Duration::from_secs(15);

/// Two processes on one fresh PostgreSQL database.
struct Pair {
    deployment: Deployment,
    servers: Vec<Server>,
}

impl Pair {
    /// Starts two processes with the shared secret, 127.0.0.1 as a trusted proxy and
    /// `settings`.
    async fn start(settings: &[(&str, &str)]) -> Self {
        let deployment = Deployment::new(Backend::Postgres).await;
        let servers = both(&deployment, settings).await;
        Self {
            deployment,
            servers,
        }
    }

    /// The process of the `i`-th call: they alternate.
    fn at(&self, i: usize) -> &Server {
        &self.servers[i % 2]
    }
}

/// Two processes on `deployment`, started at the same time.
async fn both(deployment: &Deployment, settings: &[(&str, &str)]) -> Vec<Server> {
    let mut all = vec![
        ("VODOKANAL_SECRET", SECRET),
        ("VODOKANAL_TRUSTED_PROXIES", "127.0.0.1/32"),
    ];
    all.extend_from_slice(settings);
    let (first, second) = tokio::join!(deployment.start_with(&all), deployment.start_with(&all));
    vec![first, second]
}

/// A POST under `/api/v1` from the client network `from` (`X-Forwarded-For`).
async fn post_from(
    server: &Server,
    from: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Response {
    server
        .request("POST", &format!("/api/v1{path}"))
        .header("X-Forwarded-For", from)
        .bearer(token)
        .json(body)
        .send()
        .await
}

async fn register_from(server: &Server, from: &str, phone: &str, email: &str) -> Response {
    post_from(
        server,
        from,
        "/auth/registration",
        None,
        &json!({"phone": phone, "email": email, "consent_personal_data": true}),
    )
    .await
}

async fn reset_from(server: &Server, from: &str, phone: &str) -> Response {
    post_from(
        server,
        from,
        "/auth/password-reset",
        None,
        &json!({"phone": phone}),
    )
    .await
}

async fn login_from(server: &Server, from: &str, login: &str, password: &str) -> Response {
    post_from(
        server,
        from,
        "/auth/login",
        None,
        &json!({"login": login, "password": password}),
    )
    .await
}

/// A 429 `too_many_requests` whose `Retry-After` is in `seconds`.
fn assert_limited(response: &Response, seconds: std::ops::RangeInclusive<u64>) {
    response.assert_problem(429, "too_many_requests");
    let after = response.retry_after();
    assert!(
        seconds.contains(&after),
        "Retry-After {after}, not in {seconds:?}"
    );
}

/// A phone of the test's own, `+7 916 <block> <i>`.
fn phone(block: u32, i: usize) -> String {
    format!("+7916{block:03}{i:04}")
}

/// The SMS the test expects in the outbox, per phone (E.164).
#[derive(Default)]
struct Expected(HashMap<String, usize>);

impl Expected {
    fn one(&mut self, phone: &str) {
        *self.0.entry(e164(phone)).or_default() += 1;
    }

    /// Waits until the outbox holds every expected SMS, then for two more rounds of both
    /// senders, and checks that each SMS was written once: as many lines per phone as were
    /// queued, none the same.
    async fn assert_each_sent_once(&self, deployment: &Deployment) {
        let total: usize = self.0.values().sum();
        let lines = || -> Vec<Value> {
            std::fs::read_to_string(deployment.outbox())
                .unwrap_or_default()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        };
        let deadline = Instant::now() + SMS_TIMEOUT;
        while lines().len() < total {
            assert!(
                Instant::now() < deadline,
                "{} SMS of {total} sent within {SMS_TIMEOUT:?}",
                lines().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let lines = lines();
        let mut sent: HashMap<String, usize> = HashMap::new();
        for line in &lines {
            *sent
                .entry(line["to"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        assert_eq!(sent, self.0, "SMS per phone");
        let mut texts: Vec<String> = lines
            .iter()
            .map(|line| format!("{}{}", line["to"], line["text"]))
            .collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), lines.len(), "an SMS was sent twice");
    }
}

/// The lines of the processes' shared log that contain every one of `words`.
fn log_lines(deployment: &Deployment, words: &[&str]) -> Vec<String> {
    std::fs::read_to_string(deployment.log())
        .unwrap_or_default()
        .lines()
        .filter(|line| words.iter().all(|word| line.contains(word)))
        .map(str::to_owned)
        .collect()
}

/// The client networks of the limits, one each.
const CODES: &str = "10.0.1.1";
const SPRAYER: &str = "10.0.2.1";
const LOGINS: &str = "10.0.3.1";
const SPRAY: &str = "10.0.4.1";

/// Codes (the pause, per phone, per network), logins (per user, per network), links (per
/// user, per account number), anonymous readings (per meter, per network) and anonymous
/// payments (per network), each driven to its edge through both processes in turn; then every
/// SMS queued on the way was sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_counts_once_across_both_processes() {
    let pair = Pair::start(&[("VODOKANAL_LOGIN_NETWORK_FAILURES", "12")]).await;
    let mut sms = Expected::default();

    let (first, second) = two_subscribers_past_the_pause(&pair, &mut sms).await;
    links(&pair, &first, &second).await;
    let password = codes_per_phone_and_network(&pair, &mut sms).await;
    logins(&pair, &password).await;
    anonymous_readings_and_payments(&pair).await;

    // The SMS senders of both processes sent each message once.
    sms.assert_each_sent_once(&pair.deployment).await;
    let errors = log_lines(&pair.deployment, &["ERROR"]);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Registers the demo subscriber, the second process refusing a second code within the pause,
/// and another subscriber: their tokens.
async fn two_subscribers_past_the_pause(pair: &Pair, sms: &mut Expected) -> (String, String) {
    register_from(pair.at(0), CODES, PHONE, EMAIL)
        .await
        .expect(202);
    sms.one(PHONE);
    assert_limited(
        &register_from(pair.at(1), CODES, PHONE, EMAIL).await,
        1..=180,
    );
    let code = pair.at(0).last_code(PHONE_E164).await;
    let first = pair
        .at(1)
        .confirm_registration(PHONE, &code, PASSWORD)
        .await;

    let other = phone(300, 1);
    register_from(pair.at(1), CODES, &other, "other@example.ru")
        .await
        .expect(202);
    sms.one(&other);
    let code = pair.at(1).last_code(&e164(&other)).await;
    let second = pair
        .at(0)
        .confirm_registration(&other, &code, PASSWORD)
        .await;
    (first, second)
}

/// A failed link (wrong digits) of `account` by the subscriber of `token`, through the
/// `i`-th process.
async fn link(pair: &Pair, i: usize, token: &str, account: &str) -> Response {
    let body = json!({"account_number": account, "meter_last4": "0000"});
    pair.at(i)
        .api("POST", "/accounts", Some(token), &body)
        .await
}

async fn links(pair: &Pair, first: &str, second: &str) {
    // Failed links per account number, across users: 5 a day, then refused even to a user
    // with only 2 failures.
    for (i, token) in [first, first, first, second, second].iter().enumerate() {
        link(pair, i, token, "100002")
            .await
            .assert_problem(422, "account_link_failed");
    }
    assert_limited(&link(pair, 5, second, "100002").await, 1..=86_400);
    // Failed links per user: 5 a day, then refused on an account with none.
    for i in 0..2 {
        link(pair, i, first, "100003")
            .await
            .assert_problem(422, "account_link_failed");
    }
    assert_limited(&link(pair, 2, first, "100004").await, 1..=86_400);
}

/// Drives the demo phone's codes to 5 (each used, so no pause stands) and one network's to 20:
/// the demo subscriber's password after its resets.
async fn codes_per_phone_and_network(pair: &Pair, sms: &mut Expected) -> String {
    register_from(pair.at(0), CODES, PHONE, EMAIL)
        .await
        .expect(202);
    sms.one(PHONE);
    pair.at(0).next_sms(PHONE_E164).await; // "already registered"
    let mut password = PASSWORD.to_owned();
    for i in 1..=3 {
        reset_from(pair.at(i), CODES, PHONE).await.expect(202);
        sms.one(PHONE);
        let code = pair.at(i).last_code(PHONE_E164).await;
        password = format!("{PASSWORD}-{i}");
        pair.at(i + 1)
            .api(
                "POST",
                "/auth/password-reset/confirm",
                None,
                &json!({"phone": PHONE, "code": code, "new_password": password}),
            )
            .await
            .expect(204);
    }
    // Five codes: the sixth is refused for the day, not for the pause.
    assert_limited(&reset_from(pair.at(0), CODES, PHONE).await, 181..=86_400);

    // Codes per client network: 20 an hour, whatever the phone.
    for i in 0..20 {
        let phone = phone(200, i);
        register_from(pair.at(i), SPRAYER, &phone, &format!("u{i}@example.ru"))
            .await
            .expect(202);
        sms.one(&phone);
    }
    assert_limited(
        &register_from(pair.at(20), SPRAYER, &phone(200, 20), "u20@example.ru").await,
        181..=3600,
    );
    password
}

async fn logins(pair: &Pair, password: &str) {
    // Failed logins per user, by phone and e-mail alike: 10 in 15 minutes, then even the
    // right password is refused by both.
    for i in 0..10 {
        let login = [PHONE, EMAIL][i % 2];
        login_from(pair.at(i), LOGINS, login, "wrong-password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    for i in 0..2 {
        assert_limited(
            &login_from(pair.at(i), LOGINS, PHONE, password).await,
            1..=900,
        );
    }
    // Failed logins per client network: 12 an hour here, then refused for a new login.
    for i in 0..12 {
        login_from(pair.at(i), SPRAY, &phone(400, i), "Leto-2026")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_limited(
        &login_from(pair.at(12), SPRAY, &phone(400, 12), "Leto-2026").await,
        901..=3600,
    );
}

/// An anonymous reading of 0 (below any previous) of `meter` from `from`, through the `i`-th
/// process.
async fn anonymous(pair: &Pair, i: usize, from: &str, meter: &str) -> Response {
    let body = json!({
        "full_name": "Петров Иван Сергеевич",
        "phone": "8 (910) 984-50-03",
        "meter_number": meter,
        "value": "0",
    });
    post_from(pair.at(i), from, "/public/readings", None, &body).await
}

async fn anonymous_readings_and_payments(pair: &Pair) {
    // Anonymous readings per meter, refused ones counted: 3 a day, then refused from another
    // network too.
    for i in 0..3 {
        anonymous(pair, i, "10.0.5.1", OTHER_METER)
            .await
            .assert_problem(422, "reading_below_previous");
    }
    assert_limited(
        &anonymous(pair, 3, "10.0.6.1", OTHER_METER).await,
        1..=86_400,
    );
    // Anonymous readings per client network, unknown meters counted: 20 an hour.
    for i in 0..20 {
        anonymous(pair, i, "10.0.7.1", &format!("ВСХ-9{i:06}"))
            .await
            .assert_problem(404, "meter_not_found");
    }
    assert_limited(
        &anonymous(pair, 20, "10.0.7.1", "ВСХ-9999999").await,
        1..=3600,
    );

    // Anonymous payments per client network: 20 an hour.
    let body = json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10.00"});
    for i in 0..20 {
        post_from(pair.at(i), "10.0.8.1", "/public/payments", None, &body)
            .await
            .expect(201);
    }
    assert_limited(
        &post_from(pair.at(20), "10.0.8.1", "/public/payments", None, &body).await,
        1..=3600,
    );
}

/// Requests for codes from both processes at the same moment for one phone: one code, one SMS;
/// the other requests meet the pause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_asked_of_both_processes_at_once_are_one() {
    let pair = Pair::start(&[]).await;
    let mut sms = Expected::default();
    for round in 0..3 {
        let phone = phone(500, round);
        let answers = join_all(
            (0..4).map(|i| register_from(pair.at(i), "10.0.9.1", &phone, "race@example.ru")),
        )
        .await;
        let accepted = answers.iter().filter(|answer| answer.status == 202).count();
        for answer in &answers {
            if answer.status != 202 {
                // The pause of the winner's code, from the loser's clock: it may have read it
                // a moment before the winner did, so up to a second more.
                assert_limited(answer, 1..=181);
            }
        }
        assert_eq!(accepted, 1, "round {round}: {answers:#?}");
        sms.one(&phone);
    }
    sms.assert_each_sent_once(&pair.deployment).await;
}

/// Waits until every SMS of the outbox is recorded as sent.
async fn outbox_sent(deployment: &Deployment) {
    let mut database = sqlx::PgConnection::connect(deployment.database_url())
        .await
        .unwrap();
    let deadline = Instant::now() + SMS_TIMEOUT;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sms_outbox WHERE state = 'pending'")
                .fetch_one(&mut database)
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{pending} SMS still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A code for the `i`-th phone of the budget test, from a network of its own (so that no
/// other limit meets): the phone and the answer.
async fn ask(server: &Server, i: usize) -> (String, Response) {
    let phone = phone(600, i);
    let from = format!("10.1.{i}.1");
    let answer = register_from(server, &from, &phone, &format!("b{i}@example.ru")).await;
    (phone, answer)
}

/// The hourly and the daily SMS budgets, each spent through both processes in turn: the next
/// code is a 503, and the 80% warning is logged once among all processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_budgets_count_once_across_both_processes() {
    let pair = Pair::start(&[("VODOKANAL_SMS_HOURLY_BUDGET", "6")]).await;
    let mut sms = Expected::default();
    for i in 0..6 {
        let (phone, answer) = ask(pair.at(i), i).await;
        answer.expect(202);
        sms.one(&phone);
    }
    let (_, spent) = ask(pair.at(6), 6).await;
    spent.assert_problem(503, "service_unavailable");
    assert!(spent.retry_after() >= 1);
    let warned = log_lines(
        &pair.deployment,
        &["WARN", "80% of the SMS budget", "hourly"],
    );
    assert_eq!(warned.len(), 1, "{warned:#?}");

    // The daily budget, on the same count: 9 here, 6 of them spent. Two processes with that
    // budget take over, once the first two have sent their SMS (a message claimed by a
    // process killed before it recorded the sending is sent again after its lease).
    let Pair {
        deployment,
        servers,
    } = pair;
    outbox_sent(&deployment).await;
    drop(servers);
    let servers = both(
        &deployment,
        &[
            ("VODOKANAL_SMS_HOURLY_BUDGET", "1000"),
            ("VODOKANAL_SMS_DAILY_BUDGET", "9"),
        ],
    )
    .await;
    for i in 7..10 {
        let (phone, answer) = ask(&servers[i % 2], i).await;
        answer.expect(202);
        sms.one(&phone);
    }
    let (_, spent) = ask(&servers[0], 10).await;
    spent.assert_problem(503, "service_unavailable");
    let warned = log_lines(&deployment, &["WARN", "80% of the SMS budget", "daily"]);
    assert_eq!(warned.len(), 1, "{warned:#?}");
    sms.assert_each_sent_once(&deployment).await;
}

const SHOP_ID: &str = "506751";
const SECRET_KEY: &str = "test_e2e-secret";

/// YooKassa: creates every payment as pending, and reports the ones it is told have
/// succeeded.
struct YooKassa(MockServer);

impl YooKassa {
    async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/payments"))
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
                        "confirmation_url": format!("https://yoomoney.ru/checkout/{key}"),
                    },
                    "created_at": "2025-06-02T09:15:00.000Z",
                    "test": true,
                }))
            })
            .mount(&server)
            .await;
        Self(server)
    }

    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VODOKANAL_PAYMENTS", "yookassa".into()),
            ("VODOKANAL_YOOKASSA_SHOP_ID", SHOP_ID.into()),
            ("VODOKANAL_YOOKASSA_SECRET_KEY", SECRET_KEY.into()),
            ("VODOKANAL_YOOKASSA_URL", self.0.uri()),
        ]
    }

    /// From now on, reports our `payment` as succeeded (paid now).
    async fn succeed(&self, payment: &Value) {
        let id = format!("yk-{}", payment["id"].as_str().unwrap());
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = chrono::DateTime::from_timestamp(i64::try_from(seconds).unwrap(), 0)
            .unwrap()
            .to_rfc3339();
        Mock::given(method("GET"))
            .and(path(format!("/payments/{id}")))
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

    /// How many payments were created.
    async fn created(&self) -> usize {
        let requests = self.0.received_requests().await.unwrap();
        requests
            .iter()
            .filter(|request| request.method.as_str() == "POST")
            .count()
    }
}

/// A cabinet payment of `amount` through `server`, under an `Idempotency-Key` if given.
async fn pay(server: &Server, token: &str, amount: &str, key: Option<&str>) -> Response {
    let mut request = server
        .request("POST", &format!("/api/v1/accounts/{ACCOUNT}/payments"))
        .bearer(Some(token))
        .json(&json!({"purpose": "water", "amount": amount}));
    if let Some(key) = key {
        request = request.idempotency_key(key);
    }
    request.send().await
}

/// YooKassa's notification that `payment` succeeded, from its network.
async fn notify(server: &Server, payment: &Value) -> Response {
    server
        .request("POST", "/api/v1/payments/notifications/yookassa")
        .header("X-Forwarded-For", "185.71.76.10")
        .json(&json!({
            "type": "notification",
            "event": "payment.succeeded",
            "object": {"id": format!("yk-{}", payment["id"].as_str().unwrap()),
                       "status": "succeeded", "paid": true,
                       "amount": {"value": payment["amount"], "currency": "RUB"}},
        }))
        .send()
        .await
}

/// The payment's status.
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

/// One `Idempotency-Key` sent to both processes at once gives one payment; readings of one
/// meter sent to both at once leave one for the period; a payment notified to both settles
/// once; a pending payment reconciled by two processes that start together settles once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_work_on_both_processes_is_done_once() {
    let yookassa = YooKassa::start().await;
    let settings = yookassa.settings();
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let pair = Pair::start(&settings).await;
    let token = pair.at(0).linked_subscriber().await;

    one_key_one_payment(&pair, &yookassa, &token).await;
    one_reading_a_period(&pair, &token).await;
    notified_to_both_settled_once(&pair, &yookassa, &token).await;
    reconciled_by_both_settled_once(&pair, &yookassa, &token, &settings).await;

    // The purge ran at each start; nothing failed in any process.
    let errors = log_lines(&pair.deployment, &["ERROR"]);
    assert!(errors.is_empty(), "{errors:#?}");
}

async fn one_key_one_payment(pair: &Pair, yookassa: &YooKassa, token: &str) {
    // One key, four requests at once, two to each process: one payment.
    let answers =
        join_all((0..4).map(|i| pay(pair.at(i), token, "111.00", Some("two-processes-1")))).await;
    let mut bodies = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        let mut answer = answer;
        // A request that met the other's claim is told to retry.
        let deadline = Instant::now() + Duration::from_secs(10);
        while answer.status == 409 {
            answer.assert_problem(409, "idempotency_request_in_progress");
            assert!(Instant::now() < deadline, "still in progress");
            tokio::time::sleep(Duration::from_secs(answer.retry_after())).await;
            answer = pay(pair.at(i), token, "111.00", Some("two-processes-1")).await;
        }
        bodies.push(answer.expect(201).body);
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let history = pair
        .at(1)
        .get(&format!("/accounts/{ACCOUNT}/payments"), Some(token))
        .await;
    let keyed = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|payment| payment["amount"] == "111.00")
        .count();
    assert_eq!(keyed, 1, "{history}");
    assert_eq!(yookassa.created().await, 1, "payments created at YooKassa");
}

async fn one_reading_a_period(pair: &Pair, token: &str) {
    // Readings of one meter sent to both at once: each replaces the last, one stays.
    let values: Vec<String> = (0..6).map(|i| format!("13{i}.000")).collect();
    let readings = format!("/accounts/{ACCOUNT}/readings");
    let bodies: Vec<Value> = values
        .iter()
        .map(|value| json!({"readings": [{"meter_number": COLD, "value": value}]}))
        .collect();
    let answers = join_all(
        bodies
            .iter()
            .enumerate()
            .map(|(i, body)| pair.at(i).api("POST", &readings, Some(token), body)),
    )
    .await;
    let mut period = Value::Null;
    for answer in answers {
        period = answer.expect(201).json()[0]["period"].clone();
    }
    let history = pair.at(0).get(&readings, Some(token)).await;
    let cold: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|reading| reading["meter_number"] == COLD && reading["period"] == period)
        .collect();
    assert_eq!(cold.len(), 1, "{history}");
    assert!(
        values.contains(&cold[0]["value"].as_str().unwrap().to_owned()),
        "{history}"
    );
}

async fn notified_to_both_settled_once(pair: &Pair, yookassa: &YooKassa, token: &str) {
    // A payment notified to both processes, twice each at once: settled once.
    let payment = pay(pair.at(0), token, "234.50", None)
        .await
        .expect(201)
        .json();
    yookassa.succeed(&payment).await;
    let answers = join_all((0..4).map(|i| notify(pair.at(i), &payment))).await;
    for answer in answers {
        assert_eq!((answer.status, answer.body.as_str()), (200, "OK"));
    }
    assert_eq!(status(pair.at(1), &payment).await, "succeeded");
    assert_eq!(pair.at(0).demo_debt(token).await, "1000.00");
}

async fn reconciled_by_both_settled_once(
    pair: &Pair,
    yookassa: &YooKassa,
    token: &str,
    settings: &[(&str, &str)],
) {
    // A payment whose notification was lost, reconciled by two processes that start together
    // and look at once: settled once.
    let lost = pay(pair.at(1), token, "100.00", None)
        .await
        .expect(201)
        .json();
    yookassa.succeed(&lost).await;
    // And expired codes for the purge each process runs at its start.
    let mut database = sqlx::PgConnection::connect(pair.deployment.database_url())
        .await
        .unwrap();
    for i in 0..EXPIRED_CODES {
        sqlx::query(
            "INSERT INTO pending_codes (phone, purpose, sent_at, expires_at, failed_attempts) \
             VALUES ($1, 'registration', now() - interval '1 day', now() - interval '1 hour', 0)",
        )
        .bind(e164(&phone(700, i)))
        .execute(&mut database)
        .await
        .unwrap();
    }
    let mut reconciling = settings.to_vec();
    reconciling.push(("VODOKANAL_RECONCILE_AFTER", "0"));
    reconciling.push(("VODOKANAL_LOG", "warn,vodokanal_app::housekeeping=info"));
    // The purges of the processes started before (at the harness's log level) are not theirs.
    let earlier = log_lines(&pair.deployment, &["expired records purged"]).len();
    let reconcilers = both(&pair.deployment, &reconciling).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while status(&reconcilers[0], &lost).await != "succeeded" {
        assert!(
            Instant::now() < deadline,
            "the lost payment was not reconciled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both have had their look (each reconciles at start).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(reconcilers[1].demo_debt(token).await, "900.00");
    let history = pair
        .at(0)
        .get(&format!("/accounts/{ACCOUNT}/payments"), Some(token))
        .await;
    let settled = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|payment| payment["status"] == "succeeded")
        .count();
    assert_eq!(settled, 2, "{history}");

    // Each expired code was purged by one of the two.
    let deadline = Instant::now() + Duration::from_secs(10);
    let runs = loop {
        let mut lines = log_lines(&pair.deployment, &["expired records purged"]);
        if lines.len() == earlier + 2 {
            break lines.split_off(earlier);
        }
        assert!(Instant::now() < deadline, "{lines:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let purged: usize = runs
        .iter()
        .map(|line| {
            let count = line.split("codes=").nth(1).unwrap();
            let count: String = count.chars().take_while(char::is_ascii_digit).collect();
            count.parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(purged, EXPIRED_CODES, "{runs:#?}");
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pending_codes WHERE expires_at < now()")
            .fetch_one(&mut database)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// Expired codes left for the purge.
const EXPIRED_CODES: usize = 3;
