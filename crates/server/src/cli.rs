//! The command line, as clap reads it: raw text only. Every setting is taken as a string (or
//! an absent one) and checked by [`crate::config`], so that a bad value is refused with one
//! line naming its environment variable, never with clap's multi-line usage message.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The water utility's subscriber cabinet server.
#[derive(Debug, Parser)]
#[command(name = "vodokanal", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (migrating the database first).
    Serve(Box<ServeArgs>),
    /// Apply the database migrations and exit.
    Migrate,
    /// Load the billing system's registry (`;`-separated CSV) into the database.
    ImportRegistry {
        /// The registry file.
        file: PathBuf,
    },
    /// Write CSV for the billing system.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Take care of stored readings.
    #[command(subcommand)]
    Readings(ReadingsCommand),
    /// Ask the payment provider once about every old pending payment, settle what it reports,
    /// and exit (for a cron job; `serve` does the same every minute).
    ReconcilePayments(Box<ProviderArgs>),
    /// Reminders and notices to subscribers.
    #[command(subcommand)]
    Notices(NoticesCommand),
}

/// `vodokanal notices ...`
#[derive(Debug, clap::Subcommand)]
pub enum NoticesCommand {
    /// Plan the notices due now, as `serve` does every few minutes; with `--dry-run`, only
    /// print who would get what by which channel, and store nothing. Takes `serve`'s settings
    /// (the reading window, the debt threshold, ...): run it with the same environment.
    ///
    /// Example: `vodokanal notices plan --dry-run`
    Plan {
        /// Print what would be planned; store nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        serve: Box<ServeArgs>,
    },
}

/// The notices' channels and rules (docs/notices.md).
#[derive(Debug, Clone, clap::Args)]
pub struct NoticeArgs {
    /// The SMTP server: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…`
    /// (TLS), `smtp://host:25` (none). Without it, mail goes to the log (and the mail outbox).
    #[arg(long, env = "VODOKANAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of the mail: `Водоканал <noreply@vodokanal.example>`.
    #[arg(long, env = "VODOKANAL_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Without an SMTP server: a file each mail is appended to as a JSON line.
    #[arg(long, env = "VODOKANAL_MAIL_OUTBOX", value_name = "FILE")]
    pub mail_outbox: Option<PathBuf>,
    /// The VAPID private key of web push (URL-safe base64 of 32 bytes); none: push is off.
    #[arg(long, env = "VODOKANAL_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,
    /// Whom the push services contact about this server: `mailto:it@vodokanal.example`.
    #[arg(long, env = "VODOKANAL_VAPID_SUBJECT")]
    pub vapid_subject: Option<String>,
    /// The push services' hosts the server posts to, comma-separated (default: the browsers'
    /// own: Chrome, Firefox, Edge, Safari).
    #[arg(long, env = "VODOKANAL_PUSH_HOSTS")]
    pub push_hosts: Option<String>,
    /// A registry debt above this many roubles is announced to the account's holders; unset:
    /// never.
    #[arg(long, env = "VODOKANAL_DEBT_THRESHOLD")]
    pub debt_threshold: Option<String>,
    /// Tests only (a debug build): a file holding the instant "now" is (RFC 3339); the clock
    /// runs on from it.
    #[arg(long, env = "VODOKANAL_TEST_CLOCK", value_name = "FILE", hide = true)]
    pub test_clock: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The readings subscribers gave for a period.
    Readings {
        /// The period, `YYYY-MM`.
        #[arg(long)]
        period: String,
        #[command(flatten)]
        out: OutArgs,
    },
    /// The payments created between two local dates, both inclusive.
    Payments {
        /// The first day, `YYYY-MM-DD`.
        #[arg(long)]
        from: String,
        /// The last day, `YYYY-MM-DD`.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Visit requests, all or those with one status.
    VisitRequests {
        /// `new`, `scheduled`, `done` or `canceled`.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        out: OutArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReadingsCommand {
    /// Void a meter's reading of a period: it is kept with the reason, but no longer counts as
    /// the base of the next reading, is not exported, and the period takes a new reading.
    Void {
        /// The meter's number, as the registry has it.
        #[arg(long)]
        meter: String,
        /// The period, `YYYY-MM`.
        #[arg(long)]
        period: String,
        /// Why (kept with the reading, at most 500 characters).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct OutArgs {
    /// Write to this file instead of standard output (replaced only when the export is whole).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The settings every command needs: where the data is, the utility's file, the log.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "VODOKANAL_DATABASE_URL",
        default_value = "sqlite://vodokanal.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// The most connections the server opens to the database.
    #[arg(
        long,
        global = true,
        env = "VODOKANAL_DB_MAX_CONNECTIONS",
        default_value = "10"
    )]
    pub db_max_connections: String,
    /// `transaction` when PostgreSQL is reached through a pooler in transaction mode
    /// (PgBouncer's `pool_mode = transaction`) [default: none].
    #[arg(long, global = true, env = "VODOKANAL_DATABASE_POOLER")]
    pub database_pooler: Option<String>,
    /// A TOML file with the utility's own texts and rules; the settings here override it.
    #[arg(long, global = true, env = "VODOKANAL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The utility's IANA time zone: decides "today" and reading periods [default: Europe/Moscow].
    #[arg(long, global = true, env = "VODOKANAL_TIMEZONE")]
    pub timezone: Option<String>,
    /// What is logged, as a tracing filter (`info`, `vodokanal_app=debug,info`).
    #[arg(long, global = true, env = "VODOKANAL_LOG", default_value = "info")]
    pub log: String,
    /// How each log line is written: `text` for people, `json` (one JSON object a line) for a
    /// log collector [default: text].
    #[arg(long, global = true, env = "VODOKANAL_LOG_FORMAT")]
    pub log_format: Option<String>,
}

/// The payment provider: for `serve` and `reconcile-payments`.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The server's public base URL, used in links such as `confirmation_url`.
    #[arg(
        long,
        env = "VODOKANAL_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// `sandbox` (the server's own pay page, which moves no money), `yookassa` or `tbank`
    /// [default: sandbox; `serve` refuses to start without it when the public URL is not
    /// loopback].
    #[arg(long, env = "VODOKANAL_PAYMENTS")]
    pub payments: Option<String>,
    /// Seconds after which a pending payment is checked with its provider.
    #[arg(long, env = "VODOKANAL_RECONCILE_AFTER", default_value = "600")]
    pub reconcile_after: String,
    /// YooKassa shop id.
    #[arg(long, env = "VODOKANAL_YOOKASSA_SHOP_ID")]
    pub yookassa_shop_id: Option<String>,
    /// YooKassa secret key.
    #[arg(long, env = "VODOKANAL_YOOKASSA_SECRET_KEY", hide_env_values = true)]
    pub yookassa_secret_key: Option<String>,
    /// YooKassa API base URL.
    #[arg(
        long,
        env = "VODOKANAL_YOOKASSA_URL",
        default_value = "https://api.yookassa.ru/v3"
    )]
    pub yookassa_url: String,
    /// Comma-separated CIDRs a YooKassa notification may come from [default: the provider's
    /// published networks].
    #[arg(long, env = "VODOKANAL_YOOKASSA_NOTIFY_NETS")]
    pub yookassa_notify_nets: Option<String>,
    /// T-Bank terminal key.
    #[arg(long, env = "VODOKANAL_TBANK_TERMINAL_KEY")]
    pub tbank_terminal_key: Option<String>,
    /// T-Bank terminal password.
    #[arg(long, env = "VODOKANAL_TBANK_PASSWORD", hide_env_values = true)]
    pub tbank_password: Option<String>,
    /// T-Bank acquiring API base URL.
    #[arg(
        long,
        env = "VODOKANAL_TBANK_URL",
        default_value = "https://securepay.tinkoff.ru/v2"
    )]
    pub tbank_url: String,
}

