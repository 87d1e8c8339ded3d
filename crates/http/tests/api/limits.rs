//! Per-network limits, the media type of JSON bodies, and the hasher's bounded queue.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use vodokanal_app::ports::Limit;
use vodokanal_http::HttpConfig;
use vodokanal_system::{Argon2Hasher, HashWorkers, HasherPool};

use crate::harness::{Answer, App, PASSWORD, PHONE, settings};

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40_000)
}

/// A registration request for `phone` from `ip`.
async fn register_from(app: &App, ip: &str, phone: &str) -> StatusCode {
    let body =
        json!({"phone": phone, "email": "abonent@example.ru", "consent_personal_data": true});
    app.call_from(
        peer(ip),
        Method::POST,
        "/api/v1/auth/registration",
        None,
        Some(&body.to_string()),
        &[],
    )
    .await
    .status
}

#[tokio::test]
async fn ipv6_clients_of_one_64_share_the_sms_limit_and_mapped_ipv4_is_ipv4() {
    let mut settings = settings();
    settings.limits.sms_per_ip = Limit {
        max: 2,
        window: chrono::TimeDelta::hours(1),
    };
    let app = App::with(settings, HttpConfig::default(), |_| {}).await;
    let statuses = [
        register_from(&app, "2001:db8:1:2::a", "+79100000001").await,
        register_from(&app, "2001:db8:1:2:ffff::b", "+79100000002").await,
        register_from(&app, "2001:db8:1:2::c", "+79100000003").await,
        register_from(&app, "2001:db8:1:3::a", "+79100000004").await,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::ACCEPTED,
        ]
    );
    // A dual-stack listener's view of an IPv4 client counts with the client's IPv4 address.
    let mapped = [
        register_from(&app, "203.0.113.7", "+79100000005").await,
        register_from(&app, "::ffff:203.0.113.7", "+79100000006").await,
        register_from(&app, "::ffff:203.0.113.7", "+79100000007").await,
        register_from(&app, "::ffff:203.0.113.8", "+79100000008").await,
    ];
    assert_eq!(
        mapped,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::ACCEPTED,
        ]
    );
}

/// A POST of `body` with this `Content-Type` (none when `None`).
async fn post_typed(app: &App, path: &str, body: &str, content_type: Option<&str>) -> Answer {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(value) = content_type {
        request = request.header(header::CONTENT_TYPE, value);
    }
    let mut request = request.body(Body::from(body.to_owned())).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(peer("198.51.100.7")));
    app.send(request).await
}

#[tokio::test]
async fn json_endpoints_refuse_other_media_types_with_415() {
    let app = App::new().await;
    let login = json!({"login": "+79109845003", "password": "wrong-password"}).to_string();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/registration",
        "/api/v1/auth/password-reset",
        "/api/v1/public/readings",
        "/api/v1/public/payments",
    ] {
        for content_type in [
            Some("text/plain"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonp"),
            Some("application/merge-patch+json"),
            None,
        ] {
            let body = post_typed(&app, path, &login, content_type)
                .await
                .problem(415, "unsupported_media_type");
            assert!(
                body["detail"].as_str().unwrap().contains("JSON"),
                "{path} {content_type:?}"
            );
        }
    }
}

#[tokio::test]
async fn application_json_is_accepted_with_parameters_in_any_case() {
    let app = App::new().await;
    let login = json!({"login": "+79109845003", "password": "wrong-password"}).to_string();
    for content_type in [
        "application/json",
        "Application/JSON; charset=UTF-8",
        "application/json;charset=utf-8",
    ] {
        let answer = app
            .call_raw(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&login),
                &[("content-type", content_type)],
            )
            .await;
        answer.problem(401, "invalid_credentials");
    }
    // No body and no type: the body is missing (422), not of a wrong type.
    let empty = app
        .call_raw(Method::POST, "/api/v1/auth/login", None, None, &[])
        .await;
    assert_eq!(empty.bad_fields(), ["body"]);
}

#[tokio::test]
async fn endpoints_without_a_body_need_no_content_type() {
    let app = App::new().await;
    let token = app.register().await;
    let accounts = app
        .call_raw(Method::GET, "/api/v1/accounts", Some(&token), None, &[])
        .await;
    assert_eq!(accounts.status, StatusCode::OK);
    let logout = app
        .call_raw(Method::POST, "/api/v1/auth/logout", Some(&token), None, &[])
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_flood_of_logins_past_the_hashers_queue_is_503_and_the_cabinet_still_answers() {
    const FLOOD: usize = 8;
    // The real hasher with one thread and a queue of one.
    let workers = HashWorkers::start(HasherPool {
        workers: 1,
        queue: 1,
    });
    let hasher = Arc::new(Argon2Hasher::new(workers.clone()));
    let app = Arc::new(
        App::with(settings(), HttpConfig::default(), |parts| {
            parts.services.hasher = hasher;
        })
        .await,
    );
    let token = app.register().await;
    // The thread is held busy until `open` says so.
    let (open, gate) = std::sync::mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel();
    let held = tokio::spawn(async move {
        workers
            .run(move |_| {
                let _ = started.send(());
                let _ = gate.recv();
                Ok(())
            })
            .await
    });
    running.await.unwrap();

    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..FLOOD {
        let (app, answers) = (app.clone(), answers.clone());
        tokio::spawn(async move {
            let login = json!({"login": PHONE, "password": PASSWORD});
            let _ = answers.send(app.post("/api/v1/auth/login", None, login).await);
        });
    }
    // One login waits in the queue; every other one is refused at once.
    for _ in 1..FLOOD {
        let refused = answered.recv().await.unwrap();
        refused.problem(503, "service_unavailable");
        assert_eq!(refused.headers[header::RETRY_AFTER], "2");
    }
    // With that login still in flight, the cabinet answers.
    let accounts = app.get("/api/v1/accounts", Some(&token)).await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert!(
        answered.try_recv().is_err(),
        "the queued login has not answered yet"
    );

    open.send(()).unwrap();
    assert_eq!(held.await.unwrap(), Ok(()));
    let queued = answered.recv().await.unwrap();
    assert_eq!(queued.status, StatusCode::OK, "{:?}", queued.json());
}
