//! `GET /metrics` in the Prometheus text format, on its own listener
//! (`VODOKANAL_METRICS_LISTEN`, ADR 0015): the recorder (installed once, only when the
//! listener is configured: without it every metric call is a no-op), the router with that one
//! route, and the values read when scraped: the database pools, the password hasher, and what
//! the store holds (`ObserveOperations`: the SMS budget left, the oldest pending payment).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, describe_counter, describe_gauge, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::warn;
use vodokanal_app::UseCases;
use vodokanal_app::ports::StoreHealth;
use vodokanal_system::HashWorkers;

/// Connections of a pool, by `pool` and `state` (`in_use`, `idle`).
pub const DB_POOL_CONNECTIONS: &str = "vodokanal_db_pool_connections";
/// The most connections a pool opens, by `pool`.
pub const DB_POOL_MAX: &str = "vodokanal_db_pool_max_connections";
/// Waits for a connection that gave up after the pool's acquire timeout (each a 503).
pub const DB_POOL_TIMEOUTS: &str = "vodokanal_db_pool_acquire_timeouts_total";
/// Password hashes running or waiting for a thread.
pub const HASHER_JOBS: &str = "vodokanal_hasher_jobs";
/// The hasher's threads.
pub const HASHER_WORKERS: &str = "vodokanal_hasher_workers";
/// Threads and waiting places: one hash more is refused with 503.
pub const HASHER_CAPACITY: &str = "vodokanal_hasher_capacity";
/// Hashes refused because the hasher was full.
pub const HASHER_REFUSED: &str = "vodokanal_hasher_refused_total";

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long a scrape waits for the store's values before it answers without them.
const OBSERVE_WITHIN: Duration = Duration::from_secs(2);

/// The process's recorder, installed by the first call; `None` when another recorder was
/// installed first (then nothing is recorded here).
pub fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(vodokanal_http::metrics::HTTP_REQUEST_DURATION.to_owned()),
                    vodokanal_http::metrics::HTTP_REQUEST_DURATION_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(error) => {
                    warn!(%error, "the metrics recorder could not be installed");
                    None
                }
            }
        })
        .clone()
}

fn describe() {
    vodokanal_app::metrics::describe();
    vodokanal_http::metrics::describe();
    describe_gauge!(DB_POOL_CONNECTIONS, "Connections of a pool, by state.");
    describe_gauge!(DB_POOL_MAX, "The most connections a pool opens.");
    describe_counter!(
        DB_POOL_TIMEOUTS,
        "Waits for a pooled connection that gave up after the acquire timeout."
    );
    describe_gauge!(HASHER_JOBS, "Password hashes running or waiting.");
    describe_gauge!(HASHER_WORKERS, "The password hasher's threads.");
    describe_gauge!(
        HASHER_CAPACITY,
        "Hashes that may run or wait at once; one more is refused."
    );
    describe_counter!(
        HASHER_REFUSED,
        "Password hashes refused: the hasher was full."
    );
}

/// What the scrape reads.
#[derive(Clone)]
pub struct Scrape {
    pub handle: PrometheusHandle,
    pub use_cases: Arc<UseCases>,
    pub health: Arc<dyn StoreHealth>,
    pub hasher: HashWorkers,
}

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrape").finish_non_exhaustive()
    }
}

/// `GET /metrics` and nothing else.
pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "only /metrics is served here\n") })
        .with_state(scrape)
}

async fn metrics(State(scrape): State<Scrape>) -> Response {
    observe(&scrape).await;
    scrape.handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        scrape.handle.render(),
    )
        .into_response()
}

/// A count as a gauge's value.
fn count(n: usize) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

/// Sets the gauges read at scrape time. The store's values are waited for at most
/// [`OBSERVE_WITHIN`]: a store that fails or is slow leaves them as they were (logged at WARN,
/// and `vodokanal_store_observed` 0), and the rest is rendered anyway.
async fn observe(scrape: &Scrape) {
    for pool in scrape.health.pools() {
        gauge!(DB_POOL_CONNECTIONS, "pool" => pool.name, "state" => "in_use").set(pool.in_use());
        gauge!(DB_POOL_CONNECTIONS, "pool" => pool.name, "state" => "idle").set(pool.idle);
        gauge!(DB_POOL_MAX, "pool" => pool.name).set(pool.max);
    }
    counter!(DB_POOL_TIMEOUTS).absolute(scrape.health.pool_timeouts());
    let load = scrape.hasher.load();
    gauge!(HASHER_JOBS).set(count(load.jobs));
    gauge!(HASHER_WORKERS).set(count(load.workers));
    gauge!(HASHER_CAPACITY).set(count(load.capacity));
    counter!(HASHER_REFUSED).absolute(load.refused);

    let use_cases = &scrape.use_cases;
    let observed = tokio::time::timeout(
        OBSERVE_WITHIN,
        use_cases.observe_operations.execute(use_cases.clock.now()),
    )
    .await;
    let ok = match observed {
        Ok(Ok(operations)) => {
            operations.record();
            true
        }
        Ok(Err(error)) => {
            warn!(%error, "metrics: the store's values could not be read");
            false
        }
        Err(_) => {
            warn!(
                seconds = OBSERVE_WITHIN.as_secs(),
                "metrics: the store's values were not read in time"
            );
            false
        }
    };
    gauge!(vodokanal_app::metrics::OBSERVED).set(if ok { 1.0 } else { 0.0 });
}
