//! [`JsonLines`]: an append-only file of JSON lines, the outbox of the log adapters (SMS,
//! mail) that the embedded defaults write instead of sending.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// A file opened once in append mode (created if missing) and held behind a mutex, so that
/// concurrent lines never interleave; each line is written whole and flushed before
/// [`JsonLines::append`] returns.
pub struct JsonLines {
    path: PathBuf,
    file: Mutex<File>,
}

impl fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonLines").field(&self.path).finish()
    }
}

impl JsonLines {
    /// Opens `path` now, so that a bad path is an error at start-up rather than at the first
    /// line.
    pub async fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` as one line of JSON.
    pub async fn append(&self, line: &impl Serialize) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(line)?;
        bytes.push(b'\n');
        let mut file = self.file.lock().await;
        file.write_all(&bytes).await?;
        file.flush().await
    }
}
