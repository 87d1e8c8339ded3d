//! `vodokanal serve`: the HTTP server; with `VODOKANAL_METRICS_LISTEN`, `/metrics` on a
//! listener of its own; in the background the SMS sender, the payment reconciliation and the
//! purge of expired records; a graceful stop on SIGTERM or Ctrl-C.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};
use vodokanal_app::notices::Scope;
use vodokanal_app::payments::ReconcilePaymentsCommand;
use vodokanal_app::{Settings, UseCases};
use vodokanal_http::{AppState, HttpConfig};

use crate::config::{ConfigError, ServeConfig};
use crate::error::Error;
use crate::listener::stopped;
use crate::wiring::Wired;

/// How often the background job reconciles pending payments.
const RECONCILE_EVERY: Duration = Duration::from_secs(60);

/// How often the SMS outbox is looked at for due messages: a code reaches the gateway within
/// about this long after its request.
const DELIVER_EVERY: Duration = Duration::from_secs(1);

/// How often the expired sessions, codes, idempotency records and attempts are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);
/// How often the notices of succeeded payments are planned.
const PLAN_PAYMENTS_EVERY: Duration = Duration::from_secs(10);
/// How often every other notice is planned (the reading window, verifications, debts): each
/// is due for days, and planned once whatever the number of runs: hourly (360 runs of 10 s).
const PLAN_ALL_EVERY: u32 = 360;

/// How long a background job that panicked waits before it starts again.
const RESTART_AFTER: Duration = Duration::from_secs(30);

/// How long in-flight requests may take to finish after a stop signal: what is still running
/// then (a client stalled mid-body, say) is cut off, so that the process exits within 10 s of
/// SIGTERM. A write cut off rolls back whole; its key's claim is taken over after its lease.
const DRAIN_FOR: Duration = Duration::from_secs(6);

/// The most connections open at once to the metrics listener (a scraper or two).
const METRICS_CONNECTIONS: usize = 16;

/// How long the background jobs, told to stop at the signal, may take to finish their step
/// after the requests have drained.
const JOBS_FOR: Duration = Duration::from_secs(1);

/// Serves `wired`'s use cases until SIGTERM or Ctrl-C, then lets in-flight requests finish
/// (for at most `DRAIN_FOR`) and returns `Ok`.
pub async fn serve(config: &ServeConfig, settings: &Settings, wired: Wired) -> Result<(), Error> {
    let Wired {
        use_cases,
        health,
        sandbox_page,
        hasher,
    } = wired;
    // Before anything records: without the listener, no recorder and no metrics.
    let recorder = config
        .metrics_listen
        .and_then(|_| crate::metrics::recorder());
    if config.demo && crate::demo::load_if_absent(&use_cases).await? {
        info!("VODOKANAL_DEMO: the demo registry was loaded (accounts 100001..100005)");
    }
    let http = HttpConfig {
        trusted_proxies: config.trusted_proxies.clone(),
        cors_origins: config.cors_origins.clone(),
        return_origins: config.return_origins.clone(),
        ..HttpConfig::default()
    };
    // The web client's files first; every other path (the API's, and its 404) to the API.
    let api = vodokanal_http::router(AppState::new(
        use_cases.clone(),
        health.clone(),
        settings,
        http,
    ));
    let mut app: Router = vodokanal_web::router().fallback_service(api);
    if let Some(page) = sandbox_page {
        app = page.fallback_service(app);
    }

    let listener = TcpListener::bind(config.listen).await.map_err(|e| {
        Error::Config(ConfigError {
            setting: "VODOKANAL_LISTEN",
            message: format!("can't listen on {}: {e}", config.listen),
        })
    })?;
    let address = listener.local_addr().unwrap_or(config.listen);
    info!(%address, public_url = %config.provider.public_url, "listening");

    let (stop, stop_rx) = watch::channel(false);
    let metrics = match (config.metrics_listen, recorder) {
        (Some(address), Some(handle)) => {
            let scrape = crate::metrics::Scrape {
                handle,
                use_cases: use_cases.clone(),
                health,
                hasher,
            };
            Some(metrics_listener(address, scrape, &stop_rx).await?)
        }
        _ => None,
    };
    let jobs = [
        reconciliation(&use_cases, config, &stop_rx),
        purge(&use_cases, &stop_rx),
        sms_sender(&use_cases, &stop_rx),
        notice_planner(&use_cases, &stop_rx),
    ];

    let server = crate::listener::serve(listener, app, config.listener, stop_rx);
    tokio::pin!(server);

    tokio::select! {
        () = &mut server => {}
        () = stop_signal() => {
            info!("stopping: finishing the requests in flight");
            let _ = stop.send(true);
            if tokio::time::timeout(DRAIN_FOR, &mut server).await.is_err() {
                warn!(seconds = DRAIN_FOR.as_secs(), "requests still in flight were cut off");
            }
        }
    }
    let _ = stop.send(true);
    let finished = async {
        for job in jobs {
            let _ = job.await;
        }
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
    };
    if tokio::time::timeout(JOBS_FOR, finished).await.is_err() {
        warn!("a background job was cut off in its step");
    }
    info!("stopped");
    Ok(())
}

