//! The databases a journey runs on: a SQLite file in the test's folder, or a fresh PostgreSQL
//! database created on the server at `DATABASE_URL` and dropped when the test ends.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};

/// Where the server keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temporary folder.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `DATABASE_URL`.
    Postgres,
}

/// The server the PostgreSQL databases are created on, as `.cargo/config.toml` sets it.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long connecting to PostgreSQL may take before the test fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database of its own on the PostgreSQL server, dropped (`WITH (FORCE)`) on drop.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// Creates a uniquely named database on the server of `DATABASE_URL`; fails the test with
    /// a clear message when that server can't be reached.
    pub async fn create() -> Self {
        let admin_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let name = unique_name();
        let mut connection = connect(&admin_url).await;
        if !SWEPT.swap(true, Ordering::Relaxed) && is_local(&admin_url) {
            drop_orphans(&mut connection).await;
        }
        connection
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap_or_else(|error| panic!("CREATE DATABASE {name} failed: {error}"));
        let _ = connection.close().await;
        let url = with_database(&admin_url, &name);
        Self {
            admin_url,
            name,
            url,
        }
    }

    /// The URL of this database, for `VODOKANAL_DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    /// Drops the database on a thread of its own (with its own runtime), so that it works
    /// from inside the test's runtime and while a failed test unwinds.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let mut connection =
                    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&admin_url))
                        .await
                        .map_err(|_| "connecting timed out".to_owned())?
                        .map_err(|error| error.to_string())?;
                connection
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await
                    .map_err(|error| error.to_string())?;
                let _ = connection.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("the test database {} was not dropped: {error}", self.name);
        }
    }
}

async fn connect(url: &str) -> PgConnection {
    let unreachable = |error: &dyn std::fmt::Display| -> ! {
        panic!(
            "PostgreSQL at {} is unreachable: {error}. The PostgreSQL journeys need it: start \
             it (`.ci/run` does) or point DATABASE_URL at one.",
            redacted(url)
        )
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => unreachable(&error),
        Err(_) => unreachable(&"no answer within 10 s"),
    }
}

/// Whether this process has dropped the orphaned journey databases yet.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// The prefix of every journey database's name.
const PREFIX: &str = "vodokanal_e2e_";

/// Whether the server runs on this machine, so that a database name's process id is one of
/// this machine's.
fn is_local(url: &str) -> bool {
    let authority_start = url.find("://").map_or(0, |at| at + 3);
    let authority = &url[authority_start..];
    let host = authority
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|local| host == *local || host.starts_with(&format!("{local}:")))
}

/// The process id in a journey database's name, if it is one.
fn owner_pid(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
}

/// Drops the journey databases left by test processes that no longer run (killed before their
/// databases' `Drop`), once per process. Best effort: a failure only leaves them.
async fn drop_orphans(connection: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
    )
    .bind(PREFIX)
    .fetch_all(&mut *connection)
    .await
    else {
        return;
    };
    for name in names {
        let orphaned = owner_pid(&name)
            .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
        if orphaned {
            let _ = connection
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// `vodokanal_e2e_<pid>_<time>_<n>`: unique across the test processes that run at once.
fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{PREFIX}{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with its database (the path) replaced by `name`, the query kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |at| at + 3);
    let rest = &url[authority_start..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!(
                "{}{}:***{}",
                &url[..authority_start],
                &rest[..colon],
                &rest[at..]
            )
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@db/postgres?sslmode=disable", "x"),
            "postgres://u:p@db/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://db:5432", "x"),
            "postgres://db:5432/x"
        );
    }

    #[test]
    fn only_a_server_on_this_machine_is_local() {
        assert!(is_local("postgres://postgres@127.0.0.1:5432/postgres"));
        assert!(is_local("postgres://u:p@localhost/postgres"));
        assert!(!is_local("postgres://postgres@db.example:5432/postgres"));
        assert!(!is_local("postgres://postgres@127.0.0.10/postgres"));
    }

    #[test]
    fn the_owner_of_a_journey_database_is_in_its_name() {
        assert_eq!(owner_pid(&unique_name()), Some(std::process::id()));
        assert_eq!(owner_pid("vodokanal_e2e_x_1_2"), None);
        assert_eq!(owner_pid("postgres"), None);
    }

    #[tokio::test]
    async fn a_dead_process_s_database_is_dropped_and_a_live_one_s_kept() {
        let admin_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let orphan = format!("{PREFIX}{dead}_0_0");
        let live = PgDatabase::create().await;
        let mut connection = connect(&admin_url).await;
        connection
            .execute(format!("CREATE DATABASE \"{orphan}\"").as_str())
            .await
            .unwrap();

        drop_orphans(&mut connection).await;

        let left: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname = $1 OR datname = $2",
        )
        .bind(&orphan)
        .bind(live.name())
        .fetch_all(&mut connection)
        .await
        .unwrap();
        assert_eq!(left, [live.name().to_owned()]);
    }

    #[test]
    fn a_password_is_not_shown() {
        assert_eq!(
            redacted("postgres://u:secret@db/x"),
            "postgres://u:***@db/x"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
    }
}
