//! The limits of client networks and users against the binary: login failures per user and per
//! network, a flood of logins against a small password hasher, anonymous payments per network
//! (counted in the database, so a restart keeps them), and the sandbox provider refused on a
//! public URL unless chosen.

use serde_json::json;
use vodokanal_e2e::demo::{ACCOUNT, EMAIL, PASSWORD, PHONE};
use vodokanal_e2e::{Backend, Deployment, Response, Server};

/// Failures in one window of an hour from one network, for the journey.
const NETWORK_FAILURES: &str = "14";

async fn login_failures_count_per_user_and_per_network(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment
        .start_with(&[("VODOKANAL_LOGIN_NETWORK_FAILURES", NETWORK_FAILURES)])
        .await;
    server.register(PHONE, EMAIL, PASSWORD).await;

    // Failures by e-mail and by phone are one user's: ten of them, then even the right
    // password is refused, by either.
    for login in [EMAIL, PHONE].iter().cycle().take(10) {
        server
            .login(login, "wrong-password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    for login in [PHONE, EMAIL] {
        let limited = server.login(login, PASSWORD).await;
        limited.assert_problem(429, "too_many_requests");
        assert!((1..=15 * 60).contains(&limited.retry_after()));
    }

    // Twelve attempts from this address so far: spraying other phones stops at fourteen, with
    // the network's wait (up to an hour), longer than a user's.
    for phone in ["+7 916 000 11 22", "+7 916 000 11 23"] {
        server
            .login(phone, "Leto-2026")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let sprayed = server.login("+7 916 000 11 24", "Leto-2026").await;
    sprayed.assert_problem(429, "too_many_requests");
    assert!(
        (15 * 60 + 1..=3600).contains(&sprayed.retry_after()),
        "{}",
        sprayed.retry_after()
    );
}

/// Logins sent at once in the flood: far more than one hasher thread and one waiting place.
const FLOOD: usize = 24;

async fn a_flood_of_logins_is_refused_at_once_and_the_cabinet_keeps_answering(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment
        .start_with(&[
            ("VODOKANAL_HASHER_WORKERS", "1"),
            ("VODOKANAL_HASHER_QUEUE", "1"),
            ("VODOKANAL_LOGIN_NETWORK_FAILURES", "1000000"),
        ])
        .await;
    let token = server.linked_subscriber().await;
    // Unknown phones, each failing once: neither limit of failed logins stops them, and each
    // is hashed (against a decoy) as a real login would be.
    let logins: Vec<_> = (0..FLOOD)
        .map(|i| {
            let request = server.request("POST", "/api/v1/auth/login").json(&json!({
                "login": format!("+7 916 100 {:02} {:02}", i / 100, i % 100),
                "password": "Leto-2026",
            }));
            tokio::spawn(request.send())
        })
        .collect();
    // While they run, the cabinet answers.
    let accounts = server
        .request("GET", "/api/v1/accounts")
        .bearer(Some(&token))
        .send()
        .await
        .expect(200);
    assert_eq!(accounts.json().as_array().map(Vec::len), Some(1));
    let mut refused = 0;
    for login in logins {
        let answer = login.await.unwrap();
        match answer.status {
            401 => answer.assert_problem(401, "invalid_credentials"),
            503 => {
                answer.assert_problem(503, "service_unavailable");
                assert!(answer.retry_after() >= 1);
                refused += 1;
            }
            other => panic!("a login of the flood answered {other}: {}", answer.body),
        }
    }
    assert!(refused > 0, "the hasher's queue never filled");
    // The flood is over: logins are hashed again.
    server.token(PHONE, PASSWORD).await;
}

async fn pay_anonymously(server: &Server) -> Response {
    server
        .api(
            "POST",
            "/public/payments",
            None,
            &json!({"account_number": ACCOUNT, "purpose": "water", "amount": "10.00"}),
        )
        .await
}

async fn anonymous_payments_are_limited_per_network_in_the_database(backend: Backend) {
    let server = Server::start(backend).await;
    for _ in 0..20 {
        pay_anonymously(&server).await.expect(201);
    }
    let limited = pay_anonymously(&server).await;
    limited.assert_problem(429, "too_many_requests");
    assert!((1..=3600).contains(&limited.retry_after()));

    // The count is in the database: a restarted server still refuses.
    let deployment = server.deployment().clone();
    drop(server);
    let restarted = deployment.start().await;
    pay_anonymously(&restarted)
        .await
        .assert_problem(429, "too_many_requests");
}

async fn the_sandbox_needs_choosing_on_a_public_url_and_says_no_money_moves(backend: Backend) {
    const PUBLIC: &str = "https://lk.vodokanal.example";
    let deployment = Deployment::new(backend).await;

    let (code, stderr) = deployment
        .refused(&[("VODOKANAL_PUBLIC_URL", PUBLIC)])
        .await;
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: VODOKANAL_PAYMENTS: "),
        "{stderr}"
    );
    assert!(lines[0].contains("yookassa or tbank"), "{stderr}");
    assert!(lines[0].contains("sandbox explicitly"), "{stderr}");

    let server = deployment
        .start_with(&[
            ("VODOKANAL_PUBLIC_URL", PUBLIC),
            ("VODOKANAL_PAYMENTS", "sandbox"),
        ])
        .await;
    let log = std::fs::read_to_string(deployment.log()).unwrap();
    let warning = log
        .lines()
        .find(|line| line.contains("WARN") && line.contains("VODOKANAL_PAYMENTS=sandbox"));
    assert!(warning.is_some(), "{log}");

    let payment = pay_anonymously(&server).await.expect(201).json();
    let id = payment["id"].as_str().unwrap();
    assert_eq!(
        payment["confirmation_url"],
        format!("{PUBLIC}/sandbox/pay/{id}")
    );
    let page = server
        .request("GET", &format!("/sandbox/pay/{id}"))
        .send()
        .await
        .expect(200);
    assert!(
        page.body.contains("Тестовая оплата: деньги не списываются"),
        "{}",
        page.body
    );
}

vodokanal_e2e::journeys!(
    login_failures_count_per_user_and_per_network,
    a_flood_of_logins_is_refused_at_once_and_the_cabinet_keeps_answering,
    anonymous_payments_are_limited_per_network_in_the_database,
    the_sandbox_needs_choosing_on_a_public_url_and_says_no_money_moves,
);
