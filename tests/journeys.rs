//! Black-box journeys against the built `vodokanal` binary on a temporary SQLite database with
//! the demo registry: registration, linking an account, readings, a payment through the
//! sandbox, garbage bodies, and a restart on the same database.
//!
//! The binary is not built here: `cargo nextest run --workspace` (or `cargo build -p
//! vodokanal-server`) puts `target/<profile>/vodokanal` next to this test's directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a journey that can't go on fails the test loudly"
)]

mod support {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// The `vodokanal` binary of the same profile as this test executable.
    fn binary() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/journeys-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).unwrap();
        let binary = profile_dir.join(format!("vodokanal{}", std::env::consts::EXE_SUFFIX));
        assert!(
            binary.exists(),
            "{} is missing: build it first with `cargo build -p vodokanal-server` \
             (or run the whole workspace's tests)",
            binary.display()
        );
        binary
    }

    /// A port nothing listens on right now.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// A response: the status and the body (de-chunked).
    #[derive(Debug)]
    pub struct Response {
        pub status: u16,
        pub body: String,
    }

    impl Response {
        pub fn json(&self) -> Value {
            serde_json::from_str(&self.body)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
        }

        /// The problem's `code`, or "" when there is none.
        pub fn code(&self) -> String {
            self.json()["code"].as_str().unwrap_or_default().to_owned()
        }
    }

    /// A running server with its own temporary directory; killed on drop.
    #[derive(Debug)]
    pub struct Server {
        child: Child,
        pub port: u16,
        pub dir: PathBuf,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Server {
        /// Starts the server on `dir/db.sqlite` with the demo and waits until it is ready.
        pub async fn start(dir: &Path) -> Self {
            let port = free_port();
            let mut command = Command::new(binary());
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("VODOKANAL_") {
                    command.env_remove(name);
                }
            }
            let child = command
                .arg("serve")
                .env("VODOKANAL_LISTEN", format!("127.0.0.1:{port}"))
                .env("VODOKANAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
                .env(
                    "VODOKANAL_DATABASE_URL",
                    format!("sqlite://{}", dir.join("db.sqlite").display()),
                )
                .env("VODOKANAL_DEMO", "on")
                .env("VODOKANAL_SMS_OUTBOX", dir.join("outbox.jsonl"))
                .env("VODOKANAL_LOG", "warn")
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let server = Self {
                child,
                port,
                dir: dir.to_owned(),
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(response) = server.try_send("GET", "/health/ready", None, "").await
                    && response.status == 200
                {
                    break;
                }
                assert!(Instant::now() < deadline, "the server did not become ready");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            server
        }

        async fn try_send(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: &str,
        ) -> Option<Response> {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.ok()?;
            let content_type = if body.starts_with("result=") {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            let authorization = token
                .map(|token| format!("Authorization: Bearer {token}\r\n"))
                .unwrap_or_default();
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                 {authorization}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut raw = Vec::new();
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
                .await
                .ok()?
                .ok()?;
            let raw = String::from_utf8(raw).ok()?;
            let (head, body) = raw.split_once("\r\n\r\n")?;
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let chunked = head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked");
            let body = if chunked {
                dechunk(body)?
            } else {
                body.to_owned()
            };
            Some(Response { status, body })
        }

        /// One HTTP/1.1 exchange; the path is relative to the server's root.
        pub async fn send(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: &str,
        ) -> Response {
            self.try_send(method, path, token, body)
                .await
                .unwrap_or_else(|| panic!("no HTTP answer to {method} {path}"))
        }

        /// One exchange under `/api/v1` with a JSON body (`Value::Null`: no body).
        pub async fn api(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: &Value,
        ) -> Response {
            let body = if body.is_null() {
                String::new()
            } else {
                body.to_string()
            };
            self.send(method, &format!("/api/v1{path}"), token, &body)
                .await
        }

        /// The code of the last SMS sent to `phone`: the 6 digits after ": ".
        pub fn last_code(&self, phone: &str) -> String {
            let outbox = std::fs::read_to_string(self.dir.join("outbox.jsonl")).unwrap();
            let sms = outbox
                .lines()
                .map(|line| serde_json::from_str::<Value>(line).unwrap())
                .rfind(|sms| sms["to"] == phone)
                .unwrap_or_else(|| panic!("no SMS to {phone} in {outbox}"));
            let text = sms["text"].as_str().unwrap();
            let code: String = text
                .split_once(": ")
                .unwrap_or_else(|| panic!("no code in {text}"))
                .1
                .chars()
                .take(6)
                .collect();
            assert!(
                code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()),
                "{text}"
            );
            code
        }

        /// Registers a subscriber through the SMS code and returns the token.
        pub async fn register(&self, phone: &str, email: &str, password: &str) -> String {
            let response = self
                .api(
                    "POST",
                    "/auth/registration",
                    None,
                    &serde_json::json!({"phone": phone, "email": email, "consent_personal_data": true}),
                )
                .await;
            assert_eq!(response.status, 202, "{}", response.body);
            let code = self.last_code(&e164(phone));
            let response = self
                .api(
                    "POST",
                    "/auth/registration/confirm",
                    None,
                    &serde_json::json!({"phone": phone, "code": code, "password": password}),
                )
                .await;
            assert_eq!(response.status, 201, "{}", response.body);
            response.json()["token"].as_str().unwrap().to_owned()
        }

        /// Logs in: the response.
        pub async fn login(&self, login: &str, password: &str) -> Response {
            self.api(
                "POST",
                "/auth/login",
                None,
                &serde_json::json!({"login": login, "password": password}),
            )
            .await
        }
    }

    /// `+7XXXXXXXXXX` of a phone in any of the forms the tests use.
    pub fn e164(phone: &str) -> String {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        format!("+7{}", &digits[digits.len() - 10..])
    }

    fn dechunk(mut body: &str) -> Option<String> {
        let mut out = String::new();
        loop {
            let (size, rest) = body.split_once("\r\n")?;
            let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                return Some(out);
            }
            out.push_str(rest.get(..size)?);
            body = rest.get(size + 2..)?;
        }
    }
}

