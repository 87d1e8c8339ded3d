//! The command line, as clap reads it: raw text only. Every setting is taken as a string (or
//! an absent one) and checked by [`crate::config`], so that a bad value is refused with one
//! line naming its environment variable, never with clap's multi-line usage message.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The top-level help's closing lines: the manual, and the commands run most.
const AFTER_HELP: &str = "\
The operator's manual (daily and monthly tasks, what each warning in the log means) is
docs/operations.md. Every setting can also be given by its environment variable, shown in
[env: ...].

Run most often:
  vodokanal serve                                      run the cabinet for subscribers
  vodokanal import-registry registry.csv               load the billing system's registry
  vodokanal export readings --period 2026-11 --out readings-2026-11.csv
  vodokanal export payments --from 2026-11-01 --to 2026-11-30 --out payments.csv
  vodokanal readings void --meter ВСХ-0011234 --period 2026-11 --reason \"typo\"

`vodokanal help COMMAND` shows a command's settings and examples.";

/// Examples of `import-registry`.
const IMPORT_EXAMPLES: &str = "\
Examples:
  vodokanal import-registry /srv/billing/registry-2026-11-30.csv
  # cron, every night at 02:00 (an example time), the log to a file:
  0 2 * * *  vodokanal import-registry /srv/billing/registry.csv >>/var/log/vodokanal/import.log 2>&1

Prints \"inserted: N\", \"updated: N\", \"rejected: N\" and each rejected line with its reason.
A rejected line does not stop the others; fix it in the billing system and import again.
Running the same file twice changes nothing. On a terminal a progress bar shows rows, rate
and time left; otherwise a line goes to the log every 10 seconds, and a summary at the end.";

/// Examples of `export`.
const EXPORT_EXAMPLES: &str = "\
Examples:
  vodokanal export readings --period 2026-11 --out /srv/billing/readings-2026-11.csv
  vodokanal export payments --from 2026-11-01 --to 2026-11-30 --out /srv/billing/payments.csv
  vodokanal export visit-requests --status new > visits-new.csv

The exports are `;`-separated CSV in UTF-8 with a header row. With --out, the file is
readable by its owner only and appears only when the export is whole; a failed export leaves
the old file as it was. Rows written, rate, time left and a summary go to standard error
(or to the log when it is not a terminal).";

/// Examples of `readings void`.
const VOID_EXAMPLES: &str = "\
Example:
  vodokanal readings void --meter ВСХ-0011234 --period 2026-11 --reason \"the subscriber mistyped: 1234 for 123.4\"

The subscriber (or the registry) can then give the period's reading again.";

/// Examples of `reconcile-payments`.
const RECONCILE_EXAMPLES: &str = "\
Examples:
  vodokanal reconcile-payments
  # cron, every 15 minutes, when no `serve` runs with the same database:
  */15 * * * *  vodokanal reconcile-payments >>/var/log/vodokanal/reconcile.log 2>&1

Prints how many payments were checked, succeeded, canceled, are still pending, and failed.
Takes the same payment provider settings as `serve`.";

/// Examples of `migrate`.
const MIGRATE_EXAMPLES: &str = "\
Example (before starting a new version on PostgreSQL, once, not through PgBouncer):
  VODOKANAL_DATABASE_URL=postgres://vodokanal@db.example/vodokanal vodokanal migrate";

/// Examples of `serve`.
const SERVE_EXAMPLES: &str = "\
Examples:
  vodokanal serve --demo                  try it on this machine: a small demo registry, SQLite
  VODOKANAL_DATABASE_URL=postgres://vodokanal@db.example/vodokanal \\
  VODOKANAL_PUBLIC_URL=https://lk.vodokanal.example VODOKANAL_PAYMENTS=yookassa \\
  VODOKANAL_YOOKASSA_SHOP_ID=123456 VODOKANAL_YOOKASSA_SECRET_KEY=... vodokanal serve

