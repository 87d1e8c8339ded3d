//! The notices' settings (issue 17, docs/notices.md): the e-mail and web push channels, the
//! debt threshold, the push services' hosts, and the tests' clock.

use std::path::PathBuf;

use vodokanal_app::Settings;
use vodokanal_app::notices::PushHosts;
use vodokanal_domain::Balance;

use super::{ConfigError, list};
use crate::cli::NoticeArgs;
use crate::secret::Secret;

/// How e-mail is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailConfig {
    /// Each mail to the log, and appended to the outbox file when there is one.
    Log { outbox: Option<PathBuf> },
    /// Through an SMTP server (`VODOKANAL_SMTP_URL`), from `VODOKANAL_MAIL_FROM`.
    Smtp { url: Secret, from: String },
}

/// Web push, on when the operator gave a VAPID key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushConfig {
    pub private_key: Secret,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeConfig {
    pub mail: MailConfig,
    pub push: Option<PushConfig>,
    push_hosts: Option<PushHosts>,
    debt_threshold: Option<Balance>,
    /// A file that holds the tests' "now" (debug builds only).
    pub test_clock: Option<PathBuf>,
}

impl NoticeConfig {
    pub fn from_args(args: &NoticeArgs) -> Result<Self, ConfigError> {
        let mail = match args.smtp_url.as_deref().map(str::trim) {
            None | Some("") => MailConfig::Log {
                outbox: args.mail_outbox.clone(),
            },
            Some(url) => {
                let from = args.mail_from.as_deref().map(str::trim).unwrap_or_default();
                if from.is_empty() {
                    return Err(ConfigError::new(
                        "VODOKANAL_MAIL_FROM",
                        "required with VODOKANAL_SMTP_URL: the sender, e.g. \
                         \"Водоканал <noreply@vodokanal.example>\"",
                    ));
                }
                MailConfig::Smtp {
                    url: Secret::new(url.to_owned()),
                    from: from.to_owned(),
                }
            }
        };
        let push = match args.vapid_private_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) => {
                let subject = args
                    .vapid_subject
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or_default();
                if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                    return Err(ConfigError::new(
                        "VODOKANAL_VAPID_SUBJECT",
                        "required with VODOKANAL_VAPID_PRIVATE_KEY: a mailto: address or an \
                         https: URL the push services may contact",
                    ));
                }
                Some(PushConfig {
                    private_key: Secret::new(key.to_owned()),
                    subject: subject.to_owned(),
                })
            }
        };
        let push_hosts = args
            .push_hosts
            .as_deref()
            .map(|text| PushHosts::new(list(Some(text)).map(str::to_owned)));
        let debt_threshold = args
            .debt_threshold
            .as_deref()
            .map(|text| {
                text.parse::<Balance>()
                    .ok()
                    .filter(|b| b.kopecks() >= 0)
                    .ok_or_else(|| {
                        ConfigError::new(
                            "VODOKANAL_DEBT_THRESHOLD",
                            format!("expected roubles such as 3000 or 3000.50, got {text:?}"),
                        )
                    })
            })
            .transpose()?;
        let test_clock = args.test_clock.clone();
        if test_clock.is_some() && !cfg!(debug_assertions) {
            return Err(ConfigError::new(
                "VODOKANAL_TEST_CLOCK",
                "only a debug build (the tests') moves the clock",
            ));
        }
        Ok(Self {
            mail,
            push,
            push_hosts,
            debt_threshold,
            test_clock,
        })
    }

    pub fn apply_to(&self, settings: &mut Settings) {
        if let Some(hosts) = &self.push_hosts {
            settings.notices.push_hosts = hosts.clone();
        }
        if let Some(threshold) = self.debt_threshold {
            settings.notices.debt_threshold = Some(threshold);
        }
    }
}
