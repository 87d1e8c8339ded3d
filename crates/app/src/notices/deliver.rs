//! The sender of the notices' deliveries, run by the same background loop as the SMS outbox
//! (ADR 0010, ADR 0014): claims the due deliveries with a lease, sends each by its channel,
//! records the answer. Push and SMS keep the quiet hours; a failure the channel may get over is
//! tried again with the SMS outbox's backoff.

use std::sync::Arc;

use futures::future::join_all;
use vodokanal_domain::{Channel, MobilePhone, NoticeKind, QuietHours, UtilityCalendar};

use super::links::LinkKey;
use crate::StoreError;
use crate::ports::{
    Clock, DeliveryEntry, DeliveryOutcome, Mail, MailError, MailSender, NoticeStore, PushError,
    PushMessage, PushSender, SmsError, SmsGateway,
};
use crate::sms::{Delivered, DeliveryPolicy};

/// Attempts after which a delivery that keeps failing is given up.
pub const MAX_ATTEMPTS: u32 = 12;

/// How long a verification link holds.
pub const EMAIL_LINK_HOURS: i64 = 24;

/// How long a push service keeps a message the device has not fetched: a day.
const PUSH_TTL_SECONDS: u32 = 24 * 60 * 60;

/// The channels' senders. Without a push sender (no VAPID key), push deliveries fail.
#[derive(Debug, Clone)]
pub struct Channels {
    pub mail: Arc<dyn MailSender>,
    pub push: Option<Arc<dyn PushSender>>,
    pub sms: Arc<dyn SmsGateway>,
}

/// What the links in a notice need.
#[derive(Debug, Clone)]
pub struct Links {
    /// The server's public base URL, without a trailing slash.
    pub public_url: String,
    pub key: LinkKey,
}

/// Delivers the notices' due deliveries.
#[derive(Debug)]
pub struct DeliverNotices {
    store: Arc<dyn NoticeStore>,
    channels: Channels,
    links: Links,
    clock: Arc<dyn Clock>,
    calendar: UtilityCalendar,
    quiet_hours: QuietHours,
    policy: DeliveryPolicy,
}

impl DeliverNotices {
    pub fn new(
        store: Arc<dyn NoticeStore>,
        channels: Channels,
        links: Links,
        clock: Arc<dyn Clock>,
        calendar: UtilityCalendar,
        quiet_hours: QuietHours,
        policy: DeliveryPolicy,
    ) -> Self {
        Self {
            store,
            channels,
            links,
            clock,
            calendar,
            quiet_hours,
            policy,
        }
    }