use serde_json::{Value, json};
use support::Server;

const PHONE: &str = "+7 (910) 984-50-03";
const EMAIL: &str = "ivan.petrov@example.ru";
const PASSWORD: &str = "Lezhnevskaya-120-kv15";
const ACCOUNT: &str = "100001";
const COLD: &str = "ВСХ-0011234";
const HOT: &str = "ВГВ-0022345";

async fn linked(server: &Server) -> String {
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let response = server
        .api(
            "POST",
            "/accounts",
            Some(&token),
            &json!({"account_number": ACCOUNT, "meter_last4": "1234"}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.body);
    token
}

#[tokio::test]
async fn register_confirm_and_log_in_by_phone_or_email() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    let response = server
        .api(
            "POST",
            "/auth/registration",
            None,
            &json!({"phone": PHONE, "email": EMAIL, "consent_personal_data": true}),
        )
        .await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.json()["resend_after"], 180);
    let code = server.last_code("+79109845003");

    let response = server
        .api(
            "POST",
            "/auth/registration/confirm",
            None,
            &json!({"phone": "89109845003", "code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.body);
    let confirmed = response.json();
    assert_eq!(confirmed["user"]["phone"], "+79109845003");
    assert_eq!(confirmed["user"]["email"], EMAIL);
    let token = confirmed["token"].as_str().unwrap();

    let response = server
        .api("GET", "/profile", Some(token), &Value::Null)
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["phone"], "+79109845003");

    for login in ["9109845003", "79109845003", "+7 910 984 50 03"] {
        let response = server.login(login, PASSWORD).await;
        assert_eq!(response.status, 200, "{login}: {}", response.body);
        assert_eq!(response.json()["user"]["phone"], "+79109845003");
    }
    let response = server.login(&EMAIL.to_uppercase(), PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["user"]["email"], EMAIL);

    let response = server.login(EMAIL, "not-the-password").await;
    assert_eq!(response.status, 401, "{}", response.body);
    assert_eq!(response.code(), "invalid_credentials");
}

#[tokio::test]
async fn link_an_account_refuse_wrong_digits_and_relabel() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let token = Some(token.as_str());

    for (account, last4) in [(ACCOUNT, "9999"), ("999999", "1234")] {
        let response = server
            .api(
                "POST",
                "/accounts",
                token,
                &json!({"account_number": account, "meter_last4": last4}),
            )
            .await;
        assert_eq!(response.status, 422, "{account}: {}", response.body);
        assert_eq!(response.code(), "account_link_failed");
    }
    let response = server
        .api("GET", &format!("/accounts/{ACCOUNT}"), token, &Value::Null)
        .await;
    assert_eq!(response.status, 404, "{}", response.body);

    let body = json!({"account_number": ACCOUNT, "meter_last4": "1234", "label": "Дом"});
    let response = server.api("POST", "/accounts", token, &body).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let account = response.json();
    assert_eq!(account["account_number"], ACCOUNT);
    assert_eq!(account["label"], "Дом");
    assert_eq!(account["debt"], "1234.50");

    let response = server.api("POST", "/accounts", token, &body).await;
    assert_eq!(response.status, 409, "{}", response.body);
    assert_eq!(response.code(), "account_already_linked");

    let path = format!("/accounts/{ACCOUNT}");
    let response = server
        .api("PATCH", &path, token, &json!({"label": "Дача"}))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["label"], "Дача");
    let response = server.api("GET", "/accounts", token, &Value::Null).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let accounts = response.json();
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(accounts[0]["label"], "Дача");

    let response = server
        .api("PATCH", &path, token, &json!({"label": ""}))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["label"], Value::Null);
}

/// The readings of `meter` in `period` in the account's history.
async fn history(server: &Server, token: &str, meter: &str, period: &str) -> Vec<Value> {
    let response = server
        .api(
            "GET",
            &format!("/accounts/{ACCOUNT}/readings"),
            Some(token),
            &Value::Null,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    response
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|reading| reading["meter_number"] == meter && reading["period"] == period)
        .cloned()
        .collect()
}