/// Serves `/metrics` on `address` until told to stop.
async fn metrics_listener(
    address: std::net::SocketAddr,
    scrape: crate::metrics::Scrape,
    stop: &watch::Receiver<bool>,
) -> Result<JoinHandle<()>, Error> {
    let listener = TcpListener::bind(address).await.map_err(|e| {
        Error::Config(ConfigError {
            setting: "VODOKANAL_METRICS_LISTEN",
            message: format!("can't listen on {address}: {e}"),
        })
    })?;
    let bound = listener.local_addr().unwrap_or(address);
    info!(address = %bound, "metrics at /metrics");
    let limits = crate::listener::ListenerLimits {
        max_connections: METRICS_CONNECTIONS,
        ..crate::listener::ListenerLimits::default()
    };
    Ok(tokio::spawn(crate::listener::serve(
        listener,
        crate::metrics::router(scrape),
        limits,
        stop.clone(),
    )))
}

/// The payment reconciliation, supervised, until told to stop.
fn reconciliation(
    use_cases: &Arc<UseCases>,
    config: &ServeConfig,
    stop: &watch::Receiver<bool>,
) -> JoinHandle<()> {
    let use_cases = use_cases.clone();
    let older_than = config.provider.reconcile_after;
    let stop = stop.clone();
    tokio::spawn(supervised(
        "reconciliation",
        RESTART_AFTER,
        stop.clone(),
        move || {
            reconcile_in_background(use_cases.clone(), older_than, RECONCILE_EVERY, stop.clone())
        },
    ))
}

/// The purge of expired records, supervised, until told to stop.
fn purge(use_cases: &Arc<UseCases>, stop: &watch::Receiver<bool>) -> JoinHandle<()> {
    let use_cases = use_cases.clone();
    let stop = stop.clone();
    tokio::spawn(supervised(
        "purge",
        RESTART_AFTER,
        stop.clone(),
        move || purge_in_background(use_cases.clone(), PURGE_EVERY, stop.clone()),
    ))
}

/// The SMS outbox's sender, supervised, until told to stop.
fn sms_sender(use_cases: &Arc<UseCases>, stop: &watch::Receiver<bool>) -> JoinHandle<()> {
    let use_cases = use_cases.clone();
    let stop = stop.clone();
    tokio::spawn(supervised("sms", RESTART_AFTER, stop.clone(), move || {
        deliver_in_background(use_cases.clone(), DELIVER_EVERY, stop.clone())
    }))
}

/// The notices' planner, supervised, until told to stop.
fn notice_planner(use_cases: &Arc<UseCases>, stop: &watch::Receiver<bool>) -> JoinHandle<()> {
    let use_cases = use_cases.clone();
    let stop = stop.clone();
    tokio::spawn(supervised(
        "notices",
        RESTART_AFTER,
        stop.clone(),
        move || plan_in_background(use_cases.clone(), PLAN_PAYMENTS_EVERY, stop.clone()),
    ))
}

