//! [`Error`]: why the binary stops. Each is printed as one line, `error: …`, and the process
//! exits with 1.

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting can't be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database can't be reached or migrated. `url` is redacted.
    #[error("VODOKANAL_DATABASE_URL: the database {url} can't be used: {reason}")]
    Database { url: String, reason: String },
    /// A command failed (a file can't be read, the store failed mid-way, …).
    #[error("{0}")]
    Command(String),
}

impl Error {
    /// The message on one line.
    pub fn one_line(&self) -> String {
        self.to_string()
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
