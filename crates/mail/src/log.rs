//! [`LogMailSender`]: mail to the log, and to an outbox file when one is configured.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::SecondsFormat;
use serde::Serialize;
use tracing::{error, info};
use vodokanal_app::ports::{Clock, Mail, MailError, MailSender};
use vodokanal_system::JsonLines;

/// One line of the outbox:
/// `{"to", "subject", "text", "html", "unsubscribe", "id", "sent_at": "<RFC 3339>"}`.
#[derive(Serialize)]
struct OutboxLine<'a> {
    to: &'a str,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    unsubscribe: Option<&'a str>,
    id: &'a str,
    sent_at: String,
}

/// Sends nothing: logs each message with the address masked (`iv***@example.ru`) and its id,
/// without its subject or bodies, and, with an outbox, appends the whole message as one JSON
/// line to the file (created if missing). The file is opened once in append mode and held behind
/// a mutex, so concurrent messages never interleave; each line is written whole and flushed
/// before `send` returns. A failing write is `MailError::Unavailable`: whoever reads the outbox
/// would never see the message.
pub struct LogMailSender {
    outbox: Option<JsonLines>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for LogMailSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogMailSender")
            .field("outbox", &self.outbox.as_ref().map(JsonLines::path))
            .finish_non_exhaustive()
    }
}

impl LogMailSender {
    /// A sender that only logs.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            outbox: None,
            clock,
        }
    }

    /// A sender that logs and appends to the outbox file at `path`, opened (and created if
    /// missing) now, so that a bad path is an error at start-up rather than at the first mail.
    pub async fn with_outbox(path: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Ok(Self {
            outbox: Some(JsonLines::open(path).await?),
            clock,
        })
    }
}

#[async_trait]
impl MailSender for LogMailSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let masked = mail.to.masked();
        if let Some(outbox) = &self.outbox {
            let line = OutboxLine {
                to: mail.to.as_str(),
                subject: &mail.subject,
                text: &mail.text,
                html: &mail.html,
                unsubscribe: mail.unsubscribe.as_deref(),
                id: &mail.id,
                sent_at: self.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
            };
            let written = outbox.append(&line).await;
            if let Err(e) = written {
                error!(to = %masked, id = %mail.id, outbox = %outbox.path().display(), error = %e, "the mail outbox can't be written");
                return Err(MailError::Unavailable(format!(
                    "the outbox {} can't be written: {e}",
                    outbox.path().display()
                )));
            }
        }
        info!(to = %masked, id = %mail.id, "mail logged (not sent: no SMTP server configured)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vodokanal_test_support::fakes::FixedClock;

    fn mail(to: &str, id: &str, unsubscribe: Option<&str>) -> Mail {
        Mail {
            to: to.parse().unwrap(),
            subject: "Подтвердите адрес электронной почты".into(),
            text: "Перейдите по ссылке: https://lk.vodokanal.example/e/abc".into(),
            html: "<p>Перейдите по <a href=\"https://lk.vodokanal.example/e/abc\">ссылке</a></p>"
                .into(),
            unsubscribe: unsubscribe.map(str::to_owned),
            id: id.into(),
        }
    }

    #[tokio::test]
    async fn each_message_is_one_json_line_appended_to_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let sender = LogMailSender::with_outbox(&path, Arc::new(FixedClock::default()))
            .await
            .unwrap();

        sender
            .send(&mail("Ivan@Example.ru", "m-1", None))
            .await
            .unwrap();
        sender
            .send(&mail(
                "petr@example.ru",
                "m.2",
                Some("https://lk.vodokanal.example/u/xyz"),
            ))
            .await
            .unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "{\"earlier\":true}");
        let first: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            first,
            serde_json::json!({
                "to": "ivan@example.ru",
                "subject": "Подтвердите адрес электронной почты",
                "text": "Перейдите по ссылке: https://lk.vodokanal.example/e/abc",
                "html": "<p>Перейдите по <a href=\"https://lk.vodokanal.example/e/abc\">ссылке</a></p>",
                "unsubscribe": null,
                "id": "m-1",
                "sent_at": "2026-11-16T09:00:00Z",
            })
        );
        let second: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(second["to"], "petr@example.ru");
        assert_eq!(second["unsubscribe"], "https://lk.vodokanal.example/u/xyz");
        assert_eq!(second["id"], "m.2");
    }

    #[tokio::test]
    async fn concurrent_messages_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.jsonl");
        let sender = Arc::new(
            LogMailSender::with_outbox(&path, Arc::new(FixedClock::default()))
                .await
                .unwrap(),
        );
        let long = "ж".repeat(20_000);
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let sender = sender.clone();
                let mut mail = mail("ivan@example.ru", &format!("m-{i}"), None);
                mail.html.clone_from(&long);
                tokio::spawn(async move { sender.send(&mail).await.unwrap() })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 20);
        for line in text.lines() {
            let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                parsed["html"].as_str().map(|h| h.chars().count()),
                Some(20_000)
            );
        }
    }

    #[tokio::test]
    async fn without_an_outbox_a_message_is_only_logged() {
        let sender = LogMailSender::new(Arc::new(FixedClock::default()));
        sender
            .send(&mail("ivan@example.ru", "m-1", None))
            .await
            .unwrap();
        assert!(format!("{sender:?}").contains("outbox: None"));
    }

    #[tokio::test]
    async fn a_failing_write_is_unavailable() {
        // Linux's /dev/full opens, and every write to it fails with "no space left".
        let sender =
            LogMailSender::with_outbox(Path::new("/dev/full"), Arc::new(FixedClock::default()))
                .await
                .unwrap();
        let outcome = sender.send(&mail("ivan@example.ru", "m-1", None)).await;
        assert!(
            matches!(&outcome, Err(MailError::Unavailable(e)) if e.contains("/dev/full")),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_outbox_in_a_missing_folder_fails_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = LogMailSender::with_outbox(
            &dir.path().join("no/such/outbox"),
            Arc::new(FixedClock::default()),
        )
        .await;
        assert!(outcome.is_err());
    }
}
