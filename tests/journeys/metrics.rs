//! `/metrics` on `VODOKANAL_METRICS_LISTEN`: scraped before and after a journey (register with
//! an SMS code, link the demo account, submit a reading, pay in the sandbox), the counts moved
//! by exactly what the journey did; never on the public port; never on the public address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use vodokanal_e2e::demo::{ACCOUNT, COLD, EMAIL, PASSWORD, PHONE};
use vodokanal_e2e::{Backend, Deployment, Request, free_port};

/// How long the SMS sender may take to count an SMS after the outbox file shows it.
const PATIENCE: Duration = Duration::from_secs(15);

/// One scrape: each sample by its name and labels (`name{a="x",b="y"}`, labels in the
/// order given), parsed from the Prometheus text format.
#[derive(Debug)]
struct Scrape(BTreeMap<String, f64>);

impl Scrape {
    async fn take(metrics: SocketAddr) -> Self {
        let response = Request::new(metrics, "GET", "/metrics")
            .send()
            .await
            .expect(200);
        assert!(
            response
                .content_type()
                .starts_with("text/plain; version=0.0.4"),
            "{}",
            response.content_type()
        );
        Self(parse(&response.body))
    }

    /// The sample `key` (`name{labels}`, labels sorted), in whole units; 0 when absent.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the samples compared are counts and whole seconds"
    )]
    fn value(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or_default().round() as i64
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The samples whose name is `name`, whatever their labels.
    fn named(&self, name: &str) -> Vec<(&String, f64)> {
        self.0
            .iter()
            .filter(|(key, _)| key.split('{').next() == Some(name))
            .map(|(key, value)| (key, *value))
            .collect()
    }
}

/// The samples of a text exposition, by `name{labels}` with the labels sorted by name.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap(),
        };
        let key = match series.split_once('{') {
            None => series.to_owned(),
            Some((name, labels)) => {
                let mut labels = parse_labels(labels.strip_suffix('}').unwrap());
                labels.sort();
                let labels: Vec<String> = labels
                    .into_iter()
                    .map(|(label, value)| format!("{label}=\"{value}\""))
                    .collect();
                format!("{name}{{{}}}", labels.join(","))
            }
        };
        assert!(samples.insert(key.clone(), value).is_none(), "{key} twice");
    }
    samples
}

/// `a="x",b="y \"quoted\""` into its pairs, unescaped.
fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap();
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (at, c) = chars.next().unwrap();
            match c {
                '\\' => match chars.next().unwrap().1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break at,
                other => value.push(other),
            }
        };
        pairs.push((name.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    pairs
}

fn requests(method: &str, route: &str, status: u16) -> String {
    format!(
        "vodokanal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

async fn a_journey_moves_the_metrics_by_what_it_did(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let listen = metrics.to_string();
    let server = deployment
        .start_with(&[("VODOKANAL_METRICS_LISTEN", listen.as_str())])
        .await;
    let before = Scrape::take(metrics).await;

    // Register with an SMS code, link the demo account, submit a reading, pay and settle.
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    server.link_demo_account(&token).await;
    server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/readings"),
            Some(&token),
            &json!({"readings": [{"meter_number": COLD, "value": "130.000"}]}),
        )
        .await
        .expect(201);
    let payment = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            Some(&token),
            &json!({"purpose": "water", "amount": "10.00"}),
        )
        .await
        .expect(201)
        .json();
    let page = format!("/sandbox/pay/{}", payment["id"].as_str().unwrap());
    server
        .request("POST", &page)
        .form("result=succeeded")
        .send()
        .await
        .expect(200);
    // Not here: on the public port `/metrics` is an unknown address.
    server
        .request("GET", "/metrics")
        .send()
        .await
        .assert_problem(404, "not_found");

    // The SMS counter moves once the sender has recorded the gateway's answer.
    let sent = "vodokanal_sms_sent_total{purpose=\"registration\"}";
    let deadline = Instant::now() + PATIENCE;
    let after = loop {
        let after = Scrape::take(metrics).await;
        if after.value(sent) > before.value(sent) {
            break after;
        }
        assert!(Instant::now() < deadline, "no SMS counted: {after:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let delta = |key: &str| after.value(key) - before.value(key);

    for (method, route, status) in [
        ("POST", "/api/v1/auth/registration", 202),
        ("POST", "/api/v1/auth/registration/confirm", 201),
        ("POST", "/api/v1/accounts", 201),
        ("POST", "/api/v1/accounts/{number}/readings", 201),
        ("POST", "/api/v1/accounts/{number}/payments", 201),
        ("GET", "<unmatched>", 404),
    ] {
        assert_eq!(
            delta(&requests(method, route, status)),
            1,
            "{method} {route} {status}: {after:?}"
        );
    }
    // Latency by the route template, never the path.
    let latency = "vodokanal_http_request_duration_seconds_count\
                   {method=\"POST\",route=\"/api/v1/accounts/{number}/readings\"}";
    assert_eq!(delta(latency), 1, "{after:?}");
    assert!(
        !after.0.keys().any(|key| key.contains(ACCOUNT)),
        "an account number in a label: {after:?}"
    );

    assert_eq!(delta(sent), 1);
    assert_eq!(delta("vodokanal_sms_budget_remaining{window=\"hour\"}"), -1);
    assert_eq!(delta("vodokanal_sms_budget_remaining{window=\"day\"}"), -1);
    assert_eq!(after.value("vodokanal_sms_budget{window=\"hour\"}"), 1000);
    assert_eq!(
        delta("vodokanal_payments_created_total{provider=\"sandbox\"}"),
        1
    );
    assert_eq!(
        delta("vodokanal_payments_settled_total{provider=\"sandbox\",status=\"succeeded\"}"),
        1
    );
    assert_eq!(
        after.value("vodokanal_payments_pending_oldest_age_seconds"),
        0
    );
    assert_eq!(after.value("vodokanal_store_observed"), 1);
    the_load_is_read_at_each_scrape(&after);
}

/// The hasher's and the pools' gauges.
fn the_load_is_read_at_each_scrape(after: &Scrape) {
    assert!(after.value("vodokanal_hasher_capacity") >= 1, "{after:?}");
    assert!(after.value("vodokanal_hasher_workers") >= 1, "{after:?}");
    assert!(after.has("vodokanal_hasher_jobs"), "{after:?}");
    assert!(after.has("vodokanal_hasher_refused_total"), "{after:?}");
    let pools = after.named("vodokanal_db_pool_max_connections");
    assert!(!pools.is_empty(), "{after:?}");
    assert!(pools.iter().all(|(_, max)| *max >= 1.0), "{pools:?}");
    assert_eq!(
        after.named("vodokanal_db_pool_connections").len(),
        2 * pools.len(),
        "{after:?}"
    );
    assert!(after.has("vodokanal_db_pool_acquire_timeouts_total"));
}

async fn the_metrics_are_never_on_the_public_listener(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let public = format!("127.0.0.1:{}", free_port());
    let (code, log) = deployment
        .refused(&[
            ("VODOKANAL_LISTEN", public.as_str()),
            ("VODOKANAL_METRICS_LISTEN", public.as_str()),
        ])
        .await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("error: VODOKANAL_METRICS_LISTEN: "), "{log}");
}

vodokanal_e2e::journeys!(
    a_journey_moves_the_metrics_by_what_it_did,
    the_metrics_are_never_on_the_public_listener,
);