Stops cleanly on Ctrl-C or SIGTERM, finishing the requests in flight.";

/// The water utility's subscriber cabinet: the website where subscribers see their accounts,
/// give meter readings and pay, and the commands that exchange data with the billing system.
#[derive(Debug, Parser)]
#[command(name = "vodokanal", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the subscriber cabinet (the website and its API) until stopped; brings the
    /// database up to date first. Also sends the SMS and notices, checks pending payments
    /// every minute and removes expired records every hour.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(Box<ServeArgs>),
    /// Bring the database up to date for this version (create or change its tables) and
    /// exit; running it again changes nothing.
    #[command(after_help = MIGRATE_EXAMPLES)]
    Migrate,
    /// Load the billing system's registry of accounts and meters: new ones are added, known
    /// ones updated, bad lines reported and skipped.
    #[command(after_help = IMPORT_EXAMPLES)]
    ImportRegistry {
        /// The registry file: `;`-separated CSV in UTF-8 with a header row, one line per
        /// meter (an account without meters has one line with the meter columns empty).
        file: PathBuf,
    },
    /// Write readings, payments or visit requests as CSV files for the billing system.
    #[command(subcommand, after_help = EXPORT_EXAMPLES)]
    Export(ExportCommand),
    /// Correct stored meter readings.
    #[command(subcommand)]
    Readings(ReadingsCommand),
    /// Ask the payment provider once about every payment pending longer than
    /// --reconcile-after, record what it answers (paid or canceled) and exit. For a cron job
    /// when `serve` does not run; `serve` does the same every minute.
    #[command(after_help = RECONCILE_EXAMPLES)]
    ReconcilePayments(Box<ProviderArgs>),
    /// Reminders and notices to subscribers (SMS, e-mail, browser notifications).
    #[command(subcommand)]
    Notices(NoticesCommand),
}

/// `vodokanal notices ...`
#[derive(Debug, clap::Subcommand)]
pub enum NoticesCommand {
    /// Plan the notices due now, as `serve` does every few minutes; with `--dry-run`, only
    /// print who would get what by which channel, and send or store nothing. Takes `serve`'s
    /// settings (the reading window, the debt threshold, ...): run it with the same
    /// environment.
    #[command(after_help = "Example:\n  vodokanal notices plan --dry-run")]
    Plan {
        /// Only print what would be planned; send and store nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        serve: Box<ServeArgs>,
    },
}