/// Plans the payments' notices every `every`, and every notice at start and each
/// [`PLAN_ALL_EVERY`] runs, until told to stop. A plan cut off is planned again: the store's
/// key keeps a notice from being planned twice.
async fn plan_in_background(
    use_cases: Arc<UseCases>,
    every: Duration,
    stop: watch::Receiver<bool>,
) {
    let runs = std::sync::atomic::AtomicU32::new(0);
    let (plan, clock) = (&use_cases.plan_notices, &use_cases.clock);
    let runs = &runs;
    repeat(every, stop, move || async move {
        let run = runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let scope = if run.is_multiple_of(PLAN_ALL_EVERY) {
            Scope::All
        } else {
            Scope::Payments
        };
        if let Err(e) = plan.execute(scope, clock.now()).await {
            error!(error = %e, "planning the notices failed");
        }
    })
    .await;
}

/// Reconciles every `every` until told to stop; a failing run is logged and the next one
/// tried. A stop also ends a run in progress: each payment is settled atomically, so one cut
/// off between the provider's report and the store is simply checked again next time.
async fn reconcile_in_background(
    use_cases: Arc<UseCases>,
    older_than: chrono::TimeDelta,
    every: Duration,
    stop: watch::Receiver<bool>,
) {
    let reconcile = &use_cases.reconcile_payments;
    repeat(every, stop, move || async move {
        if let Err(e) = reconcile
            .execute(ReconcilePaymentsCommand { older_than })
            .await
        {
            error!(error = %e, "background reconciliation failed");
        }
    })
    .await;
}

/// Delivers the SMS outbox every `every` until told to stop; a failing run is logged and the
/// next one tried. A stop also ends a run in progress: a message claimed but not recorded is
/// claimed again once its lease ends (by this process after a restart, or by another).
async fn deliver_in_background(
    use_cases: Arc<UseCases>,
    every: Duration,
    stop: watch::Receiver<bool>,
) {
    let (deliver, notices) = (&use_cases.deliver_sms, &use_cases.deliver_notices);
    repeat(every, stop, move || async move {
        if let Err(e) = deliver.execute().await {
            error!(error = %e, "delivering the SMS outbox failed");
        }
        if let Err(e) = notices.execute().await {
            error!(error = %e, "delivering the notices failed");
        }
    })
    .await;
}

/// Purges expired records every `every` (the first run at start) until told to stop; a
/// failing run is logged and the next one tried. Each table is purged by one statement, so a
/// stop in the middle leaves the rest for the next process.
async fn purge_in_background(
    use_cases: Arc<UseCases>,
    every: Duration,
    stop: watch::Receiver<bool>,
) {
    let purge = &use_cases.purge_expired;
    repeat(every, stop, move || async move {
        if let Err(e) = purge.execute().await {
            error!(error = %e, "purging expired records failed");
        }
    })
    .await;
}

/// Runs the background job `start` makes as a task of its own, until it ends (told to stop).
/// A job that panics is not silently gone: the panic is logged at ERROR and, after `pause`,
/// the job starts again (unless told to stop meanwhile).
async fn supervised<F, Fut>(
    name: &'static str,
    pause: Duration,
    mut stop: watch::Receiver<bool>,
    start: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match tokio::spawn(start()).await {
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                error!(
                    job = name,
                    panic = %message,
                    restart_in_seconds = pause.as_secs(),
                    "a background job panicked; it starts again after a pause"
                );
            }
            Ok(()) | Err(_) => return,
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stopped(&mut stop) => return,
        }
    }
}

