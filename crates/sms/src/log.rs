//! [`LogSmsGateway`]: messages to the log, and to an outbox file when one is configured.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::SecondsFormat;
use serde::Serialize;
use tracing::{error, info};
use vodokanal_app::ports::{Clock, SmsError, SmsGateway};
use vodokanal_domain::MobilePhone;
use vodokanal_system::JsonLines;

/// One line of the outbox: `{"to": "+79109845003", "text": "...", "sent_at": "<RFC 3339>"}`.
#[derive(Serialize)]
struct OutboxLine<'a> {
    to: &'a str,
    text: &'a str,
    sent_at: String,
}

/// Sends nothing: logs each message with the phone masked (`+7******5003`) and without its
/// text, and, with an outbox, appends `{"to", "text", "sent_at"}` as one JSON line to the file
/// (created if missing). The file is opened once in append mode and held behind a mutex, so
/// concurrent messages never interleave; each line is written whole and flushed before `send`
/// returns. A failing write is `SmsError::Unavailable`: whoever reads the outbox would never
/// see the code.
pub struct LogSmsGateway {
    outbox: Option<JsonLines>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for LogSmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSmsGateway")
            .field("outbox", &self.outbox.as_ref().map(JsonLines::path))
            .finish_non_exhaustive()
    }
}

impl LogSmsGateway {
    /// A gateway that only logs.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            outbox: None,
            clock,
        }
    }

    /// A gateway that logs and appends to the outbox file at `path`, opened (and created if
    /// missing) now, so that a bad path is an error at start-up rather than at the first SMS.
    pub async fn with_outbox(path: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Ok(Self {
            outbox: Some(JsonLines::open(path).await?),
            clock,
        })
    }
}

#[async_trait]
impl SmsGateway for LogSmsGateway {
    async fn send(
        &self,
        to: &MobilePhone,
        text: &str,
        _client_ip: Option<IpAddr>,
    ) -> Result<(), SmsError> {
        let phone = to.phone();
        let masked = phone.masked();
        if let Some(outbox) = &self.outbox {
            let line = OutboxLine {
                to: phone.as_str(),
                text,
                sent_at: self.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
            };
            let written = outbox.append(&line).await;
            if let Err(e) = written {
                error!(to = %masked, outbox = %outbox.path().display(), error = %e, "the SMS outbox can't be written");
                return Err(SmsError::Unavailable(format!(
                    "the outbox {} can't be written: {e}",
                    outbox.path().display()
                )));
            }
        }
        info!(to = %masked, chars = text.chars().count(), "SMS logged (not sent: VODOKANAL_SMS=log)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vodokanal_test_support::fakes::FixedClock;

    fn phone(text: &str) -> MobilePhone {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn each_message_is_one_json_line_appended_to_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let gateway = LogSmsGateway::with_outbox(&path, Arc::new(FixedClock::default()))
            .await
            .unwrap();

        gateway
            .send(&phone("89109845003"), "Код: 123456", None)
            .await
            .unwrap();
        gateway
            .send(&phone("+7 910 111-22-33"), "Код: \"654321\"", None)
            .await
            .unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "{\"earlier\":true}");
        let first: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            first,
            serde_json::json!({"to": "+79109845003", "text": "Код: 123456", "sent_at": "2026-11-16T09:00:00Z"})
        );
        let second: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(second["to"], "+79101112233");
        assert_eq!(second["text"], "Код: \"654321\"");
    }

    #[tokio::test]
    async fn concurrent_messages_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        let gateway = Arc::new(
            LogSmsGateway::with_outbox(&path, Arc::new(FixedClock::default()))
                .await
                .unwrap(),
        );
        let long = "x".repeat(20_000);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let gateway = gateway.clone();
                let long = long.clone();
                tokio::spawn(async move {
                    gateway
                        .send(&phone("+79109845003"), &long, None)
                        .await
                        .unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 20);
        for line in text.lines() {
            let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(parsed["text"].as_str().map(str::len), Some(20_000));
        }
    }

    #[tokio::test]
    async fn without_an_outbox_a_message_is_only_logged() {
        let gateway = LogSmsGateway::new(Arc::new(FixedClock::default()));
        gateway
            .send(&phone("+79109845003"), "Код: 123456", None)
            .await
            .unwrap();
        assert!(format!("{gateway:?}").contains("outbox: None"));
    }

    #[tokio::test]
    async fn an_outbox_in_a_missing_folder_fails_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = LogSmsGateway::with_outbox(
            &dir.path().join("no/such/outbox"),
            Arc::new(FixedClock::default()),
        )
        .await;
        assert!(outcome.is_err());
    }
}