#[tokio::test]
async fn readings_are_checked_replaced_and_stored_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let token = linked(&server).await;
    let path = format!("/accounts/{ACCOUNT}/readings");
    let submit = |readings: Value| {
        let server = &server;
        let token = token.clone();
        let path = path.clone();
        async move {
            server
                .api("POST", &path, Some(&token), &json!({"readings": readings}))
                .await
        }
    };

    let response = submit(json!([{"meter_number": COLD, "value": "100.000"}])).await;
    assert_eq!(response.status, 422, "{}", response.body);
    assert_eq!(response.code(), "reading_below_previous");

    let response = submit(json!([{"meter_number": COLD, "value": "130.456"}])).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let first = response.json()[0].clone();
    assert_eq!(first["value"], "130.456");
    assert_eq!(first["previous_value"], "123.456");
    assert_eq!(first["consumption"], "7.000");
    assert_eq!(first["source"], "cabinet");
    let period = first["period"].as_str().unwrap().to_owned();

    let response = submit(json!([{"meter_number": COLD, "value": 131.5}])).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.json()[0]["value"], "131.500");
    let stored = history(&server, &token, COLD, &period).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["value"], "131.500");

    // The hot water meter's last reading is 45.120: the batch fails as a whole.
    let response = submit(json!([
        {"meter_number": COLD, "value": "140.000"},
        {"meter_number": HOT, "value": "1.000"},
    ]))
    .await;
    assert_eq!(response.status, 422, "{}", response.body);
    assert_eq!(response.code(), "reading_below_previous");
    let stored = history(&server, &token, COLD, &period).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["value"], "131.500");
    assert!(history(&server, &token, HOT, &period).await.is_empty());
}

#[tokio::test]
async fn a_sandbox_payment_lowers_the_debt_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let token = linked(&server).await;
    let token = Some(token.as_str());
    let account_path = format!("/accounts/{ACCOUNT}");
    let debt = |response: support::Response| response.json()["debt"].clone();

    assert_eq!(
        debt(server.api("GET", &account_path, token, &Value::Null).await),
        "1234.50"
    );
    let response = server
        .api(
            "POST",
            &format!("{account_path}/payments"),
            token,
            &json!({"purpose": "water", "amount": "234.50"}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.body);
    let payment = response.json();
    assert_eq!(payment["status"], "pending");
    assert_eq!(payment["amount"], "234.50");
    let id = payment["id"].as_str().unwrap();
    let page = format!("/sandbox/pay/{id}");
    assert_eq!(
        payment["confirmation_url"],
        format!("http://127.0.0.1:{}{page}", server.port)
    );

    for _ in 0..2 {
        let response = server.send("POST", &page, None, "result=succeeded").await;
        assert_eq!(response.status, 200, "{}", response.body);
        let response = server.api("GET", &account_path, token, &Value::Null).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(debt(response), "1000.00");
    }
    let response = server
        .api("GET", &format!("/payments/{id}"), None, &Value::Null)
        .await;
    assert_eq!(response.json()["status"], "succeeded");
    let response = server
        .api(
            "GET",
            &format!("{account_path}/payments"),
            token,
            &Value::Null,
        )
        .await;
    let payments = response.json();
    assert_eq!(payments.as_array().unwrap().len(), 1, "{payments}");
    assert_eq!(payments[0]["status"], "succeeded");
}

#[tokio::test]
async fn garbage_bodies_never_get_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let token = linked(&server).await;
    let paths = [
        "/auth/registration",
        "/auth/registration/confirm",
        "/auth/login",
        "/auth/password-reset",
        "/public/readings",
        "/public/payments",
        "/accounts",
        "/accounts/100001/readings",
        "/accounts/100001/payments",
        "/visit-requests",
    ];
    let bodies = [
        "not json",
        "{",
        "",
        "null",
        "[1, 2, 3]",
        "\"text\"",
        r#"{"phone": 5, "email": [], "login": {}, "password": 1, "code": null}"#,
        r#"{"account_number": 100001, "meter_last4": 1234, "amount": "ten", "purpose": 7}"#,
        r#"{"readings": "many"}"#,
        r#"{"readings": [{"meter_number": 1, "value": "-1"}]}"#,
        r#"{"readings": [{"meter_number": "ВСХ-0011234", "value": 1e300}]}"#,
        r#"{"value": "1.2345", "meter_number": "x", "full_name": "", "phone": "abc"}"#,
    ];
    for path in paths {
        for body in bodies {
            let response = server
                .send("POST", &format!("/api/v1{path}"), Some(&token), body)
                .await;
            assert!(
                (400..500).contains(&response.status),
                "POST {path} {body}: {} {}",
                response.status,
                response.body
            );
        }
    }
    let response = server
        .send("POST", "/api/v1/auth/login", None, "not json")
        .await;
    assert_eq!(response.status, 422, "{}", response.body);
    assert_eq!(response.code(), "validation_failed");
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_the_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    linked(&server).await;
    drop(server);

    let server = Server::start(dir.path()).await;
    let response = server.login(EMAIL, PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let token = response.json()["token"].as_str().unwrap().to_owned();
    let response = server
        .api("GET", "/accounts", Some(&token), &Value::Null)
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()[0]["account_number"], ACCOUNT);
}
