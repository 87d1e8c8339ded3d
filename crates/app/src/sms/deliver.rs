//! The background sender of the SMS outbox (ADR 0010): claims the messages that are due,
//! sends each through the `SmsGateway`, and records the gateway's answer. A message the gateway
//! could not take now is tried again with an exponential backoff while it is valid (a code's
//! message until the code expires); then it is given up. `vodokanal serve` runs it every
//! second; nothing a subscriber does waits for it.

use std::sync::Arc;

use chrono::TimeDelta;
use futures::future::join_all;
use vodokanal_domain::MobilePhone;

use crate::ports::{Clock, OutboxEntry, SmsError, SmsGateway, SmsOutbox, SmsOutcome};
use crate::{StoreError, metrics};

/// How the sender claims and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The most messages claimed (and sent at once) per run.
    pub batch: u32,
    /// How long a claim keeps a message from other claims: longer than the gateway's slowest
    /// answer (SMS.ru: 3 tries of 4 s and their pauses), so that a message is sent twice only
    /// when a process died while sending it.
    pub lease: TimeDelta,
    /// The pause after the first failed attempt, doubled after each next one.
    pub first_backoff: TimeDelta,
    /// The longest pause between two attempts.
    pub max_backoff: TimeDelta,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            batch: 20,
            lease: TimeDelta::seconds(60),
            first_backoff: TimeDelta::seconds(5),
            max_backoff: TimeDelta::minutes(5),
        }
    }
}

impl DeliveryPolicy {
    /// The pause after the `attempts`-th failed attempt (1-based).
    pub fn backoff(&self, attempts: u32) -> TimeDelta {
        let doublings = attempts.saturating_sub(1).min(20);
        let pause = self.first_backoff * (1_i32 << doublings);
        pause.min(self.max_backoff)
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    /// Pending messages given up because they expired before an attempt succeeded.
    pub expired: u64,
}

/// Delivers the outbox's due messages.
#[derive(Debug)]
pub struct DeliverSms {
    outbox: Arc<dyn SmsOutbox>,
    sms: Arc<dyn SmsGateway>,
    clock: Arc<dyn Clock>,
    policy: DeliveryPolicy,
}

impl DeliverSms {
    pub fn new(
        outbox: Arc<dyn SmsOutbox>,
        sms: Arc<dyn SmsGateway>,
        clock: Arc<dyn Clock>,
        policy: DeliveryPolicy,
    ) -> Self {
        Self {
            outbox,
            sms,
            clock,
            policy,
        }
    }

    /// Gives up what expired, then claims one batch of due messages and sends them at once.
    pub async fn execute(&self) -> Result<Delivered, StoreError> {
        let now = self.clock.now();
        let mut delivered = Delivered {
            expired: self.outbox.expire(now).await?,
            ..Delivered::default()
        };
        if delivered.expired > 0 {
            metrics::sms_expired(delivered.expired);
            tracing::warn!(
                messages = delivered.expired,
                "SMS expired before the gateway took them: the subscribers ask for a new code"
            );
        }
        let claimed = self
            .outbox
            .claim(now, now + self.policy.lease, self.policy.batch)
            .await?;
        let outcomes = join_all(claimed.iter().map(|entry| self.attempt(entry))).await;
        for (entry, outcome) in claimed.iter().zip(outcomes) {
            match &outcome {
                SmsOutcome::Sent { .. } => {
                    delivered.sent += 1;
                    metrics::sms_sent(entry.purpose);
                }
                SmsOutcome::Retry { .. } => {
                    delivered.retried += 1;
                    metrics::sms_retried(entry.purpose);
                }
                SmsOutcome::Failed { .. } => {
                    delivered.failed += 1;
                    metrics::sms_failed(entry.purpose);
                }
            }
            self.outbox.record(entry.id, &outcome).await?;
        }
        Ok(delivered)
    }

