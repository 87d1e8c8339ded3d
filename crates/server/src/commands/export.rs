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

/// Checks the command's arguments, then streams the export to standard output, or with
/// `--out FILE` to `FILE.partial`, renamed over `FILE` only when whole: a failed export leaves
/// no partial file (and an earlier `FILE` untouched). The file holds personal data: it is
/// created readable by its owner only (0600), and reaches the disk before the rename, whose
/// directory is synced after it, so that a crash leaves the old file or the whole new one.
/// Returns the number of rows written (the header not counted).
pub async fn export(use_cases: &UseCases, command: &ExportCommand) -> Result<u64, Error> {
    let (job, out) = Job::parse(command)?;
    let Some(path) = out else {
        return job.run(use_cases, tokio::io::stdout()).await;
    };
    let partial = partial_path(&path);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .await
        .map_err(|e| Error::Command(format!("{} can't be created: {e}", partial.display())))?;
    let written =
        match job.run(use_cases, &mut file).await {
            Ok(rows) => file.sync_all().await.map(|()| rows).map_err(|e| {
                Error::Command(format!("{} can't be written: {e}", partial.display()))
            }),
            Err(error) => Err(error),
        };
    drop(file);
    match written {
        Ok(rows) => {
            tokio::fs::rename(&partial, &path)
                .await
                .map_err(|e| Error::Command(format!("{} can't be written: {e}", path.display())))?;
            sync_directory_of(&path).await;
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

    async fn run<W: AsyncWrite + Unpin + Send>(
        self,
        use_cases: &UseCases,
        output: W,
    ) -> Result<u64, Error> {
        let mut sink = crate::wiring::export_sink(output);
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