    /// Claims one batch of due deliveries and sends them at once.
    pub async fn execute(&self) -> Result<Delivered, StoreError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim(now, now + self.policy.lease, self.policy.batch)
            .await?;
        let outcomes = join_all(claimed.iter().map(|entry| self.attempt(entry))).await;
        let mut delivered = Delivered::default();
        for (entry, outcome) in claimed.iter().zip(outcomes) {
            match &outcome {
                DeliveryOutcome::Sent { .. } => delivered.sent += 1,
                DeliveryOutcome::Retry { .. } => delivered.retried += 1,
                DeliveryOutcome::Failed { .. } | DeliveryOutcome::SubscriptionGone => {
                    delivered.failed += 1;
                }
            }
            self.store.record(entry.id, &outcome).await?;
        }
        Ok(delivered)
    }

    async fn attempt(&self, entry: &DeliveryEntry) -> DeliveryOutcome {
        let now = self.clock.now();
        let allowed = self
            .quiet_hours
            .next_allowed(entry.channel, &self.calendar, now);
        if allowed > now {
            // Claimed as the quiet hours began: it waits for the morning, unsent.
            return DeliveryOutcome::Retry {
                at: allowed,
                error: "quiet hours".into(),
            };
        }
        let sent = match entry.channel {
            Channel::Email => self.email(entry).await,
            Channel::Push => self.push(entry).await,
            Channel::Sms => self.sms(entry).await,
        };
        let kind = entry.notice.kind.code();
        match sent {
            Ok(()) => {
                tracing::info!(
                    id = entry.id,
                    kind,
                    channel = entry.channel.code(),
                    "notice sent"
                );
                DeliveryOutcome::Sent {
                    at: self.clock.now(),
                }
            }
            Err(Failure::Gone) => {
                tracing::info!(id = entry.id, kind, "push subscription gone: dropped");
                DeliveryOutcome::SubscriptionGone
            }
            Err(Failure::Final(error)) => {
                tracing::warn!(id = entry.id, kind, channel = entry.channel.code(), %error, "notice given up");
                DeliveryOutcome::Failed { error }
            }
            Err(Failure::Passing(error)) if entry.attempts >= MAX_ATTEMPTS => {
                tracing::error!(id = entry.id, kind, channel = entry.channel.code(), attempt = entry.attempts, %error, "notice given up after its last attempt");
                DeliveryOutcome::Failed { error }
            }
            Err(Failure::Passing(error)) => {
                let later = self.clock.now() + self.policy.backoff(entry.attempts);
                let at = self
                    .quiet_hours
                    .next_allowed(entry.channel, &self.calendar, later);
                tracing::warn!(id = entry.id, kind, channel = entry.channel.code(), attempt = entry.attempts, %error, retry_at = %at, "notice not sent: tried again later");
                DeliveryOutcome::Retry { at, error }
            }
        }
    }

    async fn email(&self, entry: &DeliveryEntry) -> Result<(), Failure> {
        let notice = &entry.notice;
        let (link, unsubscribe) = if notice.kind == NoticeKind::EmailVerification {
            // The link verifies the address it was asked for, and only while it is the user's.
            if entry.email.as_str() != notice.subject {
                return Err(Failure::Final("the address changed".into()));
            }
            let expires = self.clock.now() + chrono::TimeDelta::hours(EMAIL_LINK_HOURS);
            let token = self
                .links
                .key
                .email_token(entry.user, &entry.email, expires);
            (
                format!("{}/#/email/verify?token={token}", self.links.public_url),
                None,
            )
        } else {
            if !entry.email_verified {
                return Err(Failure::Final("the address is not verified".into()));
            }
            let token = notice
                .kind
                .topic()
                .map(|topic| self.links.key.unsubscribe_token(entry.user, topic));
            (format!("{}{}", self.links.public_url, notice.url), token)
        };
        // The header's URL takes the mail client's one-click POST; the text's link opens the
        // web client's page, which asks first.
        let public = &self.links.public_url;
        let page = unsubscribe
            .as_ref()
            .map(|t| format!("{public}/#/unsubscribe?token={t}"));
        let mail = Mail {
            to: entry.email.clone(),
            subject: notice.title.clone(),
            text: text_body(&notice.body, &link, page.as_deref()),
            html: html_body(&notice.title, &notice.body, &link, page.as_deref()),
            unsubscribe: unsubscribe
                .map(|t| format!("{public}/api/v1/notices/unsubscribe?token={t}")),
            id: format!("notice-{}", entry.id),
        };
        self.channels.mail.send(&mail).await.map_err(|e| match e {
            MailError::Rejected(_) => Failure::Final(e.to_string()),
            MailError::Unavailable(_) => Failure::Passing(e.to_string()),
        })
    }

    async fn push(&self, entry: &DeliveryEntry) -> Result<(), Failure> {
        let Some(sender) = &self.channels.push else {
            return Err(Failure::Final("web push is not configured".into()));
        };
        let Some((_, subscription)) = &entry.push else {
            return Err(Failure::Final("the subscription was dropped".into()));
        };
        let message = PushMessage {
            title: entry.notice.title.clone(),
            body: entry.notice.body.clone(),
            url: entry.notice.url.clone(),
            topic: format!("n{}", entry.id),
            ttl_seconds: PUSH_TTL_SECONDS,
        };
        sender
            .send(subscription, &message)
            .await
            .map_err(|e| match e {
                PushError::Gone => Failure::Gone,
                PushError::Rejected(_) => Failure::Final(e.to_string()),
                PushError::Unavailable(_) => Failure::Passing(e.to_string()),
            })
    }

    async fn sms(&self, entry: &DeliveryEntry) -> Result<(), Failure> {
        let Ok(phone) = MobilePhone::try_from(entry.phone.clone()) else {
            return Err(Failure::Final("not a mobile number".into()));
        };
        let text = format!("{}. {}", entry.notice.title, entry.notice.body);
        self.channels
            .sms
            .send(&phone, &text, None)
            .await
            .map_err(|e| match e {
                SmsError::InvalidNumber => Failure::Final(e.to_string()),
                SmsError::RateLimited | SmsError::Unavailable(_) => Failure::Passing(e.to_string()),
            })
    }
}

/// Why a channel did not take a delivery.
enum Failure {
    /// Trying again would not help.
    Final(String),
    /// It may pass: try again later.
    Passing(String),
    /// The push subscription is gone.
    Gone,
}