    /// Sends one claimed message and decides what becomes of it.
    async fn attempt(&self, entry: &OutboxEntry) -> SmsOutcome {
        let masked = entry.phone.masked();
        let Ok(phone) = MobilePhone::try_from(entry.phone.clone()) else {
            tracing::error!(id = entry.id, phone = %masked, "an SMS to a number that is not mobile is given up");
            return SmsOutcome::Failed {
                error: "not a mobile number".into(),
            };
        };
        let error = match self.sms.send(&phone, &entry.text, entry.client_ip).await {
            Ok(()) => {
                tracing::info!(id = entry.id, phone = %masked, purpose = entry.purpose.code(), attempt = entry.attempts, "SMS sent");
                return SmsOutcome::Sent {
                    at: self.clock.now(),
                };
            }
            Err(SmsError::InvalidNumber) => {
                tracing::info!(id = entry.id, phone = %masked, "the SMS gateway refuses the number: given up");
                return SmsOutcome::Failed {
                    error: SmsError::InvalidNumber.to_string(),
                };
            }
            Err(error) => error.to_string(),
        };
        let next = self.clock.now() + self.policy.backoff(entry.attempts);
        if next >= entry.expires_at {
            tracing::error!(id = entry.id, phone = %masked, attempt = entry.attempts, %error, "an SMS could not be sent before it expired: given up");
            SmsOutcome::Failed { error }
        } else {
            tracing::warn!(id = entry.id, phone = %masked, attempt = entry.attempts, %error, retry_at = %next, "an SMS could not be sent: tried again later");
            SmsOutcome::Retry { at: next, error }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockSmsGateway, MockSmsOutbox, SmsPurpose, SmsState};
    use crate::testing::down;
    use crate::testing::{self, logged, now};
    use mockall::predicate::eq;
    use vodokanal_domain::Phone;

    const TEXT: &str = "Код для восстановления пароля: 123456. Никому не сообщайте его.";

    fn entry(id: i64, attempts: u32, expires_in: i64) -> OutboxEntry {
        OutboxEntry {
            id,
            phone: testing::phone(),
            text: TEXT.into(),
            purpose: SmsPurpose::PasswordReset,
            client_ip: None,
            state: SmsState::Pending,
            attempts,
            created_at: now() - TimeDelta::seconds(10),
            next_attempt_at: now(),
            expires_at: now() + TimeDelta::seconds(expires_in),
            last_error: None,
            sent_at: None,
        }
    }

    fn outbox(claimed: Vec<OutboxEntry>, recorded: Vec<(i64, SmsOutcome)>) -> MockSmsOutbox {
        let mut outbox = MockSmsOutbox::new();
        outbox.expect_expire().with(eq(now())).return_const(Ok(0));
        outbox
            .expect_claim()
            .with(eq(now()), eq(now() + TimeDelta::seconds(60)), eq(20_u32))
            .times(1)
            .return_const(Ok(claimed));
        for (id, outcome) in recorded {
            outbox
                .expect_record()
                .with(eq(id), eq(outcome))
                .times(1)
                .return_const(Ok(()));
        }
        outbox
    }

    fn gateway(outcome: Result<(), SmsError>) -> MockSmsGateway {
        let mut sms = MockSmsGateway::new();
        sms.expect_send()
            .withf(|to, text, _| to.phone() == &testing::phone() && text == TEXT)
            .return_const(outcome);
        sms
    }

    fn deliver(outbox: MockSmsOutbox, sms: MockSmsGateway) -> DeliverSms {
        DeliverSms::new(
            Arc::new(outbox),
            Arc::new(sms),
            testing::clock(),
            DeliveryPolicy::default(),
        )
    }

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let policy = DeliveryPolicy::default();
        let pauses: Vec<i64> = (1..=9).map(|n| policy.backoff(n).num_seconds()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(policy.backoff(u32::MAX), TimeDelta::minutes(5));
    }

    #[tokio::test]
    async fn an_accepted_message_is_recorded_as_sent() {
        let outbox = outbox(
            vec![entry(7, 1, 600)],
            vec![(7, SmsOutcome::Sent { at: now() })],
        );
        let (delivered, log) = logged(deliver(outbox, gateway(Ok(()))).execute()).await;
        assert_eq!(
            delivered,
            Ok(Delivered {
                sent: 1,
                ..Delivered::default()
            })
        );
        assert!(
            !log.contains("123456") && !log.contains("9109845003"),
            "{log}"
        );
    }

    #[tokio::test]
    async fn a_gateway_down_is_retried_after_the_backoff_while_the_code_is_valid() {
        let outbox = outbox(
            vec![entry(7, 3, 600)],
            vec![(
                7,
                SmsOutcome::Retry {
                    at: now() + TimeDelta::seconds(20),
                    error: "the SMS gateway is unavailable: no money".into(),
                },
            )],
        );
        let sms = gateway(Err(SmsError::Unavailable("no money".into())));
        let (delivered, log) = logged(deliver(outbox, sms).execute()).await;
        assert_eq!(delivered.unwrap().retried, 1);
        assert!(
            log.contains("WARN") && log.contains("+7******5003"),
            "{log}"
        );
        assert!(!log.contains(TEXT) && !log.contains("9109845003"), "{log}");
    }

    #[tokio::test]
    async fn the_gateways_own_limit_is_retried_too() {
        let outbox = outbox(
            vec![entry(7, 1, 600)],
            vec![(
                7,
                SmsOutcome::Retry {
                    at: now() + TimeDelta::seconds(5),
                    error: SmsError::RateLimited.to_string(),
                },
            )],
        );
        let delivered = deliver(outbox, gateway(Err(SmsError::RateLimited)))
            .execute()
            .await;
        assert_eq!(delivered.unwrap().retried, 1);
    }

    #[tokio::test]
    async fn a_failure_whose_retry_would_come_after_the_expiry_gives_up() {
        let outbox = outbox(
            vec![entry(7, 3, 20)],
            vec![(
                7,
                SmsOutcome::Failed {
                    error: "the SMS gateway is unavailable: down".into(),
                },
            )],
        );
        let sms = gateway(Err(SmsError::Unavailable("down".into())));
        let (delivered, log) = logged(deliver(outbox, sms).execute()).await;
        assert_eq!(delivered.unwrap().failed, 1);
        assert!(log.contains("ERROR"), "{log}");
    }

    #[tokio::test]
    async fn a_refused_number_is_given_up_at_once() {
        let outbox = outbox(
            vec![entry(7, 1, 600)],
            vec![(
                7,
                SmsOutcome::Failed {
                    error: SmsError::InvalidNumber.to_string(),
                },
            )],
        );
        let delivered = deliver(outbox, gateway(Err(SmsError::InvalidNumber)))
            .execute()
            .await;
        assert_eq!(delivered.unwrap().failed, 1);
    }

    #[tokio::test]
    async fn a_number_that_is_not_mobile_is_given_up_without_a_send() {
        let landline = OutboxEntry {
            phone: "+74932930108".parse::<Phone>().unwrap(),
            ..entry(8, 1, 600)
        };
        let outbox = outbox(
            vec![landline],
            vec![(
                8,
                SmsOutcome::Failed {
                    error: "not a mobile number".into(),
                },
            )],
        );
        let delivered = deliver(outbox, MockSmsGateway::new()).execute().await;
        assert_eq!(delivered.unwrap().failed, 1);
    }

    #[tokio::test]
    async fn expired_messages_are_given_up_and_counted() {
        let mut outbox = MockSmsOutbox::new();
        outbox.expect_expire().return_const(Ok(2));
        outbox.expect_claim().return_const(Ok(Vec::new()));
        let (delivered, log) = logged(deliver(outbox, MockSmsGateway::new()).execute()).await;
        assert_eq!(
            delivered,
            Ok(Delivered {
                expired: 2,
                ..Delivered::default()
            })
        );
        assert!(log.contains("WARN"), "{log}");
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let down = down();
        let mut outbox = MockSmsOutbox::new();
        outbox.expect_expire().return_const(Err(down.clone()));
        assert_eq!(
            deliver(outbox, MockSmsGateway::new()).execute().await,
            Err(down)
        );
    }
}
