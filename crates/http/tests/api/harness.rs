//! The router wired to the in-memory store of `vodokanal-test-support`, with fakes of the
//! machine and the outside providers, and helpers to call it with `oneshot`.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vodokanal_app::{Services, Settings, Stores, UseCases};
use vodokanal_domain::{AccountNumber, MeterNumber, MeterService, RegistryMeter, RegistryRecord};
use vodokanal_http::{AppState, HttpConfig, router};
use vodokanal_test_support::fakes::{
    CountingRandom, FakeProvider, FixedClock, Health, Mailbox, Outbox, PlainHasher, PushInbox,
};

use vodokanal_test_support::memory::in_memory_stores;

/// The account and meter every test can link: 123456 with meter ВСХ-0011234 (last reading
/// 100.000 on 2026-10-25).
pub const ACCOUNT: &str = "123456";
pub const METER: &str = "ВСХ-0011234";
/// A second account, with meter ВСХ-0055678 (no reading), for tests that need two.
pub const SECOND_ACCOUNT: &str = "654321";
pub const SECOND_METER: &str = "ВСХ-0055678";
pub const PHONE: &str = "+79109845003";
pub const EMAIL: &str = "abonent@example.ru";
pub const PASSWORD: &str = "kapel-vody-42";

/// 2026-11-16T09:00:00Z: Monday, 12:00 in Moscow.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-16T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn date(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// [`ACCOUNT`] with meter [`METER`], a debt of 1234.50 as of 2026-10-31, and the meter's
/// last reading of 100 m³ on 2026-10-25; [`SECOND_ACCOUNT`] with [`SECOND_METER`].
fn registry_rows() -> [RegistryRecord; 2] {
    let first = RegistryRecord {
        account_number: ACCOUNT.parse::<AccountNumber>().unwrap(),
        address: "г. Иваново, ул. Лежневская, д. 1, кв. 2".into(),
        balance: "1234.50".parse().unwrap(),
        balance_as_of: date("2026-10-31"),
        meter: Some(RegistryMeter {
            number: METER.parse::<MeterNumber>().unwrap(),
            service: MeterService::ColdWater,
            verification_due: Some(date("2030-01-15")),
            last_reading: Some(("100".parse().unwrap(), date("2026-10-25"))),
        }),
    };
    let second = RegistryRecord {
        account_number: SECOND_ACCOUNT.parse::<AccountNumber>().unwrap(),
        address: "г. Иваново, ул. Лежневская, д. 1, кв. 3".into(),
        balance: "0".parse().unwrap(),
        balance_as_of: date("2026-10-31"),
        meter: Some(RegistryMeter {
            number: SECOND_METER.parse::<MeterNumber>().unwrap(),
            service: MeterService::HotWater,
            verification_due: None,
            last_reading: None,
        }),
    };
    [first, second]
}

/// What the use cases are built on: a test may replace any store or service of it.
pub struct Parts {
    pub stores: Stores,
    pub services: Services,
}

pub struct App {
    pub router: Router,
    /// The SMS the gateway took; see [`App::deliver`].
    pub sms: Arc<Outbox>,
    /// The use cases behind the router (the SMS sender of `serve` among them).
    pub use_cases: Arc<UseCases>,
    /// The in-memory store (before any replacement by the test).
    pub stores: Stores,
    pub health: Arc<Health>,
    pub provider: Arc<FakeProvider>,
    /// The mail the notices' sender sent; see [`App::deliver`].
    pub mail: Arc<Mailbox>,
    /// The push messages it sent.
    pub push: Arc<PushInbox>,
}

