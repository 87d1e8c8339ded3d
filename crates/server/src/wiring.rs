//! The composition root: the one place that turns the configuration into adapters and builds
//! [`UseCases`] on them, for `serve` ([`for_serve`]) and for the other commands
//! ([`for_command`]), and the registry files' reader and writer for the commands. Nothing
//! else in the workspace names a concrete adapter, but the sandbox's own pay page
//! (`sandbox_page`, which exists only with the sandbox and is wired here).

use std::sync::Arc;

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::warn;
use vodokanal_app::ports::{
    Clock, ExportSink, MailSender, PasswordHasher, PaymentProvider, PushSender, Random,
    RegistrySource, SmsGateway, StoreHealth,
};
use vodokanal_app::receipts::ReceiptRules;
use vodokanal_app::{Services, Settings, StoreError, Stores, UseCases};
use vodokanal_mail::{LogMailSender, SmtpConfig, SmtpMailSender};
use vodokanal_payments::{
    HttpPolicy, SandboxProvider, TBankConfig, TBankProvider, YooKassaConfig, YooKassaProvider,
};
use vodokanal_push::WebPushSender;
use vodokanal_registry_csv::{CsvExportSink, CsvRegistrySource};
use vodokanal_sms::{LogSmsGateway, SmsRuConfig, SmsRuGateway};
use vodokanal_system::{
    Argon2Hasher, HashWorkers, HasherPool, OsRandom, ShiftedClock, SystemClock,
};

use crate::config::notices::{MailConfig, NoticeConfig};
use crate::config::{
    ConfigError, DatabaseConfig, PaymentsConfig, ProviderConfig, ServeConfig, SmsConfig,
};
use crate::error::Error;
use crate::sandbox_page::{self, SandboxPage};
use crate::secret::DatabaseUrl;

/// Opens the database the URL names (SQLite or PostgreSQL) and applies its pending
/// migrations. A database that can't be reached or migrated is [`Error::Database`]. On
/// PostgreSQL, `statement_timeout` bounds every statement (`serve` gives it).
pub async fn open_store(
    config: &DatabaseConfig,
    statement_timeout: Option<std::time::Duration>,
) -> Result<Stores, Error> {
    let failed = |e: StoreError| Error::Database {
        url: config.url.redacted(),
        reason: e.to_string(),
    };
    let stores = match &config.url {
        DatabaseUrl::Postgres(url) => {
            let settings = vodokanal_postgres::PoolSettings {
                max_connections: config.max_connections,
                statement_timeout,
                pooler: config.pooler,
            };
            let pool = vodokanal_postgres::connect(url.expose(), settings)
                .await
                .map_err(failed)?;
            vodokanal_postgres::migrate(&pool).await.map_err(failed)?;
            vodokanal_postgres::PgStores::new(pool)
        }
        DatabaseUrl::Sqlite(url) => {
            let pools = vodokanal_sqlite::connect(url, config.max_connections)
                .await
                .map_err(failed)?;
            vodokanal_sqlite::migrate(&pools.writer)
                .await
                .map_err(failed)?;
            vodokanal_sqlite::SqliteStores::new(pools)
        }
    };
    Ok(stores)
}

/// Everything `serve` runs on: the use cases, and what the HTTP front and the sandbox's page
/// need besides.
pub struct Wired {
    pub use_cases: Arc<UseCases>,
    /// The store's health check, for `/health/ready`.
    pub health: Arc<dyn StoreHealth>,
    /// The sandbox's pay page, when the sandbox is the payment provider.
    pub sandbox_page: Option<Router>,
    /// The password hasher's threads, for its load on `/metrics`.
    pub hasher: HashWorkers,
}

impl std::fmt::Debug for Wired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wired")
            .field("sandbox_page", &self.sandbox_page.is_some())
            .finish_non_exhaustive()
    }
}

/// `serve`'s use cases on `stores`: the system's clock and randomness, argon2 on the configured
/// threads, and the configured SMS gateway and payment provider.
pub async fn for_serve(
    config: &ServeConfig,
    settings: &Settings,
    stores: &Stores,
) -> Result<Wired, Error> {
    if config.provider.sandbox_in_public() {
        warn!(
            public_url = %config.provider.public_url,
            "VODOKANAL_PAYMENTS=sandbox on a public URL that is not loopback: payments go to \
             the sandbox page and move no money; choose yookassa or tbank for real payments"
        );
    }
    let clock = clock(&config.notices);
    let sms = sms_gateway(&config.sms, clock.clone()).await?;
    let provider = Provider::new(&config.provider, &settings.receipt_rules, clock.clone())?;
    let hasher = HashWorkers::start(config.hasher);
    let services = Services {
        clock: clock.clone(),
        random: system_random(),
        hasher: Arc::new(Argon2Hasher::new(hasher.clone())),
        sms,
        provider: provider.port(),
        mail: mail_sender(&config.notices, clock.clone()).await?,
        push: push_sender(&config.notices)?,
    };
    let use_cases = Arc::new(UseCases::new(stores, &services, settings));
    let sandbox_page = match &provider {
        Provider::Sandbox(sandbox) => Some(sandbox_page::router(SandboxPage {
            sandbox: sandbox.clone(),
            use_cases: use_cases.clone(),
            clock,
            public_url: config.provider.public_url.clone(),
        })),
        Provider::YooKassa(_) | Provider::TBank(_) => None,
    };
    Ok(Wired {
        use_cases,
        health: stores.health.clone(),
        sandbox_page,
        hasher,
    })
}

