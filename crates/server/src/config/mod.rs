//! The typed configuration, built once from the command line and the environment (through
//! [`crate::cli`]) and the utility's file. Every value is checked here; a bad one is a
//! [`ConfigError`] that names its environment variable, printed by the binary as one line
//! (`error: VODOKANAL_READING_WINDOW: …`) before it exits with 1.
//!
//! Precedence: a flag or environment variable, then the `VODOKANAL_CONFIG` file, then the
//! defaults of `vodokanal_app::Settings` (the Ivanovo Vodokanal).

mod file;
pub mod notices;
pub mod payee;
pub mod secret;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::TimeDelta;
use ipnet::IpNet;
use tracing_subscriber::EnvFilter;
use vodokanal_app::Settings;
use vodokanal_domain::{ReadingValue, ReadingWindow, UtilityCalendar};
use vodokanal_http::HttpConfig;

use crate::telemetry::LogFormat;
use vodokanal_payments::YooKassaConfig;
use vodokanal_postgres::Pooler;
use vodokanal_system::HasherPool;

use crate::cli::{CommonArgs, ProviderArgs, ServeArgs};
use crate::listener::ListenerLimits;
use crate::secret::{DatabaseUrl, Secret};

/// A setting that can't be used: `{setting}: {message}`, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    /// The environment variable (the flag is its lower-case twin).
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(setting: &'static str, message: impl fmt::Display) -> Self {
        Self {
            setting,
            message: message.to_string().replace(['\n', '\r'], " "),
        }
    }
}

/// What every command needs.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub database: DatabaseConfig,
    /// The utility's settings from the defaults, the file and `VODOKANAL_TIMEZONE`; `serve`
    /// lays its own settings over them ([`ServeConfig::apply_to`]).
    pub settings: Settings,
    /// The tracing filter, checked.
    pub log: String,
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    /// A transaction pooler (PgBouncer) between the server and PostgreSQL.
    pub pooler: Pooler,
}

/// The SMS gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsConfig {
    /// Each SMS to the log, and appended to the outbox file when there is one.
    Log { outbox: Option<PathBuf> },
    /// SMS.ru: the API key, an approved sender name (the account's default when `None`), and
    /// the base URL without a trailing slash.
    SmsRu {
        api_id: Secret,
        sender: Option<String>,
        url: String,
    },
}

/// The payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentsConfig {
    /// The server's own pay page.
    Sandbox,
    /// YooKassa API v3.
    YooKassa {
        shop_id: String,
        secret_key: Secret,
        /// No trailing slash.
        url: String,
        /// Where notifications may come from.
        notify_nets: Vec<IpNet>,
    },
    /// T-Bank Acquiring API v2.
    TBank {
        terminal_key: String,
        password: Secret,
        /// No trailing slash.
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub payments: PaymentsConfig,
    /// `VODOKANAL_PAYMENTS` was given (not the default sandbox).
    pub payments_chosen: bool,
    /// No trailing slash.
    pub public_url: String,
    /// A pending payment older than this is checked with its provider.
    pub reconcile_after: TimeDelta,
}

/// How long PostgreSQL lets a statement of `serve` run.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// What `serve` needs besides [`CommonConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Where `GET /metrics` is served; `None`: nowhere, and no metrics are recorded.
    pub metrics_listen: Option<SocketAddr>,
    /// The header read timeout and the connection cap.
    pub listener: ListenerLimits,
    /// PostgreSQL cancels a statement that runs longer (`None`: never).
    pub statement_timeout: Option<Duration>,
    pub provider: ProviderConfig,
    pub sms: SmsConfig,
    pub demo: bool,
    pub trusted_proxies: Vec<IpNet>,
    pub cors_origins: Vec<String>,
    /// The password hasher's threads and queue.
    pub hasher: HasherPool,
    /// Origins besides the public URL's that a payment's `return_url` may lead to.
    pub return_origins: Vec<String>,
    /// `VODOKANAL_SECRET`; when `None`, [`secret::code_key`] keeps one in a file.
    pub secret: Option<Secret>,
    pub notices: notices::NoticeConfig,
    /// The bank details of payment QR codes; none: no QR codes.
    pub payee: Option<vodokanal_domain::Payee>,
    reading_window: Option<ReadingWindow>,
    anonymous_reading_cap: Option<ReadingValue>,
    receipts: Option<bool>,
    session_days: Option<u32>,
    idempotency_lease: Option<u32>,
    sms_hourly_budget: Option<u32>,
    login_network_failures: Option<u32>,
    sms_daily_budget: Option<u32>,
}

impl CommonConfig {
    pub fn from_args(args: &CommonArgs) -> Result<Self, ConfigError> {
        let url = database_url(&args.database_url)?;
        let max_connections = number(
            &args.db_max_connections,
            "VODOKANAL_DB_MAX_CONNECTIONS",
            1,
            1000,
        )?;
        EnvFilter::try_new(&args.log).map_err(|e| ConfigError::new("VODOKANAL_LOG", e))?;
        let mut settings = Settings::default();
        if let Some(path) = &args.config {
            file::apply(path, &mut settings)
                .map_err(|e| ConfigError::new("VODOKANAL_CONFIG", e))?;
        }
        if let Some(tz) = &args.timezone {
            settings.calendar = tz
                .parse::<UtilityCalendar>()
                .map_err(|e| ConfigError::new("VODOKANAL_TIMEZONE", e))?;
        }
        Ok(Self {
            database: DatabaseConfig {
                pooler: pooler(args.database_pooler.as_deref(), &url)?,
                url,
                max_connections,
            },
            settings,
            log: args.log.clone(),
            log_format: args
                .log_format
                .as_deref()
                .map_or(Ok(LogFormat::Text), str::parse)
                .map_err(|e| ConfigError::new("VODOKANAL_LOG_FORMAT", e))?,
        })
    }
}