/// What a call answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code, and returns its body.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert_eq!(body["type"], format!("urn:vodokanal:problem:{code}"));
        assert!(body["title"].is_string());
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        body
    }

    /// The fields a `validation_failed` names.
    pub fn bad_fields(&self) -> Vec<String> {
        let body = self.problem(422, "validation_failed");
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e["code"].is_string());
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
                e["field"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

pub fn settings() -> Settings {
    Settings::default()
}

impl App {
    pub async fn new() -> Self {
        Self::with(settings(), HttpConfig::default(), |_| {}).await
    }

    /// An app with the accounts [`ACCOUNT`] and [`SECOND_ACCOUNT`] in the registry; `tweak` may
    /// replace stores and services before the use cases are built.
    pub async fn with(
        settings: Settings,
        config: HttpConfig,
        tweak: impl FnOnce(&mut Parts),
    ) -> Self {
        let stores = in_memory_stores();
        stores.registry.upsert(&registry_rows()).await.unwrap();
        let sms = Arc::new(Outbox::default());
        let mail = Arc::new(Mailbox::default());
        let push = Arc::new(PushInbox::default());
        let health = Arc::new(Health::default());
        let provider = Arc::new(FakeProvider {
            down: AtomicBool::new(false),
            created: Mutex::new(Vec::new()),
            receipt_contacts: Mutex::new(Vec::new()),
        });
        let mut parts = Parts {
            stores: Stores {
                health: health.clone(),
                ..stores.clone()
            },
            services: Services {
                clock: Arc::new(FixedClock(now())),
                random: Arc::new(CountingRandom::default()),
                hasher: Arc::new(PlainHasher),
                sms: sms.clone(),
                provider: provider.clone(),
                mail: mail.clone(),
                push: Some(push.clone()),
            },
        };
        tweak(&mut parts);
        let use_cases = Arc::new(UseCases::new(&parts.stores, &parts.services, &settings));
        let state = AppState::new(use_cases.clone(), parts.stores.health, &settings, config);
        Self {
            router: router(state),
            sms,
            use_cases,
            stores,
            health,
            provider,
            mail,
            push,
        }
    }

    /// Runs the background sender once: the SMS queued so far reach [`App::sms`].
    pub async fn deliver(&self) {
        self.use_cases.deliver_sms.execute().await.unwrap();
        self.use_cases.deliver_notices.execute().await.unwrap();
    }

    /// The texts the gateway took for `phone` (E.164), after a run of the sender.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        self.deliver().await;
        self.sms
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(to, _)| to == phone)
            .map(|(_, text)| text.clone())
            .collect()
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            bytes,
        }
    }

    /// A call with an optional bearer token and JSON body, from 198.51.100.7.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let raw = body.map(|b| b.to_string());
        self.call_raw(method, path, token, raw.as_deref(), &[])
            .await
    }

    /// A call from 198.51.100.7; a body is sent as `application/json` unless `headers` name
    /// another `Content-Type`.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let peer = SocketAddr::from(([198, 51, 100, 7], 40_000));
        self.call_from(peer, method, path, token, body, headers)
            .await
    }

    /// [`App::call_raw`] from another peer address.
    pub async fn call_from(
        &self,
        peer: SocketAddr,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let typed = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !typed {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Registers [`PHONE`] / [`EMAIL`] through the API and returns the session token.
    pub async fn register(&self) -> String {
        self.register_as(PHONE, EMAIL).await
    }

    pub async fn register_as(&self, phone: &str, email: &str) -> String {
        let sent = self
            .post(
                "/api/v1/auth/registration",
                None,
                json!({"phone": phone, "email": email, "consent_personal_data": true}),
            )
            .await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{:?}", sent.json());
        let confirmed = self
            .post(
                "/api/v1/auth/registration/confirm",
                None,
                json!({"phone": phone, "code": "123456", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            confirmed.status,
            StatusCode::CREATED,
            "{:?}",
            confirmed.json()
        );
        confirmed.json()["token"].as_str().unwrap().to_owned()
    }

    /// Registers and links [`ACCOUNT`].
    pub async fn with_account(&self) -> String {
        let token = self.register().await;
        let linked = self
            .post(
                "/api/v1/accounts",
                Some(&token),
                json!({"account_number": ACCOUNT, "meter_last4": "1234"}),
            )
            .await;
        assert_eq!(linked.status, StatusCode::CREATED, "{:?}", linked.json());
        token
    }
}
