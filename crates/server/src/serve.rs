//! `vodokanal serve`: the HTTP server, the reconciliation job in the background, and a
//! graceful stop on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{error, info, warn};
use vodokanal_app::Settings;
use vodokanal_app::payments::{ReconcilePayments, ReconcilePaymentsCommand};
use vodokanal_http::{AppState, HttpConfig};

use crate::config::{ConfigError, ServeConfig};
use crate::error::Error;
use crate::sandbox_page::{self, SandboxPage};
use crate::wiring::{self, Machine, Provider, Store};

/// How often the background job reconciles pending payments.
const RECONCILE_EVERY: Duration = Duration::from_secs(60);

/// How long in-flight requests may take to finish after a stop signal.
const DRAIN_FOR: Duration = Duration::from_secs(20);

/// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish (for at most
/// [`DRAIN_FOR`]) and returns `Ok`.
pub async fn serve(config: &ServeConfig, settings: &Settings, store: Store) -> Result<(), Error> {
    let machine = Machine::real();
    if config.demo && crate::demo::load_if_absent(&store).await? {
        info!("VODOKANAL_DEMO: the demo registry was loaded (accounts 100001..100005)");
    }
    let sms = wiring::sms_gateway(&config.sms, machine.clock.clone()).await?;
    let provider = Provider::new(&config.provider);
    let ports = wiring::http_ports(&store, &machine, sms, provider.port());
    let http = HttpConfig {
        trusted_proxies: config.trusted_proxies.clone(),
        cors_origins: config.cors_origins.clone(),
        ..HttpConfig::default()
    };
    // The web client's files first; every other path (the API's, and its 404) to the API.
    let api = vodokanal_http::router(AppState::new(ports, settings, http));
    let mut app: Router = vodokanal_web::router().fallback_service(api);
    match &provider {
        Provider::Sandbox(sandbox) => {
            let page = sandbox_page::router(SandboxPage {
                sandbox: sandbox.clone(),
                payments: store.stores.payments.clone(),
                clock: machine.clock.clone(),
                public_url: config.provider.public_url.clone(),
            });
            app = page.fallback_service(app);
        }
    }

    let listener = TcpListener::bind(config.listen).await.map_err(|e| {
        Error::Config(ConfigError {
            setting: "VODOKANAL_LISTEN",
            message: format!("can't listen on {}: {e}", config.listen),
        })
    })?;
    let address = listener.local_addr().unwrap_or(config.listen);
    info!(%address, public_url = %config.provider.public_url, "listening");

    let (stop, stopped) = watch::channel(false);
    let reconciler = tokio::spawn(reconcile_in_background(
        ReconcilePayments::new(
            store.stores.payments.clone(),
            provider.port(),
            machine.clock.clone(),
        ),
        config.provider.reconcile_after,
        stopped.clone(),
    ));

    let mut server_stopped = stopped;
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        while !*server_stopped.borrow_and_update() {
            if server_stopped.changed().await.is_err() {
                return;
            }
        }
    })
    .into_future();
    tokio::pin!(server);

    let outcome = tokio::select! {
        outcome = &mut server => outcome,
        () = stop_signal() => {
            info!("stopping: finishing the requests in flight");
            let _ = stop.send(true);
            if let Ok(outcome) = tokio::time::timeout(DRAIN_FOR, &mut server).await {
                outcome
            } else {
                warn!(seconds = DRAIN_FOR.as_secs(), "requests still in flight were cut off");
                Ok(())
            }
        }
    };
    let _ = stop.send(true);
    let _ = reconciler.await;
    outcome.map_err(|e| Error::Command(format!("the server failed: {e}")))?;
    info!("stopped");
    Ok(())
}

/// Reconciles every [`RECONCILE_EVERY`] until told to stop; a failing run is logged and the
/// next one tried.
async fn reconcile_in_background(
    reconcile: ReconcilePayments,
    older_than: chrono::TimeDelta,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(RECONCILE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        }
        if let Err(e) = reconcile
            .execute(ReconcilePaymentsCommand { older_than })
            .await
        {
            error!(error = %e, "background reconciliation failed");
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
