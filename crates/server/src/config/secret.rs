//! The server secret (`VODOKANAL_SECRET`), which keys the digests of one-time codes. When it
//! is not given, one is generated once into a file, created 0600: beside the SQLite database
//! (`vodokanal.db.secret`), or in the working directory on PostgreSQL (`vodokanal.secret`),
//! with a WARN that every process on the database must share it. The next start reads it back.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use vodokanal_app::auth::secrets::CodeKey;
use vodokanal_app::ports::Random;

use super::ConfigError;
use crate::secret::{DatabaseUrl, Secret};

const SETTING: &str = "VODOKANAL_SECRET";

/// The file name in the working directory when the database is PostgreSQL.
pub const WORKING_DIRECTORY_FILE: &str = "vodokanal.secret";

/// `VODOKANAL_SECRET` as given: at least [`CodeKey::MIN_SECRET_LEN`] bytes.
pub fn given(text: &str) -> Result<Secret, ConfigError> {
    let text = text.trim();
    if text.len() < CodeKey::MIN_SECRET_LEN {
        return Err(ConfigError::new(
            SETTING,
            format!(
                "must be at least {} bytes long (got {}); e.g. 64 hex digits from \
                 `openssl rand -hex 32`",
                CodeKey::MIN_SECRET_LEN,
                text.len()
            ),
        ));
    }
    Ok(Secret::new(text))
}

/// The key of the codes: of the given secret, else of the secret in its file (generated with
/// `random` when the file does not exist yet).
pub fn code_key(
    given: Option<&Secret>,
    database: &DatabaseUrl,
    random: &dyn Random,
) -> Result<CodeKey, ConfigError> {
    let secret = match given {
        Some(secret) => secret.clone(),
        None => {
            if let Some(path) = secret_file(database) {
                if matches!(database, DatabaseUrl::Postgres(_)) {
                    tracing::warn!(
                        file = %path.display(),
                        "VODOKANAL_SECRET is not set: the secret is kept in a file of the working \
                         directory; every process serving this database must share one secret \
                         (set VODOKANAL_SECRET), or codes sent by one are refused by another"
                    );
                }
                load_or_create(&path, random)?
            } else {
                tracing::info!("an in-memory database: the secret lives as long as the process");
                Secret::new(hex(&random.token_bytes()))
            }
        }
    };
    CodeKey::from_secret(secret.expose().as_bytes()).map_err(|e| ConfigError::new(SETTING, e))
}

/// Where the secret is kept when not given: `FILE.secret` beside a SQLite file, the working
/// directory's [`WORKING_DIRECTORY_FILE`] on PostgreSQL, nowhere for an in-memory database.
pub fn secret_file(database: &DatabaseUrl) -> Option<PathBuf> {
    match database {
        DatabaseUrl::Sqlite(url) => vodokanal_sqlite::database_file(url).map(|file| {
            let mut name = file.into_os_string();
            name.push(".secret");
            PathBuf::from(name)
        }),
        DatabaseUrl::Postgres(_) => Some(PathBuf::from(WORKING_DIRECTORY_FILE)),
    }
}

/// Reads the secret of `path`, or creates the file with a new one: written and fsynced under
/// a temporary name (0600), then linked to `path`, which fails if another process got there
/// first (its secret is then read), so that a reader never sees a half-written file.
pub fn load_or_create(path: &Path, random: &dyn Random) -> Result<Secret, ConfigError> {
    match read(path) {
        Ok(secret) => return Ok(secret),
        Err(ReadError::Missing) => {}
        Err(ReadError::Other(message)) => return Err(ConfigError::new(SETTING, message)),
    }
    let failed = |e: std::io::Error| {
        ConfigError::new(
            SETTING,
            format!(
                "not set, and the file {} can't be created for a new one: {e}",
                path.display()
            ),
        )
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", hex(&random.token_bytes()[..8])));
    let temporary = PathBuf::from(temporary);
    let text = hex(&random.token_bytes());
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::hard_link(&temporary, path)
    })();
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            sync_parent(path);
            tracing::info!(
                file = %path.display(),
                "VODOKANAL_SECRET is not set: a new secret was generated into a file; keep it \
                 with the database (a new secret makes the codes already sent useless)"
            );
            Ok(Secret::new(text))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            read(path).map_err(|e| ConfigError::new(SETTING, e.message(path)))
        }
        Err(e) => Err(failed(e)),
    }
}

