//! `serve` through PgBouncer in transaction pooling mode (issue 16): two servers, each with more
//! connections than PgBouncer has server sessions, on one PostgreSQL database migrated
//! beforehand straight to PostgreSQL (`vodokanal migrate`), as docs/deployment.md says.
//!
//! Needs Debian's pgbouncer, so it is built only with the `pgbouncer-tests` feature:
//! `scripts/pgbouncer-tests.sh` installs the package and runs it, and CI runs that script.
#![cfg(feature = "pgbouncer-tests")]

use std::str::FromStr as _;

use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use vodokanal_e2e::demo::{ACCOUNT, COLD};
use vodokanal_e2e::{Backend, Deployment, Response, Server};
use vodokanal_test_support::pgbouncer::PgBouncer;

/// PgBouncer's server sessions: fewer than either server's connections.
const SERVER_SESSIONS: u32 = 2;

/// A cabinet reading of the demo account's cold-water meter under one `Idempotency-Key`.
async fn submit_reading(server: &Server, token: &str) -> Response {
    server
        .request("POST", &format!("/api/v1/accounts/{ACCOUNT}/readings"))
        .bearer(Some(token))
        .idempotency_key("pgbouncer-reading-1")
        .json(&json!({ "readings": [{ "meter_number": COLD, "value": "130.5" }] }))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_serve_a_subscriber_through_pgbouncer() {
    let deployment = Deployment::new(Backend::Postgres).await;
    deployment.run("migrate", &[]).await;
    let direct = PgConnectOptions::from_str(deployment.database_url()).unwrap();
    let bouncer = PgBouncer::start(
        deployment.dir(),
        direct.get_host(),
        direct.get_port(),
        direct.get_username(),
        SERVER_SESSIONS,
    );
    let url = bouncer.url(direct.get_database().unwrap());
    let settings = [
        ("VODOKANAL_DATABASE_URL", url.as_str()),
        ("VODOKANAL_DATABASE_POOLER", "transaction"),
        ("VODOKANAL_DB_MAX_CONNECTIONS", "6"),
    ];
    let first = deployment.start_with(&settings).await;
    let second = deployment.start_with(&settings).await;

    // Registration's code reaches the outbox through the background sender, through PgBouncer.
    let token = first.linked_subscriber().await;
    let replayed = submit_reading(&first, &token).await.expect(201).json();
    let account = second
        .get(&format!("/accounts/{ACCOUNT}"), Some(&token))
        .await;
    let meters = account["meters"].as_array().unwrap();
    let cold = meters
        .iter()
        .find(|meter| meter["meter_number"] == COLD)
        .unwrap();
    assert_eq!(cold["last_reading"]["value"], "130.500", "{account}");
    // The replay under the same key comes from the other server.
    let replay = submit_reading(&second, &token).await.expect(201).json();
    assert_eq!(replay, replayed, "the replay is the first answer");
    first
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            Some(&token),
            &json!({ "purpose": "water", "amount": "234.50" }),
        )
        .await
        .expect(201);

    // Far more requests at once than server sessions, on both servers.
    let views = (0..48).map(|i| {
        let server = if i % 2 == 0 { &first } else { &second };
        server
            .request("GET", &format!("/api/v1/accounts/{ACCOUNT}"))
            .bearer(Some(&token))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(views)
        .await
        .iter()
        .map(|answer| answer.status)
        .collect();
    assert!(statuses.iter().all(|&status| status == 200), "{statuses:?}");

    let log = std::fs::read_to_string(deployment.log()).unwrap();
    assert!(
        !log.contains("prepared statement") && !log.contains("transaction is aborted"),
        "a session's state leaked between transactions:\n{log}"
    );
    drop((first, second, bouncer));
}
