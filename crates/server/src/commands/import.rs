//! `vodokanal import-registry FILE`.

use std::io::Write;
use std::path::Path;

use tokio::fs::File;
use vodokanal_app::UseCases;
use vodokanal_app::registry::ImportRegistryError;

use crate::error::Error;
use crate::progress::{CountingReader, Progress, Unit, seconds_f};

/// Streams the file through the registry reader into the store, then prints
/// `inserted: N`, `updated: N`, `rejected: N` and each rejected row as `line N: reason`.
/// Meanwhile, the progress (bytes of the file's size, rows, rate, time left) and at the end a
/// summary go to standard error ([`crate::progress`]).
/// Rows rejected are not an error; a file that can't be read, or a store that fails, is (what
/// was stored before stays, and running the import again is safe).
pub async fn import_registry(
    use_cases: &UseCases,
    path: &Path,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let file = File::open(path)
        .await
        .map_err(|e| Error::Command(format!("{} can't be read: {e}", path.display())))?;
    // The size first, so that the progress knows its end; unknown, it shows rows only.
    let size = file.metadata().await.ok().map(|metadata| metadata.len());
    let mut progress = Progress::start("importing the registry", Unit::Bytes, size);
    let mut counted = CountingReader::new(file, &mut progress);
    let mut source = crate::wiring::registry_source(&mut counted);
    let imported = use_cases.import_registry.execute(&mut source).await;
    drop(source);
    drop(counted);
    let report = imported
        .map_err(|e| match e {
            ImportRegistryError::Unreadable { reason, committed } => Error::Command(format!(
                "{}: the registry can't be read: {reason} (stored before that: {} inserted, {} updated)",
                path.display(),
                committed.inserted,
                committed.updated
            )),
            ImportRegistryError::Store { source, committed } => Error::Command(format!(
                "the registry could not be stored: {source} (stored before that: {} inserted, {} updated; running the import again is safe)",
                committed.inserted, committed.updated
            )),
        })?;
    let rows = report.inserted + report.updated + report.rejected_count;
    let summary = format!(
        "the registry was imported in {} s: {rows} rows, inserted {}, updated {}, rejected {}",
        seconds_f(progress.elapsed()),
        report.inserted,
        report.updated,
        report.rejected_count
    );
    progress.finish(&summary);
    let written = (|| {
        writeln!(out, "inserted: {}", report.inserted)?;
        writeln!(out, "updated: {}", report.updated)?;
        writeln!(out, "rejected: {}", report.rejected_count)?;
        for rejected in &report.rejected {
            writeln!(out, "line {}: {}", rejected.line, rejected.reason)?;
        }
        let untold = report
            .rejected_count
            .saturating_sub(report.rejected.len() as u64);
        if untold > 0 {
            writeln!(out, "… and {untold} more rejected rows")?;
        }
        out.flush()
    })();
    written.map_err(|e| Error::Command(format!("the report can't be written: {e}")))
}
