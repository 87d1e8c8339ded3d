//! The `vodokanal` binary's insides: the command line ([`cli`]), the typed configuration
//! ([`config`], the only place that reads the environment), telemetry, the composition root
//! ([`wiring`], the only place that names concrete adapters), the operator's commands, the
//! HTTP server with the sandbox pay page, `/metrics` on a listener of its own ([`metrics`]),
//! the demo registry, and the long commands' progress ([`progress`]). `src/main.rs` only calls
//! [`main`].
//!
//! May depend on every crate of the workspace, clap, tokio, axum, tracing-subscriber (and
//! json-subscriber), toml, ipnet, indicatif and the metrics' Prometheus recorder: this is the
//! one crate that knows them all.

pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod listener;
pub mod metrics;
pub mod progress;
pub mod sandbox_page;
pub mod secret;
pub mod serve;
pub mod telemetry;
pub mod wiring;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{CommonConfig, ProviderConfig, ServeConfig};
use crate::error::Error;

/// Parses the command line and the environment, runs the command, and turns a failure into
/// one line on standard error (`error: …`; in the JSON log format, once the log is set up, an
/// ERROR object instead) and exit code 1. `--help`, `--version` and a malformed command line
/// are clap's (exit 0 and 2).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if telemetry::installed() == Some(telemetry::LogFormat::Json) {
                tracing::error!(error = %error.one_line(), "the command failed");
            } else {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "error: {}", error.one_line());
            }
            ExitCode::FAILURE
        }
    }
}

/// Checks the whole configuration before anything starts, then runs the command on a tokio
/// runtime.
pub fn run(cli: Cli) -> Result<(), Error> {
    let common = CommonConfig::from_args(&cli.common)?;
    let command = Checked::new(cli.command)?;
    telemetry::init(&common.log, common.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Command(format!("the async runtime can't start: {e}")))?;
    runtime.block_on(command.run(&common, &mut std::io::stdout()))
}

/// A command with its own settings checked.
#[derive(Debug)]
pub enum Checked {
    Serve(Box<ServeConfig>),
    Migrate,
    ImportRegistry(std::path::PathBuf),
    Export(cli::ExportCommand),
    Readings(cli::ReadingsCommand),
    ReconcilePayments(ProviderConfig),
    /// `notices plan [--dry-run]`, with `serve`'s settings.
    PlanNotices {
        config: Box<ServeConfig>,
        dry_run: bool,
    },
}

impl Checked {
    pub fn new(command: Command) -> Result<Self, Error> {
        Ok(match command {
            Command::Serve(args) => Self::Serve(Box::new(ServeConfig::from_args(&args)?)),
            Command::Migrate => Self::Migrate,
            Command::ImportRegistry { file } => Self::ImportRegistry(file),
            Command::Export(export) => Self::Export(export),
            Command::Readings(readings) => Self::Readings(readings),
            Command::ReconcilePayments(args) => {
                Self::ReconcilePayments(ProviderConfig::from_args(&args)?)
            }
            Command::Notices(cli::NoticesCommand::Plan { dry_run, serve }) => Self::PlanNotices {
                config: Box::new(ServeConfig::from_args(&serve)?),
                dry_run,
            },
        })
    }

    /// Opens (and migrates) the store, then runs. Reports go to `out`.
    pub async fn run(self, common: &CommonConfig, out: &mut dyn Write) -> Result<(), Error> {
        // Only the requests of `serve` are bounded: an export may stream for longer.
        let statement_timeout = match &self {
            Self::Serve(config) => config.statement_timeout,
            _ => None,
        };
        let stores = wiring::open_store(&common.database, statement_timeout).await?;
        let mut settings = common.settings.clone();
        match self {
            Self::Serve(config) => {
                config.apply_to(&mut settings);
                settings.code_key = config::secret::code_key(
                    config.secret.as_ref(),
                    &common.database.url,
                    wiring::system_random().as_ref(),
                )?;
                let wired = wiring::for_serve(&config, &settings, &stores).await?;
                serve::serve(&config, &settings, wired).await
            }
            Self::Migrate => writeln!(
                out,
                "migrations applied: {}",
                common.database.url.redacted()
            )
            .map_err(|e| Error::Command(format!("the report can't be written: {e}"))),
            Self::ImportRegistry(file) => {
                let use_cases = wiring::for_command(&stores, &settings, None)?;
                commands::import_registry(&use_cases, &file, out).await
            }
            Self::Export(export) => {
                let use_cases = wiring::for_command(&stores, &settings, None)?;
                commands::export(&use_cases, &export).await.map(|_| ())
            }
            Self::Readings(readings) => {
                let use_cases = wiring::for_command(&stores, &settings, None)?;
                commands::readings(&use_cases, &readings, out).await
            }
            Self::ReconcilePayments(config) => {
                config.apply_to(&mut settings);
                let use_cases = wiring::for_command(&stores, &settings, Some(&config))?;
                commands::reconcile_payments(&use_cases, config.reconcile_after, out).await
            }
            Self::PlanNotices { config, dry_run } => {
                config.apply_to(&mut settings);
                let use_cases = wiring::for_command(&stores, &settings, None)?;
                let now = wiring::clock(&config.notices).now();
                commands::plan_notices(&use_cases, now, dry_run, out).await
            }
        }
    }
}
