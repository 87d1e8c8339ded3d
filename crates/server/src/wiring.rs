//! The composition root: the one place that turns the configuration into adapters and hands
//! them to the use cases as ports. Nothing else in the workspace names a concrete adapter.

use std::sync::Arc;

use vodokanal_app::ports::{Clock, PasswordHasher, PaymentProvider, Random, SmsGateway};
use vodokanal_app::receipts::ReceiptRules;
use vodokanal_app::{StoreError, Stores};
use vodokanal_http::Ports;
use vodokanal_payments::{
    HttpPolicy, SandboxProvider, TBankConfig, TBankProvider, YooKassaConfig, YooKassaProvider,
};
use vodokanal_sms::{LogSmsGateway, SmsRuConfig, SmsRuGateway};
use vodokanal_system::{Argon2Hasher, HashWorkers, HasherPool, OsRandom, SystemClock};

use crate::config::{DatabaseConfig, PaymentsConfig, ProviderConfig, SmsConfig};
use crate::error::Error;
use crate::secret::DatabaseUrl;

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
/// migrations. A database that can't be reached or migrated is [`Error::Database`]. On
/// PostgreSQL, `statement_timeout` bounds every statement (`serve` gives it).
pub async fn open_store(
    config: &DatabaseConfig,
    statement_timeout: Option<std::time::Duration>,
) -> Result<Store, Error> {
    let failed = |e: StoreError| Error::Database {
        url: config.url.redacted(),
        reason: e.to_string(),
    };
    let stores = match &config.url {
        DatabaseUrl::Postgres(url) => {
            let pool = vodokanal_postgres::connect(
                url.expose(),
                config.max_connections,
                statement_timeout,
            )
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
    /// The system's clock and randomness, and argon2 on `hasher`'s threads (each takes
    /// ~19 MiB and tens of milliseconds a hash).
    pub fn real(hasher: HasherPool) -> Self {
        Self {
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: Arc::new(Argon2Hasher::new(HashWorkers::start(hasher))),
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
    YooKassa(Arc<YooKassaProvider>),
    TBank(Arc<TBankProvider>),
}

impl Provider {
    /// The provider of the configuration, with the receipt rules of the utility's settings.
    pub fn new(
        config: &ProviderConfig,
        receipt_rules: &ReceiptRules,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let built = |e: vodokanal_payments::BuildError| Error::Command(e.to_string());
        Ok(match &config.payments {
            PaymentsConfig::Sandbox => {
                Self::Sandbox(Arc::new(SandboxProvider::new(&config.public_url)))
            }
            PaymentsConfig::YooKassa {
                shop_id,
                secret_key,
                url,
                notify_nets,
            } => Self::YooKassa(Arc::new(
                YooKassaProvider::new(YooKassaConfig {
                    base_url: url.clone(),
                    shop_id: shop_id.clone(),
                    secret_key: secret_key.clone(),
                    notify_networks: notify_nets.clone(),
                    receipt_rules: receipt_rules.clone(),
                    http: HttpPolicy::default(),
                })
                .map_err(built)?,
            )),
            PaymentsConfig::TBank {
                terminal_key,
                password,
                url,
            } => Self::TBank(Arc::new(
                TBankProvider::new(
                    TBankConfig {
                        base_url: url.clone(),
                        terminal_key: terminal_key.clone(),
                        password: password.clone(),
                        notification_url: tbank_notification_url(&config.public_url),
                        receipt_rules: receipt_rules.clone(),
                        http: HttpPolicy::default(),
                    },
                    clock,
                )
                .map_err(built)?,
            )),
        })
    }

    pub fn port(&self) -> Arc<dyn PaymentProvider> {
        match self {
            Self::Sandbox(sandbox) => sandbox.clone(),
            Self::YooKassa(yookassa) => yookassa.clone(),
            Self::TBank(tbank) => tbank.clone(),
        }
    }
}

/// Our notification endpoint for T-Bank to be told with each payment, when the public URL is
/// `https://`; a plain-http one is a development setup the provider can't reach, and the URL
/// set in T-Bank's merchant cabinet is used instead.
fn tbank_notification_url(public_url: &str) -> Option<String> {
    public_url.starts_with("https://").then(|| {
        format!(
            "{public_url}/api/v1/payments/notifications/{}",
            TBankProvider::NAME
        )
    })
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

/// Every port the HTTP front needs (the SMS gateway is not among them: requests queue SMS in
/// the outbox, and `serve`'s background sender delivers them).
pub fn http_ports(store: &Store, machine: &Machine, provider: Arc<dyn PaymentProvider>) -> Ports {
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
        outbox: stores.outbox,
        provider,
        hasher: machine.hasher.clone(),
        clock: machine.clock.clone(),
        random: machine.random.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::secret::Secret;

    fn config(payments: PaymentsConfig) -> ProviderConfig {
        ProviderConfig {
            payments,
            payments_chosen: true,
            public_url: "https://lk.example.ru".into(),
            reconcile_after: TimeDelta::minutes(10),
        }
    }

    #[test]
    fn each_provider_is_built_under_its_name() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let rules = ReceiptRules::default();
        let yookassa = Provider::new(
            &config(PaymentsConfig::YooKassa {
                shop_id: "1".into(),
                secret_key: Secret::new("s3cret"),
                url: "https://api.yookassa.ru/v3".into(),
                notify_nets: Vec::new(),
            }),
            &rules,
            clock.clone(),
        )
        .unwrap();
        assert_eq!(yookassa.port().name(), "yookassa");
        assert!(!format!("{yookassa:?}").contains("s3cret"));
        let tbank = Provider::new(
            &config(PaymentsConfig::TBank {
                terminal_key: "T".into(),
                password: Secret::new("s3cret"),
                url: "https://securepay.tinkoff.ru/v2".into(),
            }),
            &rules,
            clock.clone(),
        )
        .unwrap();
        assert_eq!(tbank.port().name(), "tbank");
        assert!(!format!("{tbank:?}").contains("s3cret"));
        let sandbox = Provider::new(&config(PaymentsConfig::Sandbox), &rules, clock).unwrap();
        assert_eq!(sandbox.port().name(), "sandbox");
    }

    #[test]
    fn t_bank_is_told_an_https_notification_url_only() {
        assert_eq!(
            tbank_notification_url("https://lk.example.ru").as_deref(),
            Some("https://lk.example.ru/api/v1/payments/notifications/tbank")
        );
        assert_eq!(tbank_notification_url("http://127.0.0.1:8080"), None);
    }
}
