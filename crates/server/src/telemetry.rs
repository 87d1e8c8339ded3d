//! Logging: `tracing-subscriber` with the `VODOKANAL_LOG` filter, to standard error (standard
//! output carries the commands' own output, such as an export's CSV), as text for people or,
//! with `VODOKANAL_LOG_FORMAT=json`, as one JSON object a line for a log collector. Both
//! formats write the same fields: personal data is masked where it is logged, not here. A
//! command's progress bar stays below the lines ([`StderrBesideTheBar`]).
//! Installed by the binary only, once.

use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::progress::StderrBesideTheBar;

/// How a log line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-07T10:00:00.123456Z  INFO request route=… status=200 latency_ms=3`.
    Text,
    /// One object a line: `time` (RFC 3339, UTC), `level`, `target`, `message`, the event's
    /// fields and those of its spans (the request's `method` and `request_id`), all at the top.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected text or json, got {0:?}")]
pub struct UnknownLogFormat(String);

impl FromStr for LogFormat {
    type Err = UnknownLogFormat;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(UnknownLogFormat(other.to_owned())),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

/// Installs the subscriber. `filter` was checked by the configuration; an invalid one (which
/// can't happen) falls back to `info`. A second call (in tests) leaves the first in place.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(StderrBesideTheBar)
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .try_init()
            .is_ok(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(filter)
            .with(json_layer())
            .try_init()
            .is_ok(),
    };
    if installed {
        let _first = INSTALLED.set(format);
    }
}

static INSTALLED: OnceLock<LogFormat> = OnceLock::new();

/// The format of the log [`init`] installed, if it did.
pub fn installed() -> Option<LogFormat> {
    INSTALLED.get().copied()
}

/// The JSON lines. A span field and an event field of one name would be written twice: the
/// spans' fields (`method`, `request_id`, a provider call's `provider` and payment ids) are
/// named apart from the events'.
fn json_layer<S>() -> json_subscriber::JsonLayer<S, StderrBesideTheBar>
where
    S: tracing::Subscriber + for<'lookup> tracing_subscriber::registry::LookupSpan<'lookup>,
{
    let mut layer = json_subscriber::JsonLayer::new(StderrBesideTheBar);
    layer
        .with_timer("time", SystemTime)
        .with_level("level")
        .with_target("target")
        .with_flattened_event()
        .with_top_level_flattened_span_list();
    layer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_is_text_or_json() {
        assert_eq!("text".parse(), Ok(LogFormat::Text));
        assert_eq!(" json ".parse(), Ok(LogFormat::Json));
        assert_eq!(
            "xml".parse::<LogFormat>().unwrap_err().to_string(),
            "expected text or json, got \"xml\""
        );
    }
}