/// Everything `serve` takes besides the common settings.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "VODOKANAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve `GET /metrics` (Prometheus) on this address, apart from the public one: for the
    /// monitoring network only, without authentication [default: off].
    #[arg(long, env = "VODOKANAL_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// `log` (each SMS to the log, and to the outbox file) or `smsru`.
    #[arg(long, env = "VODOKANAL_SMS", default_value = "log")]
    pub sms: String,
    /// A file to which the `log` gateway appends each SMS as a JSON line.
    #[arg(long, env = "VODOKANAL_SMS_OUTBOX", value_name = "FILE")]
    pub sms_outbox: Option<PathBuf>,
    /// SMS.ru API id.
    #[arg(long, env = "VODOKANAL_SMSRU_API_ID", hide_env_values = true)]
    pub smsru_api_id: Option<String>,
    /// SMS.ru sender name.
    #[arg(long, env = "VODOKANAL_SMSRU_SENDER")]
    pub smsru_sender: Option<String>,
    /// SMS.ru API base URL.
    #[arg(long, env = "VODOKANAL_SMSRU_URL", default_value = "https://sms.ru")]
    pub smsru_url: String,
    /// SMS sent per hour in all, after which codes are refused with 503 [default: 1000].
    #[arg(long, env = "VODOKANAL_SMS_HOURLY_BUDGET")]
    pub sms_hourly_budget: Option<String>,
    /// SMS sent per day in all, after which codes are refused with 503 [default: 10000].
    #[arg(long, env = "VODOKANAL_SMS_DAILY_BUDGET")]
    pub sms_daily_budget: Option<String>,
    /// On an empty database, load a small demo registry (`on`/`off`; the bare flag is `on`).
    #[arg(
        long,
        env = "VODOKANAL_DEMO",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on"
    )]
    pub demo: Option<String>,
    /// Days of the month when readings are taken, e.g. `15-25` [default: any day].
    #[arg(long, env = "VODOKANAL_READING_WINDOW")]
    pub reading_window: Option<String>,
    /// Consumption in m³ above which an anonymous reading is refused [default: 3 times the
    /// warning threshold `high_consumption`, 90].
    #[arg(long, env = "VODOKANAL_ANONYMOUS_READING_CAP")]
    pub anonymous_reading_cap: Option<String>,
    /// Every payment carries a 54-FZ receipt (`on`/`off`; the bare flag is `on`).
    #[arg(
        long,
        env = "VODOKANAL_RECEIPTS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on"
    )]
    pub receipts: Option<String>,
    /// Comma-separated CIDRs whose `X-Forwarded-For` is believed for the client address.
    #[arg(long, env = "VODOKANAL_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Comma-separated origins allowed by CORS, such as `https://lk.example.ru` (no `*`: a
    /// cabinet answers with personal data) [default: none].
    #[arg(long, env = "VODOKANAL_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Seconds after which PostgreSQL cancels a statement of a request (a 503); 0 for none
    /// [default: 5].
    #[arg(long, env = "VODOKANAL_STATEMENT_TIMEOUT")]
    pub statement_timeout: Option<String>,
    /// Seconds a client has to send a request's head (line and headers) before its connection
    /// is closed [default: 10].
    #[arg(long, env = "VODOKANAL_HEADER_READ_TIMEOUT")]
    pub header_read_timeout: Option<String>,
    /// The most connections open at once; more wait until one closes [default: 1024].
    #[arg(long, env = "VODOKANAL_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Comma-separated origins besides the public URL's, such as `https://app.example.ru`,
    /// that a payment's `return_url` may lead to [default: none].
    #[arg(long, env = "VODOKANAL_RETURN_ORIGINS")]
    pub return_origins: Option<String>,
    /// The server secret (at least 32 bytes) that keys the digests of SMS codes [default: one
    /// generated into `FILE.secret` beside the SQLite database, or `vodokanal.secret` in the
    /// working directory on PostgreSQL].
    #[arg(long, env = "VODOKANAL_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// How many days a login session lives [default: 30].
    #[arg(long, env = "VODOKANAL_SESSION_DAYS")]
    pub session_days: Option<String>,
    /// Seconds after which an `Idempotency-Key` claim left without an answer (its request's
    /// process died) is taken over by a retry; at least the request timeout [default: 60].
    #[arg(long, env = "VODOKANAL_IDEMPOTENCY_LEASE")]
    pub idempotency_lease: Option<String>,
    /// Failed logins per client network an hour, after which logins from it get 429
    /// [default: 30].
    #[arg(long, env = "VODOKANAL_LOGIN_NETWORK_FAILURES")]
    pub login_network_failures: Option<String>,
    /// Threads that hash passwords, each with 19 MiB, below the other threads' priority
    /// [default: the number of cores but one, at least one].
    #[arg(long, env = "VODOKANAL_HASHER_WORKERS")]
    pub hasher_workers: Option<String>,
    /// Password hashes that may wait for a thread; past them, 503 at once [default: 64 per
    /// thread].
    #[arg(long, env = "VODOKANAL_HASHER_QUEUE")]
    pub hasher_queue: Option<String>,
    #[command(flatten)]
    pub notices: NoticeArgs,
    #[command(flatten)]
    pub payee: PayeeArgs,
}