impl ProviderConfig {
    pub fn from_args(args: &ProviderArgs) -> Result<Self, ConfigError> {
        let public_url = public_url(&args.public_url)?;
        let payments = payments(args)?;
        let seconds = number(
            &args.reconcile_after,
            "VODOKANAL_RECONCILE_AFTER",
            0,
            365 * 24 * 3600,
        )?;
        Ok(Self {
            payments,
            payments_chosen: args.payments.is_some(),
            public_url,
            reconcile_after: TimeDelta::seconds(i64::from(seconds)),
        })
    }

    /// The sandbox was chosen explicitly for a public URL that is not loopback: it moves no
    /// money, so `serve` says so in a WARN line.
    pub fn sandbox_in_public(&self) -> bool {
        self.payments == PaymentsConfig::Sandbox && !loopback_url(&self.public_url)
    }

    /// `serve` with no provider chosen and a public URL that is not loopback: it would run
    /// the sandbox, which moves no money, where subscribers may pay. Refused.
    fn refuse_default_sandbox_in_public(&self) -> Result<(), ConfigError> {
        if self.payments_chosen || loopback_url(&self.public_url) {
            return Ok(());
        }
        Err(ConfigError::new(
            "VODOKANAL_PAYMENTS",
            format!(
                "not set, and VODOKANAL_PUBLIC_URL {} is not loopback: choose a provider \
                 (yookassa or tbank), or sandbox explicitly (its payments move no money)",
                self.public_url
            ),
        ))
    }
}

/// Whether the host of an `http(s)://` base URL is loopback: `localhost`, 127.0.0.0/8 or
/// `::1`.
fn loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The selected provider with its credentials: a provider selected without one is refused
/// here, so that neither `serve` nor `reconcile-payments` starts without it.
fn payments(args: &ProviderArgs) -> Result<PaymentsConfig, ConfigError> {
    let selected = args.payments.as_deref().unwrap_or("sandbox").trim();
    let with = |setting: &'static str, value: Option<&String>| {
        value
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .ok_or_else(|| {
                ConfigError::new(
                    setting,
                    format!("required with VODOKANAL_PAYMENTS={selected}"),
                )
            })
    };
    match selected {
        "sandbox" => Ok(PaymentsConfig::Sandbox),
        "yookassa" => Ok(PaymentsConfig::YooKassa {
            shop_id: with("VODOKANAL_YOOKASSA_SHOP_ID", args.yookassa_shop_id.as_ref())?,
            secret_key: Secret::new(with(
                "VODOKANAL_YOOKASSA_SECRET_KEY",
                args.yookassa_secret_key.as_ref(),
            )?),
            url: base_url(
                &args.yookassa_url,
                "VODOKANAL_YOOKASSA_URL",
                "https://api.yookassa.ru/v3",
            )?,
            notify_nets: match args.yookassa_notify_nets.as_deref() {
                Some(text) if !text.trim().is_empty() => {
                    networks(Some(text), "VODOKANAL_YOOKASSA_NOTIFY_NETS")?
                }
                _ => YooKassaConfig::published_networks(),
            },
        }),
        "tbank" => Ok(PaymentsConfig::TBank {
            terminal_key: with(
                "VODOKANAL_TBANK_TERMINAL_KEY",
                args.tbank_terminal_key.as_ref(),
            )?,
            password: Secret::new(with(
                "VODOKANAL_TBANK_PASSWORD",
                args.tbank_password.as_ref(),
            )?),
            url: base_url(
                &args.tbank_url,
                "VODOKANAL_TBANK_URL",
                "https://securepay.tinkoff.ru/v2",
            )?,
        }),
        other => Err(ConfigError::new(
            "VODOKANAL_PAYMENTS",
            format!("expected sandbox, yookassa or tbank, got {other:?}"),
        )),
    }
}

/// A value parsed by its own `FromStr`, its error named after the setting.
fn parsed<T: std::str::FromStr>(
    text: Option<&str>,
    name: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    text.map(|text| {
        text.parse::<T>()
            .map_err(|e| ConfigError::new(name, format!("{e} (got {text:?})")))
    })
    .transpose()
}

fn listener_limits(args: &ServeArgs) -> Result<ListenerLimits, ConfigError> {
    let defaults = ListenerLimits::default();
    Ok(ListenerLimits {
        header_read_timeout: args
            .header_read_timeout
            .as_deref()
            .map(|text| number(text, "VODOKANAL_HEADER_READ_TIMEOUT", 1, 600))
            .transpose()?
            .map_or(defaults.header_read_timeout, |seconds| {
                Duration::from_secs(u64::from(seconds))
            }),
        max_connections: args
            .max_connections
            .as_deref()
            .map(|text| number(text, "VODOKANAL_MAX_CONNECTIONS", 1, 1_000_000))
            .transpose()?
            .map_or(defaults.max_connections, |n| n as usize),
    })
}

/// `VODOKANAL_METRICS_LISTEN`: an address and port apart from `VODOKANAL_LISTEN`'s (the
/// same port on the same or an unspecified address is refused: the metrics are never on the
/// public port). Empty is off.
fn metrics_listen(
    text: Option<&str>,
    public: SocketAddr,
) -> Result<Option<SocketAddr>, ConfigError> {
    const SETTING: &str = "VODOKANAL_METRICS_LISTEN";
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let address = text.parse::<SocketAddr>().map_err(|_| {
        ConfigError::new(
            SETTING,
            format!("expected an address and port such as 127.0.0.1:9100, got {text:?}"),
        )
    })?;
    let same_address = address.ip() == public.ip()
        || address.ip().is_unspecified()
        || public.ip().is_unspecified();
    if address.port() != 0 && address.port() == public.port() && same_address {
        return Err(ConfigError::new(
            SETTING,
            format!(
                "{address} is VODOKANAL_LISTEN's port ({public}): the metrics need a listener \
                 of their own, never the public one"
            ),
        ));
    }
    Ok(Some(address))
}

