//! Housekeeping: the hourly purge of what can no longer be used (expired sessions and codes,
//! idempotency records past their key's lifetime, attempts outside every limit's window, SMS
//! outbox messages a day after their validity ended, notices and finished deliveries after 400
//! days).
//! `vodokanal serve` runs it; nothing a subscriber does waits for it.

use std::sync::Arc;

use chrono::TimeDelta;

use crate::StoreError;
use crate::idempotency::KEY_LIFETIME;
use crate::ports::{Clock, Housekeeping, PurgeCutoffs, Purged};
use crate::settings::Settings;

/// How long an SMS outbox message is kept after its validity ended (sent, failed or expired),
/// for the operator to see what became of it.
pub const OUTBOX_KEPT: TimeDelta = TimeDelta::hours(24);

/// How long a notice and its sent or failed deliveries are kept. The notice is its key (the same
/// kind, subject and period is not planned again while it is kept): over a year, longer than
/// any plan looks back.
pub const NOTICES_KEPT: TimeDelta = TimeDelta::days(400);

/// Deletes the expired records of the store, as of the clock's now.
#[derive(Debug)]
pub struct PurgeExpired {
    store: Arc<dyn Housekeeping>,
    clock: Arc<dyn Clock>,
    attempts_window: TimeDelta,
}

impl PurgeExpired {
    pub fn new(store: Arc<dyn Housekeeping>, clock: Arc<dyn Clock>, settings: &Settings) -> Self {
        Self {
            store,
            clock,
            attempts_window: settings.limits.longest_window(),
        }
    }

    /// The cutoffs as of `now`: a record is purged only once no rule can read it any more.
    fn cutoffs(&self) -> PurgeCutoffs {
        let now = self.clock.now();
        PurgeCutoffs {
            expired_before: now,
            idempotency_before: now - KEY_LIFETIME,
            attempts_before: now - self.attempts_window,
            outbox_before: now - OUTBOX_KEPT,
            notices_before: now - NOTICES_KEPT,
        }
    }

    pub async fn execute(&self) -> Result<Purged, StoreError> {
        let purged = self.store.purge_expired(self.cutoffs()).await?;
        tracing::info!(
            sessions = purged.sessions,
            codes = purged.codes,
            idempotency_records = purged.idempotency_records,
            attempts = purged.attempts,
            sms_outbox = purged.outbox,
            notice_deliveries = purged.notice_deliveries,
            notices = purged.notices,
            "expired records purged"
        );
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockHousekeeping;
    use crate::testing;
    use crate::testing::down;

    fn purge(outcome: Result<Purged, StoreError>) -> PurgeExpired {
        let mut store = MockHousekeeping::new();
        store
            .expect_purge_expired()
            .withf(|cutoffs| {
                *cutoffs
                    == PurgeCutoffs {
                        expired_before: testing::now(),
                        idempotency_before: testing::now() - TimeDelta::hours(24),
                        // The longest default window: 5 codes per phone a day.
                        attempts_before: testing::now() - TimeDelta::hours(24),
                        outbox_before: testing::now() - TimeDelta::hours(24),
                        notices_before: testing::now() - TimeDelta::days(400),
                    }
            })
            .times(1)
            .return_const(outcome);
        PurgeExpired::new(Arc::new(store), testing::clock(), &Settings::default())
    }

    #[tokio::test]
    async fn the_cutoffs_are_now_the_key_lifetime_and_the_longest_window() {
        let purged = Purged {
            sessions: 1,
            codes: 2,
            idempotency_records: 3,
            attempts: 4,
            outbox: 5,
            notice_deliveries: 6,
            notices: 7,
        };
        assert_eq!(purge(Ok(purged)).execute().await, Ok(purged));
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let down = down();
        assert_eq!(purge(Err(down.clone())).execute().await, Err(down));
    }

    #[test]
    fn the_longest_window_follows_the_settings() {
        let mut settings = Settings::default();
        settings.limits.sms_budget.window = TimeDelta::days(3);
        assert_eq!(settings.limits.longest_window(), TimeDelta::days(3));
    }
}