/// The notices' channels and rules (docs/notices.md).
#[derive(Debug, Clone, clap::Args)]
pub struct NoticeArgs {
    /// The mail server that sends e-mail: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS), `smtp://host:25` (unencrypted).
    /// Without it, no e-mail leaves: each goes to the log (and to --mail-outbox).
    #[arg(long, env = "VODOKANAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender subscribers see on e-mail, e.g. `Водоканал <noreply@vodokanal.example>`.
    #[arg(long, env = "VODOKANAL_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Without a mail server: a file each e-mail is appended to, one JSON line each (for
    /// trials and tests).
    #[arg(long, env = "VODOKANAL_MAIL_OUTBOX", value_name = "FILE")]
    pub mail_outbox: Option<PathBuf>,
    /// The private key that signs browser notifications (VAPID: URL-safe base64 of 32
    /// bytes). Without it, browser notifications are off. Keep it secret and never change
    /// it: subscribers would have to allow notifications again.
    #[arg(long, env = "VODOKANAL_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,
    /// Whom the browsers' notification services contact about this server, e.g.
    /// `mailto:it@vodokanal.example`.
    #[arg(long, env = "VODOKANAL_VAPID_SUBJECT")]
    pub vapid_subject: Option<String>,
    /// The browsers' notification services the server may send to, comma-separated host
    /// names [default: those of Chrome, Firefox, Edge and Safari].
    #[arg(long, env = "VODOKANAL_PUSH_HOSTS")]
    pub push_hosts: Option<String>,
    /// Subscribers whose registry debt is above this many roubles get a notice about it
    /// [default: no debt notices].
    #[arg(long, env = "VODOKANAL_DEBT_THRESHOLD")]
    pub debt_threshold: Option<String>,
    /// For tests only (a debug build): a file holding the date and time to pretend it is
    /// (RFC 3339); the clock runs on from it.
    #[arg(long, env = "VODOKANAL_TEST_CLOCK", value_name = "FILE", hide = true)]
    pub test_clock: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The readings subscribers gave for a month (on the website or without logging in),
    /// voided ones left out.
    #[command(
        after_help = "Example:\n  vodokanal export readings --period 2026-11 --out readings-2026-11.csv"
    )]
    Readings {
        /// The month, `YYYY-MM`, e.g. `2026-11`.
        #[arg(long)]
        period: String,
        #[command(flatten)]
        out: OutArgs,
    },
    /// The payments started between two days (the utility's local dates), both included,
    /// whatever their state: paid, canceled or still pending.
    #[command(
        after_help = "Example (November):\n  vodokanal export payments --from 2026-11-01 --to 2026-11-30 --out payments-2026-11.csv"
    )]
    Payments {
        /// The first day, `YYYY-MM-DD`.
        #[arg(long)]
        from: String,
        /// The last day, `YYYY-MM-DD` (included).
        #[arg(long)]
        to: String,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Subscribers' requests for a visit (meter sealing, a check, ...): all, or those in one
    /// state.
    #[command(
        after_help = "Example (the requests nobody has taken yet):\n  vodokanal export visit-requests --status new --out visits-new.csv"
    )]
    VisitRequests {
        /// Only the requests in this state: `new`, `scheduled`, `done` or `canceled`
        /// [default: all].
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        out: OutArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReadingsCommand {
    /// Void a wrong reading of a meter for a month: it is kept with your reason and the
    /// subscriber still sees it, marked void, but it is no longer exported nor the base of
    /// the next reading, and a new reading can be given for that month.
    #[command(after_help = VOID_EXAMPLES)]
    Void {
        /// The meter's number, as the registry has it, e.g. `ВСХ-0011234`.
        #[arg(long)]
        meter: String,
        /// The month of the reading, `YYYY-MM`.
        #[arg(long)]
        period: String,
        /// Why it is voided: kept with the reading (at most 500 characters).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct OutArgs {
    /// Write to this file instead of standard output. It is created readable by its owner
    /// only, and replaced only once the export is whole.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The settings every command needs: where the data is, the utility's file, the log.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Where the data is kept: `sqlite://FILE` (a file, created if missing) or
    /// `postgres://user:password@host/database`. The password is never printed.
    #[arg(
        long,
        global = true,
        env = "VODOKANAL_DATABASE_URL",
        default_value = "sqlite://vodokanal.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// The most connections one process opens to the database.
    #[arg(
        long,
        global = true,
        env = "VODOKANAL_DB_MAX_CONNECTIONS",
        default_value = "10"
    )]
    pub db_max_connections: String,
    /// `transaction` when PostgreSQL is reached through PgBouncer in transaction mode
    /// (`pool_mode = transaction`; see docs/deployment.md) [default: straight to PostgreSQL].
    #[arg(long, global = true, env = "VODOKANAL_DATABASE_POOLER")]
    pub database_pooler: Option<String>,
    /// A TOML file with the utility's own texts and rules (contact center, help texts,
    /// reading window, ...); the settings given here override it.
    #[arg(long, global = true, env = "VODOKANAL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The utility's time zone (IANA name): decides what "today" and a reading's month are
    /// [default: Europe/Moscow].
    #[arg(long, global = true, env = "VODOKANAL_TIMEZONE")]
    pub timezone: Option<String>,
    /// How much goes to the log (standard error): `error`, `warn`, `info` or `debug`; or
    /// per part, e.g. `vodokanal_app=debug,info`.
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
    /// The address subscribers open the cabinet at, e.g. `https://lk.vodokanal.example`: used
    /// in links sent to them and in the payment pages' return links.
    #[arg(
        long,
        env = "VODOKANAL_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Who takes the payments: `yookassa`, `tbank`, or `sandbox` (a test page of the server's
    /// own, which moves no money) [default: sandbox; `serve` refuses to start without it when
    /// the public URL is not this machine's].
    #[arg(long, env = "VODOKANAL_PAYMENTS")]
    pub payments: Option<String>,
    /// Seconds a payment may stay pending before it is checked with its provider.
    #[arg(long, env = "VODOKANAL_RECONCILE_AFTER", default_value = "600")]
    pub reconcile_after: String,
    /// YooKassa shop id (from the YooKassa account).
    #[arg(long, env = "VODOKANAL_YOOKASSA_SHOP_ID")]
    pub yookassa_shop_id: Option<String>,
    /// YooKassa secret key; never printed.
    #[arg(long, env = "VODOKANAL_YOOKASSA_SECRET_KEY", hide_env_values = true)]
    pub yookassa_secret_key: Option<String>,
    /// YooKassa's API address (change only for a test stand).
    #[arg(
        long,
        env = "VODOKANAL_YOOKASSA_URL",
        default_value = "https://api.yookassa.ru/v3"
    )]
    pub yookassa_url: String,
    /// The networks YooKassa's payment notifications may come from, comma-separated (e.g.
    /// `185.71.76.0/27`) [default: the networks YooKassa publishes].
    #[arg(long, env = "VODOKANAL_YOOKASSA_NOTIFY_NETS")]
    pub yookassa_notify_nets: Option<String>,
    /// T-Bank terminal key (from the T-Bank acquiring account).
    #[arg(long, env = "VODOKANAL_TBANK_TERMINAL_KEY")]
    pub tbank_terminal_key: Option<String>,
    /// T-Bank terminal password; never printed.
    #[arg(long, env = "VODOKANAL_TBANK_PASSWORD", hide_env_values = true)]
    pub tbank_password: Option<String>,
    /// T-Bank's acquiring API address (change only for a test stand).
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
    /// Where the website answers, `IP:NUMBER`, e.g. `0.0.0.0:8080` for every network of the
    /// machine; put a reverse proxy with HTTPS in front of it.
    #[arg(long, env = "VODOKANAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve `GET /metrics` (Prometheus) on this address, apart from the public one: for the
    /// monitoring network only, without authentication [default: off].
    #[arg(long, env = "VODOKANAL_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// How SMS (login codes, notices) are sent: `smsru` (SMS.ru), or `log` (none is sent:
    /// each goes to the log, and to --sms-outbox; for trials).
    #[arg(long, env = "VODOKANAL_SMS", default_value = "log")]
    pub sms: String,
    /// With `--sms log`: a file each SMS is appended to, one JSON line each.
    #[arg(long, env = "VODOKANAL_SMS_OUTBOX", value_name = "FILE")]
    pub sms_outbox: Option<PathBuf>,
    /// SMS.ru API id (from the SMS.ru account); never printed.
    #[arg(long, env = "VODOKANAL_SMSRU_API_ID", hide_env_values = true)]
    pub smsru_api_id: Option<String>,
    /// The sender name subscribers see, as registered with SMS.ru.
    #[arg(long, env = "VODOKANAL_SMSRU_SENDER")]
    pub smsru_sender: Option<String>,
    /// SMS.ru's API address (change only for a test stand).
    #[arg(long, env = "VODOKANAL_SMSRU_URL", default_value = "https://sms.ru")]
    pub smsru_url: String,
    /// The most SMS sent in an hour, all subscribers together; past it, login codes are
    /// refused until the hour is over (protects the SMS bill) [default: 1000].
    #[arg(long, env = "VODOKANAL_SMS_HOURLY_BUDGET")]
    pub sms_hourly_budget: Option<String>,
    /// The most SMS sent in a day, all subscribers together; past it, login codes are
    /// refused until the next day [default: 10000].
    #[arg(long, env = "VODOKANAL_SMS_DAILY_BUDGET")]
    pub sms_daily_budget: Option<String>,
    /// On an empty database, load a small demo registry to try the cabinet with (`on`/`off`;
    /// the bare flag is `on`). Never on a real database.
    #[arg(
        long,
        env = "VODOKANAL_DEMO",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on"
    )]
    pub demo: Option<String>,
    /// Days of the month when subscribers may give readings, e.g. `15-25` [default: any
    /// day].
    #[arg(long, env = "VODOKANAL_READING_WINDOW")]
    pub reading_window: Option<String>,
    /// Consumption in m³ above which a reading given without logging in is refused
    /// [default: 3 times the warning threshold `high_consumption` of the utility's file, 90].
    #[arg(long, env = "VODOKANAL_ANONYMOUS_READING_CAP")]
    pub anonymous_reading_cap: Option<String>,
    /// Every payment gets a fiscal receipt (54-FZ), so the payer must give an e-mail or a
    /// phone for it (`on`/`off`; the bare flag is `on`).
    #[arg(
        long,
        env = "VODOKANAL_RECEIPTS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on"
    )]
    pub receipts: Option<String>,
    /// The reverse proxies or load balancers in front of the server, comma-separated networks
    /// (e.g. `10.0.0.0/24`): their `X-Forwarded-For` header is believed for the subscriber's
    /// address. Without it, the limits per network count every request as the proxy's.
    #[arg(long, env = "VODOKANAL_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Other websites whose pages may call the cabinet's API from a browser, comma-separated,
    /// e.g. `https://lk.example.ru` (no `*`: the answers hold personal data) [default: none].
    #[arg(long, env = "VODOKANAL_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Seconds after which PostgreSQL stops a request's query and the subscriber is asked to
    /// try again later; 0 for no limit [default: 5].
    #[arg(long, env = "VODOKANAL_STATEMENT_TIMEOUT")]
    pub statement_timeout: Option<String>,
    /// Seconds a browser has to send a request's first lines before its connection is closed
    /// (protects against slow clients holding connections) [default: 10].
    #[arg(long, env = "VODOKANAL_HEADER_READ_TIMEOUT")]
    pub header_read_timeout: Option<String>,
    /// The most browser connections open at once; more wait until one closes [default:
    /// 1024].
    #[arg(long, env = "VODOKANAL_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Other websites a subscriber may be sent back to after paying, comma-separated, e.g.
    /// `https://app.example.ru` (the public URL is always allowed) [default: none].
    #[arg(long, env = "VODOKANAL_RETURN_ORIGINS")]
    pub return_origins: Option<String>,
    /// The server's secret (at least 32 bytes) that protects the SMS login codes; every
    /// process on one database must have the same [default: one generated into `FILE.secret`
    /// beside the SQLite database, or `vodokanal.secret` in the working directory on
    /// PostgreSQL].
    #[arg(long, env = "VODOKANAL_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Days a subscriber stays logged in [default: 30].
    #[arg(long, env = "VODOKANAL_SESSION_DAYS")]
    pub session_days: Option<String>,
    /// Seconds after which a request repeated by the subscriber's app (same `Idempotency-Key`)
    /// is carried out again when the first one never answered (its process died); at least
    /// the request timeout [default: 60].
    #[arg(long, env = "VODOKANAL_IDEMPOTENCY_LEASE")]
    pub idempotency_lease: Option<String>,
    /// Failed logins from one network in an hour, after which logins from it are refused for
    /// the rest of the hour (against password guessing) [default: 30].
    #[arg(long, env = "VODOKANAL_LOGIN_NETWORK_FAILURES")]
    pub login_network_failures: Option<String>,
    /// Threads that check passwords, each using 19 MiB, at a lower priority than the rest
    /// [default: the number of cores but one, at least one].
    #[arg(long, env = "VODOKANAL_HASHER_WORKERS")]
    pub hasher_workers: Option<String>,
    /// Password checks that may wait for a thread; past them, logins are refused at once
    /// with "try again later" [default: 64 per thread].
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
    /// The payee's name as the bank knows it, e.g. `МУП «Водоканал»`.
    #[arg(long, env = "VODOKANAL_PAYEE_NAME")]
    pub payee_name: Option<String>,
    /// The utility's settlement account, 20 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_ACCOUNT")]
    pub payee_account: Option<String>,
    /// The bank's name, at most 45 characters.
    #[arg(long, env = "VODOKANAL_PAYEE_BANK")]
    pub payee_bank: Option<String>,
    /// The bank's BIC, 9 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_BIC")]
    pub payee_bic: Option<String>,
    /// The bank's correspondent account, 20 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_CORR_ACCOUNT")]
    pub payee_corr_account: Option<String>,
    /// The payee's INN, 10 digits.
    #[arg(long, env = "VODOKANAL_PAYEE_INN")]
    pub payee_inn: Option<String>,
    /// The payee's KPP, 9 characters.
    #[arg(long, env = "VODOKANAL_PAYEE_KPP")]
    pub payee_kpp: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command, built (global settings propagated), with its path: `vodokanal export
    /// readings`; clap's own `help` left out.
    fn commands() -> Vec<(String, clap::Command)> {
        fn walk(path: &str, command: &clap::Command, into: &mut Vec<(String, clap::Command)>) {
            into.push((path.to_owned(), command.clone()));
            for sub in command.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(&format!("{path} {}", sub.get_name()), sub, into);
                }
            }
        }
        let mut cli = Cli::command();
        cli.build();
        let mut all = Vec::new();
        walk("vodokanal", &cli, &mut all);
        all
    }

    fn long_help(command: &clap::Command) -> String {
        command.clone().render_long_help().to_string()
    }

    #[test]
    fn every_command_and_setting_says_what_it_does() {
        let mut silent = Vec::new();
        for (path, command) in commands() {
            if command.get_about().is_none() {
                silent.push(path.clone());
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if !matches!(id, "help" | "version") && arg.get_help().is_none() {
                    silent.push(format!("{path} --{id}"));
                }
            }
        }
        assert!(silent.is_empty(), "without help text: {silent:?}");
    }

    #[test]
    fn the_operators_main_commands_show_an_example() {
        let all = commands();
        for path in [
            "vodokanal serve",
            "vodokanal migrate",
            "vodokanal import-registry",
            "vodokanal export",
            "vodokanal export readings",
            "vodokanal export payments",
            "vodokanal export visit-requests",
            "vodokanal readings void",
            "vodokanal reconcile-payments",
            "vodokanal notices plan",
        ] {
            let (_, command) = all.iter().find(|(p, _)| p == path).unwrap();
            let help = long_help(command);
            let example = help.contains("Example")
                && help
                    .lines()
                    .any(|line| line.contains(path) && !line.contains("Usage:"));
            assert!(example, "{path}: no example in\n{help}");
        }
        let top = long_help(&Cli::command());
        assert!(top.contains("docs/operations.md"), "{top}");
        assert!(
            top.contains("vodokanal import-registry registry.csv"),
            "{top}"
        );
    }

    #[test]
    fn the_help_speaks_the_operators_words_not_the_developers() {
        const DEVELOPERS: [&str; 6] = [
            "adapter",
            "adapters",
            "composition",
            "port",
            "ports",
            "telemetry",
        ];
        for (path, command) in commands() {
            let mut short = command.clone();
            let help = format!("{}\n{}", short.render_help(), long_help(&command)).to_lowercase();
            let found: Vec<&str> = help
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| DEVELOPERS.contains(word))
                .collect();
            assert!(found.is_empty(), "{path}: {found:?} in\n{help}");
        }
    }
}