/// `VODOKANAL_DATABASE_POOLER`: `none` (the default) or `transaction`, on PostgreSQL only.
fn pooler(text: Option<&str>, url: &DatabaseUrl) -> Result<Pooler, ConfigError> {
    const SETTING: &str = "VODOKANAL_DATABASE_POOLER";
    let pooler = match text {
        None | Some("none") => Pooler::None,
        Some("transaction") => Pooler::Transaction,
        Some(other) => {
            return Err(ConfigError::new(
                SETTING,
                format!("expected none or transaction, got {other:?}"),
            ));
        }
    };
    if pooler != Pooler::None && !matches!(url, DatabaseUrl::Postgres(_)) {
        return Err(ConfigError::new(
            SETTING,
            "a pooler stands in front of PostgreSQL: it needs a postgres:// database URL",
        ));
    }
    Ok(pooler)
}

/// `VODOKANAL_STATEMENT_TIMEOUT` in seconds; 0 is none.
fn statement_timeout(text: Option<&str>) -> Result<Option<Duration>, ConfigError> {
    Ok(match text {
        None => Some(DEFAULT_STATEMENT_TIMEOUT),
        Some(text) => match number(text, "VODOKANAL_STATEMENT_TIMEOUT", 0, 3600)? {
            0 => None,
            seconds => Some(Duration::from_secs(u64::from(seconds))),
        },
    })
}

impl ServeConfig {
    pub fn from_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        let listen = args.listen.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                "VODOKANAL_LISTEN",
                format!(
                    "expected an address and port such as 127.0.0.1:8080, got {:?}",
                    args.listen
                ),
            )
        })?;
        let metrics_listen = metrics_listen(args.metrics_listen.as_deref(), listen)?;
        let provider = ProviderConfig::from_args(&args.provider)?;
        provider.refuse_default_sandbox_in_public()?;
        let sms = match args.sms.trim() {
            "log" => SmsConfig::Log {
                outbox: args.sms_outbox.clone(),
            },
            "smsru" => smsru(args)?,
            other => {
                return Err(ConfigError::new(
                    "VODOKANAL_SMS",
                    format!("expected log or smsru, got {other:?}"),
                ));
            }
        };
        let reading_window =
            parsed::<ReadingWindow>(args.reading_window.as_deref(), "VODOKANAL_READING_WINDOW")?;
        let anonymous_reading_cap = parsed::<ReadingValue>(
            args.anonymous_reading_cap.as_deref(),
            "VODOKANAL_ANONYMOUS_READING_CAP",
        )?;
        let listener = listener_limits(args)?;
        let statement_timeout = statement_timeout(args.statement_timeout.as_deref())?;
        Ok(Self {
            listen,
            metrics_listen,
            listener,
            statement_timeout,
            provider,
            sms,
            demo: switch(args.demo.as_deref(), "VODOKANAL_DEMO")?.unwrap_or(false),
            trusted_proxies: networks(
                args.trusted_proxies.as_deref(),
                "VODOKANAL_TRUSTED_PROXIES",
            )?,
            cors_origins: origins(args.cors_origins.as_deref(), "VODOKANAL_CORS_ORIGINS")?,
            return_origins: origins(args.return_origins.as_deref(), "VODOKANAL_RETURN_ORIGINS")?,
            secret: args.secret.as_deref().map(secret::given).transpose()?,
            notices: notices::NoticeConfig::from_args(&args.notices)?,
            payee: payee::from_args(&args.payee)?,
            reading_window,
            anonymous_reading_cap,
            receipts: switch(args.receipts.as_deref(), "VODOKANAL_RECEIPTS")?,
            session_days: args
                .session_days
                .as_deref()
                .map(|text| number(text, "VODOKANAL_SESSION_DAYS", 1, 365))
                .transpose()?,
            sms_hourly_budget: args
                .sms_hourly_budget
                .as_deref()
                .map(|text| number(text, "VODOKANAL_SMS_HOURLY_BUDGET", 1, 1_000_000))
                .transpose()?,
            idempotency_lease: args
                .idempotency_lease
                .as_deref()
                .map(|text| {
                    number(
                        text,
                        "VODOKANAL_IDEMPOTENCY_LEASE",
                        request_timeout_seconds(),
                        3600,
                    )
                })
                .transpose()?,
            login_network_failures: args
                .login_network_failures
                .as_deref()
                .map(|text| number(text, "VODOKANAL_LOGIN_NETWORK_FAILURES", 1, 1_000_000))
                .transpose()?,
            hasher: hasher_pool(args)?,
            sms_daily_budget: args
                .sms_daily_budget
                .as_deref()
                .map(|text| number(text, "VODOKANAL_SMS_DAILY_BUDGET", 1, 10_000_000))
                .transpose()?,
        })
    }

    /// Lays the settings given to `serve` over the common ones.
    pub fn apply_to(&self, settings: &mut Settings) {
        self.provider.apply_to(settings);
        self.notices.apply_to(settings);
        payee::apply_to(self.payee.as_ref(), settings);
        if let Some(window) = self.reading_window {
            settings.reading_policy.window = Some(window);
        }
        if let Some(cap) = self.anonymous_reading_cap {
            settings.reading_policy.anonymous_cap = Some(cap);
        }
        if let Some(receipts) = self.receipts {
            settings.receipts = receipts;
        }
        if let Some(days) = self.session_days {
            settings.session_lifetime = TimeDelta::days(i64::from(days));
        }
        if let Some(seconds) = self.idempotency_lease {
            settings.idempotency_lease = TimeDelta::seconds(i64::from(seconds));
        }
        if let Some(budget) = self.sms_hourly_budget {
            settings.limits.sms_budget.max = budget;
        }
        if let Some(failures) = self.login_network_failures {
            settings.limits.login_failures_per_network.max = failures;
        }
        if let Some(budget) = self.sms_daily_budget {
            settings.limits.sms_daily_budget.max = budget;
        }
    }
}