fn text_body(body: &str, link: &str, unsubscribe: Option<&str>) -> String {
    let mut text = format!("{body}\n\n{link}\n");
    if let Some(unsubscribe) = unsubscribe {
        text.push_str("\nОтписаться от этих уведомлений: ");
        text.push_str(unsubscribe);
        text.push_str("\nВыбрать, какие уведомления получать: раздел «Уведомления» в профиле.\n");
    }
    text
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_body(title: &str, body: &str, link: &str, unsubscribe: Option<&str>) -> String {
    let (title, body, link) = (escape(title), escape(body), escape(link));
    let mut html = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         </head><body><h1>{title}</h1><p>{body}</p><p><a href=\"{link}\">{link}</a></p>"
    );
    if let Some(unsubscribe) = unsubscribe {
        html.push_str("<p><small><a href=\"");
        html.push_str(&escape(unsubscribe));
        html.push_str(
            "\">Отписаться от этих уведомлений</a>. Выбрать, какие уведомления получать: \
             раздел «Уведомления» в профиле.</small></p>",
        );
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::CodeKey;
    use crate::ports::{MockMailSender, MockNoticeStore, MockPushSender, MockSmsGateway};
    use crate::testing;
    use chrono::{DateTime, TimeDelta, Utc};
    use mockall::predicate::eq;
    use vodokanal_domain::{Notice, PushSubscription};

    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn noon() -> DateTime<Utc> {
        at("2026-12-15T09:00:00Z")
    }

    fn entry(channel: Channel, notice: Notice, attempts: u32) -> DeliveryEntry {
        DeliveryEntry {
            id: 41,
            user: testing::user().id,
            channel,
            notice,
            attempts,
            created_at: noon(),
            email: testing::email(),
            email_verified: true,
            phone: testing::phone(),
            push: Some((
                7,
                PushSubscription::new(
                    "https://push.example.net/a",
                    P256DH,
                    "BTBZMqHH6r4Tts7J_aSIgg",
                )
                .unwrap(),
            )),
        }
    }

    fn debt() -> Notice {
        Notice::debt_above_threshold(
            &testing::account_number(),
            vodokanal_domain::Balance::from_kopecks(450_000).unwrap(),
            "2026-12-01".parse().unwrap(),
        )
    }

    fn claimed(claimed: Vec<DeliveryEntry>, outcome: DeliveryOutcome) -> MockNoticeStore {
        let mut store = MockNoticeStore::new();
        store.expect_claim().times(1).return_const(Ok(claimed));
        store
            .expect_record()
            .with(eq(41), eq(outcome))
            .times(1)
            .return_const(Ok(()));
        store
    }

    fn deliver(
        store: MockNoticeStore,
        mail: MockMailSender,
        push: MockPushSender,
        sms: MockSmsGateway,
        now: DateTime<Utc>,
    ) -> DeliverNotices {
        DeliverNotices::new(
            Arc::new(store),
            Channels {
                mail: Arc::new(mail),
                push: Some(Arc::new(push)),
                sms: Arc::new(sms),
            },
            Links {
                public_url: "https://lk.example".into(),
                key: LinkKey::new(&CodeKey::insecure_default()),
            },
            testing::clock_at(now),
            UtilityCalendar::default(),
            QuietHours::default(),
            DeliveryPolicy::default(),
        )
    }

    #[tokio::test]
    async fn an_email_notice_carries_its_link_and_a_one_click_unsubscribe() {
        let mut mail = MockMailSender::new();
        mail.expect_send()
            .withf(|mail| {
                let unsubscribe = mail.unsubscribe.as_deref().unwrap_or_default();
                mail.to == testing::email()
                    && mail.subject == "Задолженность по лицевому счету"
                    && mail.id == "notice-41"
                    && unsubscribe
                        .starts_with("https://lk.example/api/v1/notices/unsubscribe?token=")
                    && mail.text.contains("https://lk.example/#/accounts/")
                    && mail
                        .text
                        .contains("https://lk.example/#/unsubscribe?token=")
                    && mail
                        .html
                        .contains("<h1>Задолженность по лицевому счету</h1>")
            })
            .times(1)
            .return_const(Ok(()));
        let store = claimed(
            vec![entry(Channel::Email, debt(), 1)],
            DeliveryOutcome::Sent { at: noon() },
        );
        let sent = deliver(
            store,
            mail,
            MockPushSender::new(),
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();
        assert_eq!(sent.sent, 1);
    }

    #[tokio::test]
    async fn a_verification_mail_carries_a_link_that_verifies_the_address() {
        let key = LinkKey::new(&CodeKey::insecure_default());
        let mut mail = MockMailSender::new();
        mail.expect_send()
            .withf(move |mail| {
                let Some(token) = mail
                    .text
                    .split("token=")
                    .nth(1)
                    .map(|t| t.split_whitespace().next().unwrap_or_default().to_owned())
                else {
                    return false;
                };
                mail.unsubscribe.is_none()
                    && key.email_token_holds(&token, testing::user().id, &testing::email(), noon())
            })
            .times(1)
            .return_const(Ok(()));
        let mut unverified = entry(
            Channel::Email,
            Notice::email_verification(&testing::email(), noon()),
            1,
        );
        unverified.email_verified = false;
        let store = claimed(vec![unverified], DeliveryOutcome::Sent { at: noon() });
        deliver(
            store,
            mail,
            MockPushSender::new(),
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn nothing_but_the_verification_goes_to_an_unverified_or_changed_address() {
        let mut unverified = entry(Channel::Email, debt(), 1);
        unverified.email_verified = false;
        let mut mail = MockMailSender::new();
        mail.expect_send().never();
        let store = claimed(
            vec![unverified],
            DeliveryOutcome::Failed {
                error: "the address is not verified".into(),
            },
        );
        deliver(
            store,
            mail,
            MockPushSender::new(),
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();

        let other: vodokanal_domain::Email = "old@example.com".parse().unwrap();
        let changed = entry(
            Channel::Email,
            Notice::email_verification(&other, noon()),
            1,
        );
        let mut mail = MockMailSender::new();
        mail.expect_send().never();
        let store = claimed(
            vec![changed],
            DeliveryOutcome::Failed {
                error: "the address changed".into(),
            },
        );
        deliver(
            store,
            mail,
            MockPushSender::new(),
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_push_claimed_at_night_waits_unsent_for_nine_in_the_morning() {
        let night = at("2026-12-15T19:00:00Z"); // 22:00 in Moscow
        let mut push = MockPushSender::new();
        push.expect_send().never();
        let store = claimed(
            vec![entry(Channel::Push, debt(), 1)],
            DeliveryOutcome::Retry {
                at: at("2026-12-16T06:00:00Z"),
                error: "quiet hours".into(),
            },
        );
        deliver(
            store,
            MockMailSender::new(),
            push,
            MockSmsGateway::new(),
            night,
        )
        .execute()
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_gone_subscription_is_dropped_and_a_passing_failure_retried() {
        let mut push = MockPushSender::new();
        push.expect_send()
            .withf(|_, message| message.topic == "n41" && message.url.starts_with("/#/accounts/"))
            .times(1)
            .return_const(Err(PushError::Gone));
        let store = claimed(
            vec![entry(Channel::Push, debt(), 1)],
            DeliveryOutcome::SubscriptionGone,
        );
        deliver(
            store,
            MockMailSender::new(),
            push,
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();

        let mut sms = MockSmsGateway::new();
        sms.expect_send()
            .withf(|_, text, _| text.starts_with("Задолженность по лицевому счету. Лицевой счет"))
            .times(1)
            .return_const(Err(SmsError::Unavailable("down".into())));
        let store = claimed(
            vec![entry(Channel::Sms, debt(), 2)],
            DeliveryOutcome::Retry {
                at: noon() + TimeDelta::seconds(10),
                error: "the SMS gateway is unavailable: down".into(),
            },
        );
        deliver(
            store,
            MockMailSender::new(),
            MockPushSender::new(),
            sms,
            noon(),
        )
        .execute()
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_delivery_is_given_up_after_its_last_attempt() {
        let mut mail = MockMailSender::new();
        mail.expect_send()
            .return_const(Err(MailError::Unavailable("timeout".into())));
        let store = claimed(
            vec![entry(Channel::Email, debt(), MAX_ATTEMPTS)],
            DeliveryOutcome::Failed {
                error: "the mail server is unavailable: timeout".into(),
            },
        );
        deliver(
            store,
            mail,
            MockPushSender::new(),
            MockSmsGateway::new(),
            noon(),
        )
        .execute()
        .await
        .unwrap();
    }

    #[test]
    fn the_html_body_escapes_what_it_quotes() {
        let html = html_body("<b>", "a & b", "https://x/?a=1&b=2", None);
        assert!(html.contains("<h1>&lt;b&gt;</h1>"));
        assert!(html.contains("a &amp; b"));
        assert!(html.contains("href=\"https://x/?a=1&amp;b=2\""));
    }
}
