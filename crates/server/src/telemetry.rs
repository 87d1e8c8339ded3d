//! Logging: `tracing-subscriber` with the `VODOKANAL_LOG` filter, to standard error (standard
//! output carries the commands' own output, such as an export's CSV). Installed by the binary
//! only, once.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the subscriber. `filter` was checked by the configuration; an invalid one (which
/// can't happen) falls back to `info`. A second call (in tests) leaves the first in place.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