impl ProviderConfig {
    pub fn apply_to(&self, settings: &mut Settings) {
        settings.public_url.clone_from(&self.public_url);
    }
}

fn database_url(text: &str) -> Result<DatabaseUrl, ConfigError> {
    let text = text.trim();
    let scheme = text.split_once(':').map_or("", |(scheme, _)| scheme);
    match scheme {
        "sqlite" => {
            let rest = text.trim_start_matches("sqlite:").trim_start_matches("//");
            if rest.is_empty() {
                Err(ConfigError::new(
                    "VODOKANAL_DATABASE_URL",
                    "sqlite:// needs a file name, e.g. sqlite://vodokanal.db",
                ))
            } else {
                Ok(DatabaseUrl::Sqlite(text.to_owned()))
            }
        }
        "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres(Secret::new(text))),
        // The rest of the URL may hold a password: only the scheme is repeated.
        _ => Err(ConfigError::new(
            "VODOKANAL_DATABASE_URL",
            format!("expected sqlite://FILE or postgres://…, got a URL with scheme {scheme:?}"),
        )),
    }
}

fn public_url(text: &str) -> Result<String, ConfigError> {
    base_url(text, "VODOKANAL_PUBLIC_URL", "https://lk.example.ru")
}

/// An `http://` or `https://` base URL, without its trailing slash.
fn base_url(text: &str, setting: &'static str, example: &str) -> Result<String, ConfigError> {
    let url = text.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => Ok(url.to_owned()),
        _ => Err(ConfigError::new(
            setting,
            format!("expected an http:// or https:// base URL such as {example}, got {text:?}"),
        )),
    }
}

/// The hasher's threads (default: the cores but one, at least one) and queue (default: 16
/// per thread).
fn hasher_pool(args: &ServeArgs) -> Result<HasherPool, ConfigError> {
    let default = HasherPool::for_this_machine();
    let workers = match args.hasher_workers.as_deref() {
        Some(text) => number(text, "VODOKANAL_HASHER_WORKERS", 1, 256)? as usize,
        None => default.workers,
    };
    let queue = match args.hasher_queue.as_deref() {
        Some(text) => number(text, "VODOKANAL_HASHER_QUEUE", 0, 100_000)? as usize,
        None => workers * vodokanal_system::QUEUE_PER_WORKER,
    };
    Ok(HasherPool { workers, queue })
}

/// `VODOKANAL_SMS=smsru`: the API key is required.
fn smsru(args: &ServeArgs) -> Result<SmsConfig, ConfigError> {
    let api_id = args
        .smsru_api_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ConfigError::new(
                "VODOKANAL_SMSRU_API_ID",
                "required with VODOKANAL_SMS=smsru: the api_id from the SMS.ru cabinet",
            )
        })?;
    Ok(SmsConfig::SmsRu {
        api_id: Secret::new(api_id),
        sender: args
            .smsru_sender
            .as_deref()
            .map(str::trim)
            .filter(|sender| !sender.is_empty())
            .map(str::to_owned),
        url: base_url(&args.smsru_url, "VODOKANAL_SMSRU_URL", "https://sms.ru")?,
    })
}

/// The HTTP request timeout in whole seconds: the shortest idempotency lease.
fn request_timeout_seconds() -> u32 {
    let timeout = HttpConfig::default().request_timeout.as_secs();
    u32::try_from(timeout).unwrap_or(u32::MAX)
}

fn number(text: &str, setting: &'static str, min: u32, max: u32) -> Result<u32, ConfigError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ConfigError::new(
                setting,
                format!("expected a whole number from {min} to {max}, got {text:?}"),
            )
        })
}

/// `on`/`off` and their usual spellings.
fn switch(text: Option<&str>, setting: &'static str) -> Result<Option<bool>, ConfigError> {
    let Some(text) = text else { return Ok(None) };
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(Some(true)),
        "off" | "false" | "0" | "no" | "" => Ok(Some(false)),
        _ => Err(ConfigError::new(
            setting,
            format!("expected on or off, got {text:?}"),
        )),
    }
}

/// Comma-separated CIDRs; a bare address is a network of one.
fn networks(text: Option<&str>, setting: &'static str) -> Result<Vec<IpNet>, ConfigError> {
    list(text)
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        setting,
                        format!("{item:?} is not a network such as 10.0.0.0/8 or an address"),
                    )
                })
        })
        .collect()
}

/// Comma-separated origins: `scheme://host[:port]`, no path.
fn origins(text: Option<&str>, setting: &'static str) -> Result<Vec<String>, ConfigError> {
    list(text)
        .map(|item| {
            let origin = item.trim_end_matches('/');
            let host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            match host {
                Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '*', ' ']) => {
                    Ok(origin.to_owned())
                }
                _ => Err(ConfigError::new(
                    setting,
                    format!("{item:?} is not an origin such as https://lk.example.ru"),
                )),
            }
        })
        .collect()
}

