//! The composition root: the one place that turns the configuration into adapters and hands
//! them to the use cases as ports. Nothing else in the workspace names a concrete adapter.

use std::sync::Arc;

use vodokanal_app::ports::{Clock, PasswordHasher, PaymentProvider, Random, SmsGateway};
use vodokanal_app::{StoreError, Stores};
use vodokanal_auth::{Argon2Hasher, OsRandom, SystemClock};
use vodokanal_http::Ports;
use vodokanal_payments::SandboxProvider;
use vodokanal_sms::{LogSmsGateway, SmsRuConfig, SmsRuGateway};

use crate::config::{DatabaseConfig, PaymentsConfig, ProviderConfig, SmsConfig};
use crate::error::Error;
use crate::secret::DatabaseUrl;

/// How many argon2 computations run at once (each takes ~19 MiB and tens of milliseconds).
const CONCURRENT_HASHES: usize = 4;

/// One store, opened and migrated: every store port, its health check included.
#[derive(Clone)]
pub struct Store {
    pub stores: Stores,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

/// Opens the database the URL names (SQLite or PostgreSQL) and applies its pending
/// migrations. A database that can't be reached or migrated is [`Error::Database`].
pub async fn open_store(config: &DatabaseConfig) -> Result<Store, Error> {
    let failed = |e: StoreError| Error::Database {
        url: config.url.redacted(),
        reason: e.to_string(),
    };
    let stores = match &config.url {
        DatabaseUrl::Postgres(url) => {
            let pool = vodokanal_postgres::connect(url.expose(), config.max_connections)
                .await
                .map_err(failed)?;
            vodokanal_postgres::migrate(&pool).await.map_err(failed)?;
            vodokanal_postgres::PgStores::new(pool)
        }
        DatabaseUrl::Sqlite(url) => {
            let pool = vodokanal_sqlite::connect(url, config.max_connections)
                .await
                .map_err(failed)?;
            vodokanal_sqlite::migrate(&pool).await.map_err(failed)?;
            vodokanal_sqlite::SqliteStores::new(pool)
        }
    };
    Ok(Store { stores })
}

/// The machine: clock, randomness, the password hasher.
#[derive(Clone)]
pub struct Machine {
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: Arc<dyn PasswordHasher>,
}

impl Machine {
    pub fn real() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: Arc::new(Argon2Hasher::new(CONCURRENT_HASHES)),
        }
    }
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Machine")
    }
}

/// The configured payment provider, as the port and, for the sandbox, as itself (its page
/// needs [`SandboxProvider::decide`]).
#[derive(Debug, Clone)]
pub enum Provider {
    Sandbox(Arc<SandboxProvider>),
}

impl Provider {
    pub fn new(config: &ProviderConfig) -> Self {
        match config.payments {
            PaymentsConfig::Sandbox => {
                Self::Sandbox(Arc::new(SandboxProvider::new(&config.public_url)))
            }
        }
    }

    pub fn port(&self) -> Arc<dyn PaymentProvider> {
        match self {
            Self::Sandbox(sandbox) => sandbox.clone(),
        }
    }
}

/// The configured SMS gateway. An outbox that can't be opened is a bad `VODOKANAL_SMS_OUTBOX`;
/// an SMS.ru client that can't be built (no TLS roots) is a bad `VODOKANAL_SMS`.
pub async fn sms_gateway(
    config: &SmsConfig,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn SmsGateway>, Error> {
    match config {
        SmsConfig::Log { outbox: None } => Ok(Arc::new(LogSmsGateway::new(clock))),
        SmsConfig::Log { outbox: Some(path) } => {
            let gateway = LogSmsGateway::with_outbox(path, clock).await.map_err(|e| {
                crate::config::ConfigError {
                    setting: "VODOKANAL_SMS_OUTBOX",
                    message: format!("{} can't be opened for appending: {e}", path.display()),
                }
            })?;
            Ok(Arc::new(gateway))
        }
        SmsConfig::SmsRu {
            api_id,
            sender,
            url,
        } => {
            let gateway = SmsRuGateway::new(SmsRuConfig {
                sender: sender.clone(),
                ..SmsRuConfig::new(url, api_id.expose())
            })
            .map_err(|e| crate::config::ConfigError {
                setting: "VODOKANAL_SMS",
                message: e.to_string(),
            })?;
            tracing::info!(url = %url, sender = sender.as_deref().unwrap_or("-"), "SMS through SMS.ru");
            Ok(Arc::new(gateway))
        }
    }
}

/// Every port the HTTP front needs.
pub fn http_ports(
    store: &Store,
    machine: &Machine,
    sms: Arc<dyn SmsGateway>,
    provider: Arc<dyn PaymentProvider>,
) -> Ports {
    let stores = store.stores.clone();
    Ports {
        users: stores.users,
        sessions: stores.sessions,
        codes: stores.codes,
        accounts: stores.accounts,
        meters: stores.meters,
        readings: stores.readings,
        payments: stores.payments,
        visits: stores.visits,
        idempotency: stores.idempotency,
        attempts: stores.attempts,
        health: stores.health,
        sms,
        provider,
        hasher: machine.hasher.clone(),
        clock: machine.clock.clone(),
        random: machine.random.clone(),
    }
}
