//! The registry benchmark's PostgreSQL side (`scripts/bench-registry.sh` runs it): the same
//! path as `vodokanal import-registry` and `vodokanal export readings`, with nothing else.
//!
//! ```text
//! DATABASE_URL=… pg_registry_bench migrate
//! DATABASE_URL=postgres://… pg_registry_bench import FILE
//! DATABASE_URL=postgres://… pg_registry_bench export YYYY-MM OUT
//! ```
//!
//! `migrate` brings the schema up to date (the store's `MIGRATOR`); `import` streams FILE through `CsvRegistrySource` into the `ImportRegistry` use case on
//! `PgRegistryStore`; `export` streams the readings of a period through the `ExportReadings`
//! use case on `PgReadingRepository` into a `CsvExportSink` writing OUT. Each prints what it
//! did to standard error.

use std::error::Error;
use std::sync::Arc;

use vodokanal_app::registry::{ExportReadings, ExportReadingsCommand, ImportRegistry};
use vodokanal_postgres::{PgReadingRepository, PgRegistryStore};
use vodokanal_registry_csv::{CsvExportSink, CsvRegistrySource};

const USAGE: &str = "usage: pg_registry_bench migrate | pg_registry_bench import FILE | pg_registry_bench export YYYY-MM OUT \
                     (the database: DATABASE_URL)";

/// As many connections as the server's default pool would lend the command; the use cases
/// use one at a time.
const MAX_CONNECTIONS: u32 = 4;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url =
        std::env::var("DATABASE_URL").map_err(|_| format!("DATABASE_URL is not set; {USAGE}"))?;
    // The server's runtime: `vodokanal` runs every command on a multi-thread runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&url, &args))
}

async fn run(url: &str, args: &[String]) -> Result<(), Box<dyn Error>> {
    let pool = vodokanal_postgres::connect(url, MAX_CONNECTIONS).await?;
    match args {
        [command] if command == "migrate" => Ok(vodokanal_postgres::migrate(&pool).await?),
        [command, file] if command == "import" => {
            let input = tokio::fs::File::open(file)
                .await
                .map_err(|e| format!("{file}: {e}"))?;
            let mut source = CsvRegistrySource::new(input);
            let report = ImportRegistry::new(Arc::new(PgRegistryStore::new(pool)))
                .execute(&mut source)
                .await?;
            eprintln!(
                "imported {file}: {} inserted, {} updated, {} rejected",
                report.inserted, report.updated, report.rejected_count
            );
            Ok(())
        }
        [command, period, out] if command == "export" => {
            let period = period.parse().map_err(|e| format!("{period}: {e}"))?;
            let output = tokio::fs::File::create(out)
                .await
                .map_err(|e| format!("{out}: {e}"))?;
            let mut sink = CsvExportSink::new(output);
            let rows = ExportReadings::new(Arc::new(PgReadingRepository::new(pool)))
                .execute(ExportReadingsCommand { period }, &mut sink)
                .await?;
            eprintln!("exported {rows} readings to {out}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