enum ReadError {
    Missing,
    Other(String),
}

impl ReadError {
    fn message(self, path: &Path) -> String {
        match self {
            Self::Missing => format!("the file {} disappeared", path.display()),
            Self::Other(message) => message,
        }
    }
}

fn read(path: &Path) -> Result<Secret, ReadError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => {
            return Err(ReadError::Other(format!(
                "not set, and the file {} can't be read: {e}",
                path.display()
            )));
        }
    };
    let secret = text.trim();
    if secret.len() < CodeKey::MIN_SECRET_LEN {
        return Err(ReadError::Other(format!(
            "not set, and the file {} holds a secret shorter than {} bytes",
            path.display(),
            CodeKey::MIN_SECRET_LEN
        )));
    }
    if let Ok(metadata) = fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "the secret's file can be read by other users of the machine: chmod 600 it"
        );
    }
    Ok(Secret::new(secret))
}

/// Makes the new directory entry durable; a failure only weakens that, so it is not fatal.
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(directory) = fs::File::open(parent) {
        let _ = directory.sync_all();
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

#[cfg(test)]
mod tests {
    use vodokanal_system::OsRandom;

    use super::*;

    fn sqlite(dir: &Path) -> DatabaseUrl {
        DatabaseUrl::Sqlite(format!("sqlite://{}", dir.join("vodokanal.db").display()))
    }

    #[test]
    fn a_given_secret_shorter_than_32_bytes_is_refused_naming_the_setting() {
        let error = given("0123456789abcdef0123456789abcde").unwrap_err();
        assert_eq!(error.setting, "VODOKANAL_SECRET");
        assert!(error.message.contains("at least 32 bytes"), "{error}");
        let secret = given(" 0123456789abcdef0123456789abcdef ").unwrap();
        assert_eq!(secret.expose(), "0123456789abcdef0123456789abcdef");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn without_a_secret_one_is_generated_once_into_a_0600_file_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let database = sqlite(dir.path());
        let path = dir.path().join("vodokanal.db.secret");
        assert_eq!(secret_file(&database), Some(path.clone()));

        let first = code_key(None, &database, &OsRandom).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64, "32 random bytes in hex");
        // Nothing else is left in the directory (the temporary file is gone).
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        // The next start reads it back: the same key, so codes already sent still confirm.
        assert_eq!(code_key(None, &database, &OsRandom).unwrap(), first);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        // It is the key of the file's text, as if given in VODOKANAL_SECRET.
        let given = given(&text).unwrap();
        assert_eq!(code_key(Some(&given), &database, &OsRandom).unwrap(), first);
    }

    #[test]
    fn a_given_secret_wins_over_the_file_and_differs_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let database = sqlite(dir.path());
        let given = given("a-secret-of-the-operator-32-bytes-long").unwrap();
        let key = code_key(Some(&given), &database, &OsRandom).unwrap();
        assert!(!dir.path().join("vodokanal.db.secret").exists());
        assert_ne!(key, code_key(None, &database, &OsRandom).unwrap());
        assert_ne!(key, CodeKey::insecure_default());
    }

    #[test]
    fn a_file_with_a_short_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vodokanal.db.secret");
        fs::write(&path, "short\n").unwrap();
        let error = code_key(None, &sqlite(dir.path()), &OsRandom).unwrap_err();
        assert_eq!(error.setting, "VODOKANAL_SECRET");
        assert!(error.message.contains("shorter than 32 bytes"), "{error}");
    }

    #[test]
    fn on_postgres_the_file_is_in_the_working_directory_and_in_memory_nowhere() {
        let postgres = DatabaseUrl::Postgres(Secret::new("postgres://db/vodokanal"));
        assert_eq!(
            secret_file(&postgres),
            Some(PathBuf::from("vodokanal.secret"))
        );
        let memory = DatabaseUrl::Sqlite("sqlite::memory:".into());
        assert_eq!(secret_file(&memory), None);
        assert_ne!(
            code_key(None, &memory, &OsRandom).unwrap(),
            code_key(None, &memory, &OsRandom).unwrap()
        );
        assert_eq!(
            secret_file(&DatabaseUrl::Sqlite("sqlite://data/v.db?mode=rwc".into())),
            Some(PathBuf::from("data/v.db.secret"))
        );
    }
}