/// Runs `job` at once and then every `every` until told to stop; a stop also ends a run in
/// progress.
async fn repeat<F, Fut>(every: Duration, mut stop: watch::Receiver<bool>, mut job: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stopped(&mut stop) => return,
        }
        tokio::select! {
            () = job() => {}
            () = stopped(&mut stop) => return,
        }
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use chrono::TimeDelta;
    use tokio::sync::Notify;
    use vodokanal_app::ports::{
        CreatedPayment, Notification, NotificationError, PaymentProvider, PaymentRequest,
        ProviderError, ProviderReport, SmsGateway,
    };
    use vodokanal_app::{Services, Stores};
    use vodokanal_domain::{Payment, PaymentPurpose, PaymentStatus};
    use vodokanal_payments::SandboxProvider;
    use vodokanal_system::{Argon2Hasher, HashWorkers, HasherPool, OsRandom};
    use vodokanal_test_support::builders::{
        account_number, money, now, payment_id, registry_account,
    };
    use vodokanal_test_support::fakes::{FixedClock, Mailbox};
    use vodokanal_test_support::memory::in_memory_stores;

    use super::*;

    /// A provider whose `report` never answers, and says when it was asked.
    #[derive(Debug, Default)]
    struct Silent(Arc<Notify>);

    #[async_trait]
    impl PaymentProvider for Silent {
        fn name(&self) -> &'static str {
            "sandbox"
        }
        async fn create(&self, _: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
            std::future::pending().await
        }
        async fn report(&self, _: &str) -> Result<ProviderReport, ProviderError> {
            self.0.notify_one();
            std::future::pending().await
        }
        fn read_notification(&self, _: &Notification) -> Result<String, NotificationError> {
            Err(NotificationError::Irrelevant)
        }
    }

    /// A sandbox payment created an hour ago, pending.
    fn pending() -> Payment {
        let id = payment_id();
        Payment {
            id,
            account_number: account_number("123456"),
            purpose: PaymentPurpose::Water,
            amount: money("150.50"),
            status: PaymentStatus::Pending,
            provider: "sandbox".into(),
            provider_payment_id: Some(id.to_string()),
            confirmation_url: None,
            receipt_contact: None,
            created_at: now() - TimeDelta::hours(1),
            paid_at: None,
            user_id: None,
        }
    }

    /// The use cases on `stores`, `provider` and `sms`, with a [`FixedClock`].
    fn use_cases(
        stores: &Stores,
        provider: Arc<dyn PaymentProvider>,
        sms: Arc<dyn SmsGateway>,
    ) -> Arc<UseCases> {
        let services = Services {
            clock: Arc::new(FixedClock::default()),
            random: Arc::new(OsRandom),
            hasher: Arc::new(Argon2Hasher::new(HashWorkers::start(HasherPool {
                workers: 1,
                queue: 0,
            }))),
            sms,
            provider,
            mail: Arc::new(Mailbox::default()),
            push: None,
        };
        Arc::new(UseCases::new(stores, &services, &Settings::default()))
    }

    /// A store that holds [`pending`]'s account and `payment`.
    async fn stores_holding(payment: &Payment) -> Stores {
        let stores = in_memory_stores();
        stores
            .registry
            .upsert(&[registry_account(&payment.account_number)])
            .await
            .unwrap();
        stores.payments.create(payment).await.unwrap();
        stores
    }

    fn job(
        stores: &Stores,
        provider: Arc<dyn PaymentProvider>,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(reconcile_in_background(
            use_cases(stores, provider, Arc::new(Kept::default())),
            TimeDelta::minutes(10),
            Duration::from_secs(3600),
            stop,
        ))
    }

    #[tokio::test]
    async fn the_background_job_settles_what_the_provider_reports_then_stops() {
        let payment = pending();
        let stores = stores_holding(&payment).await;
        let payments = stores.payments.clone();
        let sandbox = Arc::new(SandboxProvider::new("http://127.0.0.1:8080"));
        let request = PaymentRequest {
            payment_id: payment.id,
            account_number: payment.account_number.clone(),
            purpose: payment.purpose,
            amount: payment.amount,
            description: String::new(),
            return_url: String::new(),
            receipt_contact: None,
        };
        sandbox.create(&request).await.unwrap();
        sandbox
            .decide(&payment.id.to_string(), true, now())
            .unwrap();

        let (stop, stop_rx) = watch::channel(false);
        let handle = job(&stores, sandbox, stop_rx);
        // The first run starts at once.
        loop {
            let found = payments.find(payment.id).await.unwrap().unwrap();
            if found.status == PaymentStatus::Succeeded {
                assert_eq!(found.paid_at, Some(now()));
                break;
            }
            tokio::task::yield_now().await;
        }
        stop.send(true).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_stop_ends_a_run_waiting_on_the_provider() {
        let payment = pending();
        let stores = stores_holding(&payment).await;
        let payments = stores.payments.clone();
        let asked = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let handle = job(&stores, Arc::new(Silent(asked.clone())), stop_rx);
        asked.notified().await;
        stop.send(true).unwrap();
        handle.await.unwrap();
        let found = payments.find(payment.id).await.unwrap().unwrap();
        assert_eq!(found.status, PaymentStatus::Pending);
    }

    #[tokio::test]
    async fn a_stop_sent_before_the_start_ends_the_job_at_once() {
        let (stop, stop_rx) = watch::channel(false);
        stop.send(true).unwrap();
        job(&in_memory_stores(), Arc::new(Silent::default()), stop_rx)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_purge_runs_at_start_then_stops() {
        let stores = in_memory_stores();
        let user = vodokanal_test_support::builders::user();
        stores.users.create(&user).await.unwrap();
        let mut expired = vodokanal_test_support::builders::session(user.id);
        expired.expires_at = now() - TimeDelta::seconds(1);
        stores.sessions.create(&expired).await.unwrap();

        let (stop, stop_rx) = watch::channel(false);
        let handle = tokio::spawn(purge_in_background(
            use_cases(
                &stores,
                Arc::new(Silent::default()),
                Arc::new(Kept::default()),
            ),
            Duration::from_secs(3600),
            stop_rx,
        ));
        while stores
            .sessions
            .find(&expired.digest)
            .await
            .unwrap()
            .is_some()
        {
            tokio::task::yield_now().await;
        }
        stop.send(true).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_job_that_panics_is_started_again_after_the_pause() {
        let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (_stop, stop_rx) = watch::channel(false);
        let counted = starts.clone();
        supervised("test", Duration::from_millis(1), stop_rx, move || {
            let starts = counted.clone();
            async move {
                let n = starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                assert!(n > 0, "the first run panics");
            }
        })
        .await;
        assert_eq!(starts.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_job_that_panicked_is_not_started_again_after_a_stop() {
        let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop, stop_rx) = watch::channel(false);
        stop.send(true).unwrap();
        let counted = starts.clone();
        supervised("test", Duration::from_secs(3600), stop_rx, move || {
            let starts = counted.clone();
            async move {
                starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                panic!("always panics");
            }
        })
        .await;
        assert_eq!(starts.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A gateway that keeps what it is given.
    #[derive(Debug, Default)]
    struct Kept(std::sync::Mutex<Vec<String>>);

    #[async_trait]
    impl vodokanal_app::ports::SmsGateway for Kept {
        async fn send(
            &self,
            _to: &vodokanal_domain::MobilePhone,
            text: &str,
            _client_ip: Option<std::net::IpAddr>,
        ) -> Result<(), vodokanal_app::ports::SmsError> {
            self.0.lock().unwrap().push(text.to_owned());
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_sender_delivers_what_a_request_queued_then_stops() {
        let stores = in_memory_stores();
        let phone = vodokanal_test_support::builders::phone("+79109845003");
        let code = vodokanal_test_support::builders::pending_code(
            &phone,
            vodokanal_domain::CodePurpose::Registration,
        );
        let message = vodokanal_app::ports::NewSms {
            phone: phone.clone(),
            text: "Код подтверждения регистрации: 123456.".into(),
            purpose: vodokanal_app::ports::SmsPurpose::Registration,
            client_ip: None,
            created_at: now(),
            expires_at: now() + TimeDelta::minutes(10),
        };
        stores
            .outbox
            .store_code(&code, Some(message), code.sent_at)
            .await
            .unwrap();
        let gateway = Arc::new(Kept::default());

        let (stop, stop_rx) = watch::channel(false);
        let handle = tokio::spawn(deliver_in_background(
            use_cases(&stores, Arc::new(Silent::default()), gateway.clone()),
            Duration::from_secs(3600),
            stop_rx,
        ));
        // The first run starts at once and records the gateway's answer.
        while stores.outbox.to_phone(&phone).await.unwrap()[0].state
            != vodokanal_app::ports::SmsState::Sent
        {
            tokio::task::yield_now().await;
        }
        stop.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(
            *gateway.0.lock().unwrap(),
            ["Код подтверждения регистрации: 123456."]
        );
    }
}