/// A command's use cases on `stores`: with the configured payment provider when the command
/// has one (`reconcile-payments`). The other commands neither pay, send SMS nor check
/// passwords: they get the sandbox provider, the log as SMS gateway and one idle hasher thread.
pub fn for_command(
    stores: &Stores,
    settings: &Settings,
    provider: Option<&ProviderConfig>,
) -> Result<UseCases, Error> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let provider: Arc<dyn PaymentProvider> = match provider {
        Some(config) => Provider::new(config, &settings.receipt_rules, clock.clone())?.port(),
        None => Arc::new(SandboxProvider::new(&settings.public_url)),
    };
    let services = Services {
        clock: clock.clone(),
        random: system_random(),
        hasher: argon2(HasherPool {
            workers: 1,
            queue: 0,
        }),
        sms: Arc::new(LogSmsGateway::new(clock.clone())),
        provider,
        mail: Arc::new(LogMailSender::new(clock)),
        push: None,
    };
    Ok(UseCases::new(stores, &services, settings))
}

/// The system's clock, or the tests' (`VODOKANAL_TEST_CLOCK`, debug builds only).
pub fn clock(config: &NoticeConfig) -> Arc<dyn Clock> {
    match &config.test_clock {
        Some(path) => {
            warn!(file = %path.display(), "the clock is the tests' (VODOKANAL_TEST_CLOCK)");
            Arc::new(ShiftedClock::new(path))
        }
        None => Arc::new(SystemClock),
    }
}

/// The configured mail sender: SMTP, or the log (with its outbox file).
pub async fn mail_sender(
    config: &NoticeConfig,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn MailSender>, Error> {
    match &config.mail {
        MailConfig::Log { outbox: None } => Ok(Arc::new(LogMailSender::new(clock))),
        MailConfig::Log { outbox: Some(path) } => {
            let sender =
                LogMailSender::with_outbox(path, clock)
                    .await
                    .map_err(|e| ConfigError {
                        setting: "VODOKANAL_MAIL_OUTBOX",
                        message: format!("{} can't be opened for appending: {e}", path.display()),
                    })?;
            Ok(Arc::new(sender))
        }
        MailConfig::Smtp { url, from } => {
            let sender =
                SmtpMailSender::new(SmtpConfig::new(url.clone(), from.clone())).map_err(|e| {
                    ConfigError {
                        setting: "VODOKANAL_SMTP_URL",
                        message: e.to_string(),
                    }
                })?;
            tracing::info!(sender = ?sender, "e-mail through SMTP");
            Ok(Arc::new(sender))
        }
    }
}

/// Web push, when a VAPID key is configured. Its client follows no redirect: a push request
/// is meant for the endpoint alone.
pub fn push_sender(config: &NoticeConfig) -> Result<Option<Arc<dyn PushSender>>, Error> {
    let Some(push) = &config.push else {
        return Ok(None);
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError {
            setting: "VODOKANAL_VAPID_PRIVATE_KEY",
            message: format!("no HTTP client for web push: {e}"),
        })?;
    let sender =
        WebPushSender::new(&push.private_key, &push.subject, client).map_err(|e| ConfigError {
            setting: "VODOKANAL_VAPID_PRIVATE_KEY",
            message: e.to_string(),
        })?;
    Ok(Some(Arc::new(sender)))
}

/// The billing system's registry file (`;`-CSV), read from `input`.
pub fn registry_source(input: impl AsyncRead + Unpin + Send) -> impl RegistrySource {
    CsvRegistrySource::new(input)
}

/// An export file for the billing system (`;`-CSV), written to `output`.
pub fn export_sink(output: impl AsyncWrite + Unpin + Send) -> impl ExportSink {
    CsvExportSink::new(output)
}

/// The operating system's randomness.
pub fn system_random() -> Arc<dyn Random> {
    Arc::new(OsRandom)
}

/// argon2 on `pool`'s threads (each takes ~19 MiB and tens of milliseconds a hash).
fn argon2(pool: HasherPool) -> Arc<dyn PasswordHasher> {
    Arc::new(Argon2Hasher::new(HashWorkers::start(pool)))
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