/// The utility's bank details for payment QR codes (GOST R 56042-2014): all seven or none
/// (then there is no QR code).
#[derive(Debug, Clone, clap::Args)]
pub struct PayeeArgs {
    /// The payee's name as the bank knows it, e.g. `МУП «Водоканал»` (QR `Name`).
    #[arg(long, env = "VODOKANAL_PAYEE_NAME")]
    pub payee_name: Option<String>,
    /// The settlement account, 20 digits (`PersonalAcc`).
    #[arg(long, env = "VODOKANAL_PAYEE_ACCOUNT")]
    pub payee_account: Option<String>,
    /// The bank's name, at most 45 characters (`BankName`).
    #[arg(long, env = "VODOKANAL_PAYEE_BANK")]
    pub payee_bank: Option<String>,
    /// The bank's BIC, 9 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_BIC")]
    pub payee_bic: Option<String>,
    /// The bank's correspondent account, 20 digits (`CorrespAcc`).
    #[arg(long, env = "VODOKANAL_PAYEE_CORR_ACCOUNT")]
    pub payee_corr_account: Option<String>,
    /// The payee's INN, 10 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_INN")]
    pub payee_inn: Option<String>,
    /// The payee's KPP, 9 characters.
    #[arg(long, env = "VODOKANAL_PAYEE_KPP")]
    pub payee_kpp: Option<String>,
}