fn list(text: Option<&str>) -> impl Iterator<Item = &str> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// Parses a command line with the given environment only (clap reads the process
    /// environment, so every test names its variables explicitly and none is set globally).
    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vodokanal").chain(args.iter().copied())).unwrap()
    }

    fn serve(args: &[&str]) -> Result<(CommonConfig, ServeConfig), ConfigError> {
        let mut line = args.to_vec();
        line.insert(0, "serve");
        let cli = cli(&line);
        let common = CommonConfig::from_args(&cli.common)?;
        let Command::Serve(serve) = cli.command else {
            unreachable!()
        };
        Ok((common, ServeConfig::from_args(&serve)?))
    }

    fn error(args: &[&str]) -> String {
        serve(args).unwrap_err().to_string()
    }

    #[test]
    fn the_defaults_run_everything_on_one_machine() {
        let (common, config) = serve(&[]).unwrap();
        assert_eq!(
            common.database.url,
            DatabaseUrl::Sqlite("sqlite://vodokanal.db".into())
        );
        assert_eq!(common.database.max_connections, 10);
        assert_eq!(common.settings, Settings::default());
        assert_eq!(common.log, "info");
        assert_eq!(common.log_format, LogFormat::Text);
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.provider.public_url, "http://127.0.0.1:8080");
        assert_eq!(config.provider.payments, PaymentsConfig::Sandbox);
        assert_eq!(config.provider.reconcile_after, TimeDelta::seconds(600));
        assert_eq!(config.sms, SmsConfig::Log { outbox: None });
        assert!(!config.demo);
        assert!(config.trusted_proxies.is_empty());
        assert!(config.cors_origins.is_empty());
        assert_eq!(config.secret, None);
        assert_eq!(config.statement_timeout, Some(Duration::from_secs(5)));
        assert_eq!(
            config.listener,
            ListenerLimits {
                header_read_timeout: Duration::from_secs(10),
                max_connections: 1024,
            }
        );
        let mut settings = common.settings;
        config.apply_to(&mut settings);
        assert_eq!(settings, Settings::default());
    }

    #[test]
    #[expect(clippy::too_many_lines, reason = "one flag and one check per setting")]
    fn flags_set_every_setting() {
        let (common, config) = serve(&[
            "--database-url",
            "postgres://app:pw@db/vodokanal",
            "--db-max-connections",
            "20",
            "--timezone",
            "Asia/Yekaterinburg",
            "--log",
            "debug",
            "--listen",
            "0.0.0.0:9000",
            "--public-url",
            "https://lk.example.ru/",
            "--sms-outbox",
            "/tmp/outbox.jsonl",
            "--demo",
            "--reading-window",
            "15-25",
            "--receipts=on",
            "--reconcile-after",
            "60",
            "--trusted-proxies",
            "10.0.0.0/8, 192.168.1.1",
            "--cors-origins",
            "https://lk.example.ru,http://localhost:3000",
            "--session-days",
            "7",
            "--sms-daily-budget",
            "500",
            "--sms-hourly-budget",
            "50",
            "--payments",
            "sandbox",
            "--login-network-failures",
            "12",
            "--hasher-workers",
            "3",
            "--hasher-queue",
            "7",
            "--secret",
            "0123456789abcdef0123456789abcdef",
            "--return-origins",
            "https://app.example.ru, http://localhost:3000/",
            "--header-read-timeout",
            "5",
            "--max-connections",
            "64",
            "--idempotency-lease",
            "90",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(config.listener.header_read_timeout, Duration::from_secs(5));
        assert_eq!(config.listener.max_connections, 64);
        assert_eq!(
            config.return_origins,
            vec!["https://app.example.ru", "http://localhost:3000"]
        );
        assert_eq!(
            config.secret.as_ref().map(Secret::expose),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert!(matches!(common.database.url, DatabaseUrl::Postgres(_)));
        assert_eq!(
            config.hasher,
            HasherPool {
                workers: 3,
                queue: 7
            }
        );
        assert_eq!(common.database.max_connections, 20);
        assert_eq!(common.log, "debug");
        assert_eq!(common.log_format, LogFormat::Json);
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.provider.public_url, "https://lk.example.ru");
        assert_eq!(
            config.sms,
            SmsConfig::Log {
                outbox: Some("/tmp/outbox.jsonl".into())
            }
        );
        assert!(config.demo);
        assert_eq!(config.provider.reconcile_after, TimeDelta::seconds(60));
        assert_eq!(
            config.trusted_proxies,
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "192.168.1.1/32".parse().unwrap()
            ]
        );
        assert_eq!(
            config.cors_origins,
            vec!["https://lk.example.ru", "http://localhost:3000"]
        );
        let mut settings = common.settings;
        config.apply_to(&mut settings);
        assert_eq!(
            settings.calendar,
            "Asia/Yekaterinburg".parse::<UtilityCalendar>().unwrap()
        );
        assert_eq!(
            settings.reading_policy.window,
            Some("15-25".parse().unwrap())
        );
        assert!(settings.receipts);
        assert_eq!(settings.session_lifetime, TimeDelta::days(7));
        assert_eq!(settings.idempotency_lease, TimeDelta::seconds(90));
        assert_eq!(settings.limits.sms_budget.max, 50);
        assert_eq!(settings.limits.login_failures_per_network.max, 12);
        assert_eq!(settings.limits.sms_daily_budget.max, 500);
        assert_eq!(settings.public_url, "https://lk.example.ru");
    }

    #[test]
    fn the_hasher_leaves_a_core_to_the_rest_and_has_a_queue_of_64_per_thread() {
        let (_, config) = serve(&[]).unwrap();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let workers = cores.saturating_sub(1).max(1);
        assert_eq!(
            config.hasher,
            HasherPool {
                workers,
                queue: workers * vodokanal_system::QUEUE_PER_WORKER
            }
        );
        let (_, config) = serve(&["--hasher-workers", "2"]).unwrap();
        assert_eq!(
            config.hasher,
            HasherPool {
                workers: 2,
                queue: 128
            }
        );
    }

    #[test]
    fn a_transaction_pooler_is_for_postgresql_only() {
        assert_eq!(serve(&[]).unwrap().0.database.pooler, Pooler::None);
        let pooled = serve(&[
            "--database-url",
            "postgres://app@pgbouncer:6432/vodokanal",
            "--database-pooler",
            "transaction",
        ])
        .unwrap();
        assert_eq!(pooled.0.database.pooler, Pooler::Transaction);
        assert!(
            error(&["--database-pooler", "transaction"])
                .contains("needs a postgres:// database URL")
        );
        assert!(error(&["--database-pooler", "session"]).contains("expected none or transaction"));
    }

    #[test]
    fn the_statement_timeout_is_seconds_and_zero_is_none() {
        assert_eq!(
            serve(&["--statement-timeout", "2"])
                .unwrap()
                .1
                .statement_timeout,
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            serve(&["--statement-timeout", "0"])
                .unwrap()
                .1
                .statement_timeout,
            None
        );
    }

    #[test]
    fn the_default_sandbox_is_refused_on_a_public_url_that_is_not_loopback() {
        for url in [
            "https://lk.vodokanal.example",
            "http://10.0.0.5:8080",
            "http://[2001:db8::1]:8080/",
            "http://localhost.example.ru",
            "http://127.0.0.1@evil.example",
        ] {
            let message = error(&["--public-url", url]);
            assert!(
                message.starts_with("VODOKANAL_PAYMENTS: not set, and VODOKANAL_PUBLIC_URL "),
                "{message}"
            );
            assert!(message.contains("yookassa or tbank"), "{message}");
            assert!(message.contains("sandbox explicitly"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
        for url in [
            "http://127.0.0.1:8080",
            "http://127.10.0.1",
            "http://localhost:3000/",
            "http://LOCALHOST",
            "http://[::1]:8080",
            "http://user@localhost:8080",
        ] {
            let (_, config) = serve(&["--public-url", url]).unwrap();
            assert_eq!(config.provider.payments, PaymentsConfig::Sandbox, "{url}");
            assert!(!config.provider.sandbox_in_public(), "{url}");
        }
    }

    #[test]
    fn an_explicit_sandbox_on_a_public_url_starts_and_is_flagged_for_a_warning() {
        let (_, config) = serve(&[
            "--payments",
            "sandbox",
            "--public-url",
            "https://lk.vodokanal.example",
        ])
        .unwrap();
        assert_eq!(config.provider.payments, PaymentsConfig::Sandbox);
        assert!(config.provider.sandbox_in_public());
        let (_, config) = serve(&[
            "--payments=tbank",
            "--tbank-terminal-key=t",
            "--tbank-password=p",
            "--public-url",
            "https://lk.vodokanal.example",
        ])
        .unwrap();
        assert!(!config.provider.sandbox_in_public());
    }

    #[test]
    fn the_flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utility.toml");
        std::fs::write(
            &path,
            "timezone = \"Europe/Samara\"\nreading_window = \"20-25\"\nreceipts = true\n",
        )
        .unwrap();
        let config = path.to_str().unwrap();
        let (common, serve_config) = serve(&["--config", config]).unwrap();
        let mut settings = common.settings;
        serve_config.apply_to(&mut settings);
        assert_eq!(
            settings.reading_policy.window,
            Some("20-25".parse().unwrap())
        );
        assert_eq!(
            settings.calendar,
            "Europe/Samara".parse::<UtilityCalendar>().unwrap()
        );
        assert!(settings.receipts);

        let (common, serve_config) = serve(&[
            "--config",
            config,
            "--reading-window",
            "1-10",
            "--receipts=off",
            "--timezone",
            "Europe/Moscow",
        ])
        .unwrap();
        let mut settings = common.settings;
        serve_config.apply_to(&mut settings);
        assert_eq!(
            settings.reading_policy.window,
            Some("1-10".parse().unwrap())
        );
        assert_eq!(settings.calendar, UtilityCalendar::default());
        assert!(!settings.receipts);
    }

    #[test]
    fn the_anonymous_cap_follows_the_threshold_unless_set_in_the_file_or_a_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utility.toml");
        std::fs::write(&path, "high_consumption = \"40\"\n").unwrap();
        let config = path.to_str().unwrap();
        let (common, serve_config) = serve(&["--config", config]).unwrap();
        let mut settings = common.settings;
        serve_config.apply_to(&mut settings);
        assert_eq!(
            settings.reading_policy.anonymous_cap(),
            "120".parse().unwrap()
        );

        std::fs::write(
            &path,
            "high_consumption = \"40\"\nanonymous_reading_cap = \"60.5\"\n",
        )
        .unwrap();
        let (common, serve_config) = serve(&["--config", config]).unwrap();
        let mut settings = common.settings;
        serve_config.apply_to(&mut settings);
        assert_eq!(
            settings.reading_policy.anonymous_cap(),
            "60.5".parse().unwrap()
        );

        let (common, serve_config) =
            serve(&["--config", config, "--anonymous-reading-cap", "75"]).unwrap();
        let mut settings = common.settings;
        serve_config.apply_to(&mut settings);
        assert_eq!(
            settings.reading_policy.anonymous_cap(),
            "75".parse().unwrap()
        );
        assert_eq!(
            error(&["--anonymous-reading-cap", "1e5"]),
            "VODOKANAL_ANONYMOUS_READING_CAP: reading is not a number of cubic metres with at \
             most three decimals (got \"1e5\")"
        );
    }

    #[test]
    fn a_bad_value_is_one_line_naming_its_variable() {
        assert_eq!(
            error(&["--reading-window", "abc"]),
            "VODOKANAL_READING_WINDOW: reading window must be written FROM-TO, e.g. 15-25 (got \"abc\")"
        );
        assert_eq!(
            error(&["--reading-window", "25-15"]),
            "VODOKANAL_READING_WINDOW: reading window days must be 1..=31 with FROM not after TO (got \"25-15\")"
        );
        assert_eq!(
            error(&["--database-url", "mysql://root:secret@db/x"]),
            "VODOKANAL_DATABASE_URL: expected sqlite://FILE or postgres://…, got a URL with scheme \"mysql\""
        );
        assert_eq!(
            error(&["--sms", "smsru"]),
            "VODOKANAL_SMSRU_API_ID: required with VODOKANAL_SMS=smsru: the api_id from the SMS.ru cabinet"
        );
        assert_eq!(
            error(&["--sms", "smsru", "--smsru-api-id", " "]),
            "VODOKANAL_SMSRU_API_ID: required with VODOKANAL_SMS=smsru: the api_id from the SMS.ru cabinet"
        );
        assert_eq!(
            error(&[
                "--sms",
                "smsru",
                "--smsru-api-id",
                "x",
                "--smsru-url",
                "sms.ru"
            ]),
            "VODOKANAL_SMSRU_URL: expected an http:// or https:// base URL such as https://sms.ru, got \"sms.ru\""
        );
        assert_eq!(
            error(&["--sms", "sms.ru"]),
            "VODOKANAL_SMS: expected log or smsru, got \"sms.ru\""
        );
        assert_eq!(
            error(&["--payments", "cash"]),
            "VODOKANAL_PAYMENTS: expected sandbox, yookassa or tbank, got \"cash\""
        );
        assert_eq!(
            error(&["--demo=maybe"]),
            "VODOKANAL_DEMO: expected on or off, got \"maybe\""
        );
        assert_eq!(
            error(&["--reconcile-after=-5"]),
            "VODOKANAL_RECONCILE_AFTER: expected a whole number from 0 to 31536000, got \"-5\""
        );
        assert_eq!(
            error(&["--db-max-connections", "0"]),
            "VODOKANAL_DB_MAX_CONNECTIONS: expected a whole number from 1 to 1000, got \"0\""
        );
        for (flag, value, setting) in [
            ("--listen", "localhost", "VODOKANAL_LISTEN"),
            ("--public-url", "lk.example.ru", "VODOKANAL_PUBLIC_URL"),
            ("--timezone", "Mars/Olympus", "VODOKANAL_TIMEZONE"),
            (
                "--trusted-proxies",
                "10.0.0.0/33",
                "VODOKANAL_TRUSTED_PROXIES",
            ),
            ("--cors-origins", "*", "VODOKANAL_CORS_ORIGINS"),
            (
                "--return-origins",
                "https://app.example.ru/done",
                "VODOKANAL_RETURN_ORIGINS",
            ),
            ("--secret", "too short", "VODOKANAL_SECRET"),
            (
                "--header-read-timeout",
                "0",
                "VODOKANAL_HEADER_READ_TIMEOUT",
            ),
            ("--max-connections", "none", "VODOKANAL_MAX_CONNECTIONS"),
            ("--statement-timeout", "5s", "VODOKANAL_STATEMENT_TIMEOUT"),
            ("--session-days", "0", "VODOKANAL_SESSION_DAYS"),
            ("--idempotency-lease", "14", "VODOKANAL_IDEMPOTENCY_LEASE"),
            ("--sms-hourly-budget", "lots", "VODOKANAL_SMS_HOURLY_BUDGET"),
            (
                "--login-network-failures",
                "0",
                "VODOKANAL_LOGIN_NETWORK_FAILURES",
            ),
            ("--hasher-workers", "0", "VODOKANAL_HASHER_WORKERS"),
            ("--hasher-queue", "lots", "VODOKANAL_HASHER_QUEUE"),
            ("--sms-daily-budget", "0", "VODOKANAL_SMS_DAILY_BUDGET"),
            ("--log", "[[[", "VODOKANAL_LOG"),
            ("--log-format", "xml", "VODOKANAL_LOG_FORMAT"),
            ("--config", "/no/such/file.toml", "VODOKANAL_CONFIG"),
        ] {
            let message = error(&[flag, value]);
            assert!(message.starts_with(&format!("{setting}: ")), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn yookassa_takes_its_credentials_and_the_published_networks() {
        let (_, config) = serve(&[
            "--payments",
            "yookassa",
            "--yookassa-shop-id",
            "123456",
            "--yookassa-secret-key",
            "test_s3cret",
        ])
        .unwrap();
        assert_eq!(
            config.provider.payments,
            PaymentsConfig::YooKassa {
                shop_id: "123456".into(),
                secret_key: Secret::new("test_s3cret"),
                url: "https://api.yookassa.ru/v3".into(),
                notify_nets: YooKassaConfig::published_networks(),
            }
        );
        assert!(!format!("{config:?}").contains("s3cret"));

        let (_, config) = serve(&[
            "--payments=yookassa",
            "--yookassa-shop-id=1",
            "--yookassa-secret-key=k",
            "--yookassa-url=http://127.0.0.1:9000/v3/",
            "--yookassa-notify-nets=10.0.0.0/8, 192.168.1.1",
        ])
        .unwrap();
        let PaymentsConfig::YooKassa {
            url, notify_nets, ..
        } = config.provider.payments
        else {
            unreachable!()
        };
        assert_eq!(url, "http://127.0.0.1:9000/v3");
        assert_eq!(
            notify_nets,
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "192.168.1.1/32".parse().unwrap()
            ]
        );
    }

    #[test]
    fn tbank_takes_its_credentials() {
        let (_, config) = serve(&[
            "--payments",
            "tbank",
            "--tbank-terminal-key",
            "1321054611234DEMO",
            "--tbank-password",
            "Dfsfh56dgKl",
            "--tbank-url",
            "http://127.0.0.1:9001/v2",
        ])
        .unwrap();
        assert_eq!(
            config.provider.payments,
            PaymentsConfig::TBank {
                terminal_key: "1321054611234DEMO".into(),
                password: Secret::new("Dfsfh56dgKl"),
                url: "http://127.0.0.1:9001/v2".into(),
            }
        );
        assert!(!format!("{config:?}").contains("Dfsfh56dgKl"));
    }

    #[test]
    fn a_provider_without_a_credential_is_refused_in_one_line() {
        assert_eq!(
            error(&["--payments", "yookassa", "--yookassa-secret-key", "k"]),
            "VODOKANAL_YOOKASSA_SHOP_ID: required with VODOKANAL_PAYMENTS=yookassa"
        );
        assert_eq!(
            error(&["--payments", "yookassa", "--yookassa-shop-id", "1"]),
            "VODOKANAL_YOOKASSA_SECRET_KEY: required with VODOKANAL_PAYMENTS=yookassa"
        );
        assert_eq!(
            error(&[
                "--payments",
                "yookassa",
                "--yookassa-shop-id",
                "1",
                "--yookassa-secret-key",
                " "
            ]),
            "VODOKANAL_YOOKASSA_SECRET_KEY: required with VODOKANAL_PAYMENTS=yookassa"
        );
        assert_eq!(
            error(&["--payments", "tbank", "--tbank-password", "p"]),
            "VODOKANAL_TBANK_TERMINAL_KEY: required with VODOKANAL_PAYMENTS=tbank"
        );
        assert_eq!(
            error(&["--payments", "tbank", "--tbank-terminal-key", "t"]),
            "VODOKANAL_TBANK_PASSWORD: required with VODOKANAL_PAYMENTS=tbank"
        );
        let yookassa = [
            "--payments=yookassa",
            "--yookassa-shop-id=1",
            "--yookassa-secret-key=k",
        ];
        for (flag, setting) in [
            ("--yookassa-url=api.yookassa.ru", "VODOKANAL_YOOKASSA_URL"),
            (
                "--yookassa-notify-nets=185.71.76.0/33",
                "VODOKANAL_YOOKASSA_NOTIFY_NETS",
            ),
        ] {
            let mut args = yookassa.to_vec();
            args.push(flag);
            assert!(error(&args).starts_with(&format!("{setting}: ")), "{flag}");
        }
        let message = error(&[
            "--payments=tbank",
            "--tbank-terminal-key=t",
            "--tbank-password=s3cret",
            "--tbank-url=ftp://x",
        ]);
        assert!(message.starts_with("VODOKANAL_TBANK_URL: "), "{message}");
        assert!(!message.contains("s3cret"));
        // The sandbox needs none of them.
        assert!(serve(&["--yookassa-url=bad"]).is_ok());
    }

    #[test]
    fn a_database_password_is_never_repeated() {
        let message = error(&["--database-url", "mysql://root:secret@db/x"]);
        assert!(!message.contains("secret"));
        let (common, _) = serve(&["--database-url", "postgres://app:secret@db/x"]).unwrap();
        assert!(!format!("{common:?}").contains("secret"));
    }

    #[test]
    fn smsru_takes_its_key_sender_and_url() {
        let (_, config) = serve(&[
            "--sms",
            "smsru",
            "--smsru-api-id",
            "0123-secret-id",
            "--smsru-sender",
            "Vodokanal",
            "--smsru-url",
            "http://127.0.0.1:9999/",
        ])
        .unwrap();
        assert_eq!(
            config.sms,
            SmsConfig::SmsRu {
                api_id: Secret::new("0123-secret-id"),
                sender: Some("Vodokanal".into()),
                url: "http://127.0.0.1:9999".into(),
            }
        );
        assert!(!format!("{config:?}").contains("0123-secret-id"));

        let (_, config) = serve(&["--sms", "smsru", "--smsru-api-id", "id"]).unwrap();
        assert_eq!(
            config.sms,
            SmsConfig::SmsRu {
                api_id: Secret::new("id"),
                sender: None,
                url: "https://sms.ru".into(),
            }
        );
    }

    #[test]
    fn the_metrics_listen_on_an_address_of_their_own() {
        let (_, config) = serve(&["--metrics-listen", " 127.0.0.1:9100 "]).unwrap();
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let (_, config) = serve(&["--metrics-listen", ""]).unwrap();
        assert_eq!(config.metrics_listen, None);
        // The same port on another address is another socket.
        let (_, config) = serve(&[
            "--listen",
            "10.0.0.5:8080",
            "--metrics-listen",
            "127.0.0.1:8080",
        ])
        .unwrap();
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:8080".parse().unwrap())
        );
        for (listen, metrics) in [
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("127.0.0.1:8080", "0.0.0.0:8080"),
            ("[::1]:8080", "[::1]:8080"),
        ] {
            let message = error(&["--listen", listen, "--metrics-listen", metrics]);
            assert!(
                message.starts_with("VODOKANAL_METRICS_LISTEN: ")
                    && message.contains("never the public one"),
                "{message}"
            );
        }
        let message = error(&["--metrics-listen", "9100"]);
        assert_eq!(
            message,
            "VODOKANAL_METRICS_LISTEN: expected an address and port such as 127.0.0.1:9100, \
             got \"9100\""
        );
    }

    #[test]
    fn switches_take_the_usual_spellings() {
        for on in ["on", "true", "1", "yes", "ON"] {
            assert_eq!(switch(Some(on), "X"), Ok(Some(true)));
        }
        for off in ["off", "false", "0", "no", ""] {
            assert_eq!(switch(Some(off), "X"), Ok(Some(false)));
        }
        assert_eq!(switch(None, "X"), Ok(None));
    }
}
