//! `vodokanal export readings|payments|visit-requests [--out FILE]`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tokio::io::AsyncWrite;
use vodokanal_app::UseCases;
use vodokanal_app::registry::{
    ExportPaymentsCommand, ExportReadingsCommand, ExportVisitRequestsCommand,
};
use vodokanal_domain::{Period, VisitStatus};

use crate::cli::ExportCommand;
use crate::error::Error;
use crate::progress::{CountingSink, Progress, Unit, seconds_f};

/// Checks the command's arguments, then streams the export to standard output, or with
/// `--out FILE` to `FILE.partial`, renamed over `FILE` only when whole: a failed export leaves
/// no partial file (and an earlier `FILE` untouched). The file holds personal data: it is
/// created readable by its owner only (0600), and reaches the disk before the rename, whose
/// directory is synced after it, so that a crash leaves the old file or the whole new one.
/// Meanwhile, the rows written, their rate and the time left (the rows to come are counted
/// first, one query), and at the end a summary, go to standard error ([`crate::progress`]).
/// Returns the number of rows written (the header not counted).
pub async fn export(use_cases: &UseCases, command: &ExportCommand) -> Result<u64, Error> {
    let (job, out) = Job::parse(command)?;
    let name = job.name();
    // Without the count, the progress has no end (no time left); the export itself goes on.
    let total = job
        .count(use_cases)
        .await
        .inspect_err(|error| tracing::debug!(%error, "the export's rows can't be counted"))
        .ok();
    let mut progress = Progress::start(job.label(), Unit::Rows, total);
    let rows = match out {
        None => {
            job.run(use_cases, tokio::io::stdout(), &mut progress)
                .await?
        }
        Some(path) => to_file(job, use_cases, &path, &mut progress).await?,
    };
    let summary = format!(
        "the {name} export was written in {} s: {rows} rows",
        seconds_f(progress.elapsed())
    );
    progress.finish(&summary);
    Ok(rows)
}

/// The export into `path`, through `FILE.partial`.
async fn to_file(
    job: Job,
    use_cases: &UseCases,
    path: &Path,
    progress: &mut Progress,
) -> Result<u64, Error> {
    let partial = partial_path(path);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .await
        .map_err(|e| Error::Command(format!("{} can't be created: {e}", partial.display())))?;
    let written =
        match job.run(use_cases, &mut file, progress).await {
            Ok(rows) => file.sync_all().await.map(|()| rows).map_err(|e| {
                Error::Command(format!("{} can't be written: {e}", partial.display()))
            }),
            Err(error) => Err(error),
        };
    drop(file);
    match written {
        Ok(rows) => {
            tokio::fs::rename(&partial, path)
                .await
                .map_err(|e| Error::Command(format!("{} can't be written: {e}", path.display())))?;
            sync_directory_of(path).await;
            Ok(rows)
        }
        Err(error) => {
            let _best_effort = tokio::fs::remove_file(&partial).await;
            Err(error)
        }
    }
}

/// Makes the rename durable; a directory that can't be opened or synced only weakens that.
async fn sync_directory_of(path: &Path) {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(handle) = tokio::fs::File::open(directory).await
        && let Err(e) = handle.sync_all().await
    {
        tracing::warn!(directory = %directory.display(), error = %e, "the export's directory can't be synced");
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// One export, its arguments checked.
enum Job {
    Readings(ExportReadingsCommand),
    Payments(ExportPaymentsCommand),
    VisitRequests(ExportVisitRequestsCommand),
}

impl Job {
    /// What is exported, for the summary.
    fn name(&self) -> &'static str {
        match self {
            Self::Readings(_) => "readings",
            Self::Payments(_) => "payments",
            Self::VisitRequests(_) => "visit requests",
        }
    }

    /// The progress lines' start.
    fn label(&self) -> &'static str {
        match self {
            Self::Readings(_) => "exporting readings",
            Self::Payments(_) => "exporting payments",
            Self::VisitRequests(_) => "exporting visit requests",
        }
    }

    fn parse(command: &ExportCommand) -> Result<(Self, Option<PathBuf>), Error> {
        let bad = |flag: &str, message: String| Error::Command(format!("{flag}: {message}"));
        Ok(match command {
            ExportCommand::Readings { period, out } => {
                let period = period
                    .parse::<Period>()
                    .map_err(|e| bad("--period", format!("{e} (got {period:?})")))?;
                (
                    Self::Readings(ExportReadingsCommand { period }),
                    out.out.clone(),
                )
            }
            ExportCommand::Payments { from, to, out } => {
                let date = |flag: &str, text: &str| {
                    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                        .map_err(|_| bad(flag, format!("expected a date YYYY-MM-DD, got {text:?}")))
                };
                let from = date("--from", from)?;
                let to = date("--to", to)?;
                if to < from {
                    return Err(bad("--to", format!("{to} is before --from {from}")));
                }
                (
                    Self::Payments(ExportPaymentsCommand { from, to }),
                    out.out.clone(),
                )
            }
            ExportCommand::VisitRequests { status, out } => {
                let status = status
                    .as_deref()
                    .map(|text| {
                        text.parse::<VisitStatus>()
                            .map_err(|e| bad("--status", format!("{e} (got {text:?})")))
                    })
                    .transpose()?;
                (
                    Self::VisitRequests(ExportVisitRequestsCommand { status }),
                    out.out.clone(),
                )
            }
        })
    }

    /// How many rows the export would write now.
    async fn count(&self, use_cases: &UseCases) -> Result<u64, String> {
        let reason = |e: &dyn std::fmt::Display| e.to_string();
        match *self {
            Self::Readings(command) => use_cases
                .export_readings
                .count(command)
                .await
                .map_err(|e| reason(&e)),
            Self::Payments(command) => use_cases
                .export_payments
                .count(command)
                .await
                .map_err(|e| reason(&e)),
            Self::VisitRequests(command) => use_cases
                .export_visit_requests
                .count(command)
                .await
                .map_err(|e| reason(&e)),
        }
    }

    async fn run<W: AsyncWrite + Unpin + Send>(
        self,
        use_cases: &UseCases,
        output: W,
        progress: &mut Progress,
    ) -> Result<u64, Error> {
        let mut sink = CountingSink::new(crate::wiring::export_sink(output), progress);
        let failed = |e: &dyn std::fmt::Display| Error::Command(format!("the export failed: {e}"));
        match self {
            Self::Readings(command) => use_cases
                .export_readings
                .execute(command, &mut sink)
                .await
                .map_err(|e| failed(&e)),
            Self::Payments(command) => use_cases
                .export_payments
                .execute(command, &mut sink)
                .await
                .map_err(|e| failed(&e)),
            Self::VisitRequests(command) => use_cases
                .export_visit_requests
                .execute(command, &mut sink)
                .await
                .map_err(|e| failed(&e)),
        }
    }
}
