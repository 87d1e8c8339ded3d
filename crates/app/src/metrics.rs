//! The metrics the use cases emit (ADR 0015), in one place: every name as a `pub const`, one
//! small function per event, and [`ObserveOperations`], the values read from the store when
//! `/metrics` is scraped (so that every process shows what the database holds: the SMS budget
//! left, the oldest pending payment).
//!
//! Emitted through the `metrics` facade: without a recorder installed (the binary installs one
//! only with `VODOKANAL_METRICS_LISTEN`) every call is a no-op. Labels take bounded values
//! only: a purpose, a provider's name, a status, a window; never a phone, an account or an id.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use metrics::{counter, describe_counter, describe_gauge, gauge};
use vodokanal_domain::PaymentStatus;

use crate::StoreError;
use crate::payments::ReconciliationReport;
use crate::ports::{AttemptCounter, Limit, PaymentRepository, SmsPurpose};
use crate::settings::Limits;
use crate::sms::budget::BUDGET_KEY;

/// SMS the gateway accepted, by `purpose`.
pub const SMS_SENT: &str = "vodokanal_sms_sent_total";
/// SMS given up after the gateway's answer (a refused number, or no success before expiry),
/// by `purpose`.
pub const SMS_FAILED: &str = "vodokanal_sms_failed_total";
/// SMS attempts the gateway could not take now, tried again later, by `purpose`.
pub const SMS_RETRIED: &str = "vodokanal_sms_retried_total";
/// SMS that expired in the outbox before any attempt succeeded.
pub const SMS_EXPIRED: &str = "vodokanal_sms_expired_total";
/// SMS that may still be queued in the current window, by `window` (`hour`, `day`).
pub const SMS_BUDGET_REMAINING: &str = "vodokanal_sms_budget_remaining";
/// The size of the SMS budget, by `window`.
pub const SMS_BUDGET: &str = "vodokanal_sms_budget";
/// Payments created (recorded pending before the provider is asked), by `provider`.
pub const PAYMENTS_CREATED: &str = "vodokanal_payments_created_total";
/// Payments that left `pending`, by `provider` and `status` (`succeeded`, `canceled`).
pub const PAYMENTS_SETTLED: &str = "vodokanal_payments_settled_total";
/// The age of the oldest pending payment in seconds; 0 when none is pending.
pub const PAYMENTS_PENDING_OLDEST: &str = "vodokanal_payments_pending_oldest_age_seconds";
/// Reconciliation runs, by `outcome` (`ok`, `failed`: the pending payments could not be read).
pub const RECONCILE_RUNS: &str = "vodokanal_reconcile_runs_total";
/// Payments a reconciliation run checked, by the `status` they ended in (`succeeded`,
/// `canceled`, `pending`, or `failed`: could not be settled this run).
pub const RECONCILE_PAYMENTS: &str = "vodokanal_reconcile_payments_total";
/// Whether the last scrape could read the store's values (1) or not (0: the gauges read from
/// the store keep their previous values).
pub const OBSERVED: &str = "vodokanal_store_observed";

/// Describes every metric of this module to the installed recorder (the `# HELP` lines).
pub fn describe() {
    describe_counter!(SMS_SENT, "SMS the gateway accepted, by purpose.");
    describe_counter!(
        SMS_FAILED,
        "SMS given up after the gateway's answer, by purpose."
    );
    describe_counter!(SMS_RETRIED, "SMS attempts to be tried again, by purpose.");
    describe_counter!(
        SMS_EXPIRED,
        "SMS that expired before the gateway took them."
    );
    describe_gauge!(
        SMS_BUDGET_REMAINING,
        "SMS that may still be queued in the current window."
    );
    describe_gauge!(SMS_BUDGET, "The SMS budget of the window.");
    describe_counter!(PAYMENTS_CREATED, "Payments created, by provider.");
    describe_counter!(
        PAYMENTS_SETTLED,
        "Payments that left pending, by provider and status."
    );
    describe_gauge!(
        PAYMENTS_PENDING_OLDEST,
        "Age of the oldest pending payment in seconds (0: none)."
    );
    describe_counter!(RECONCILE_RUNS, "Reconciliation runs, by outcome.");
    describe_counter!(
        RECONCILE_PAYMENTS,
        "Payments checked by reconciliation, by the status they ended in."
    );
    describe_gauge!(
        OBSERVED,
        "1 when the last scrape read the store's values, 0 when it could not."
    );
}

/// The gateway took an SMS.
pub fn sms_sent(purpose: SmsPurpose) {
    counter!(SMS_SENT, "purpose" => purpose.code()).increment(1);
}

/// An SMS was given up after an attempt.
pub fn sms_failed(purpose: SmsPurpose) {
    counter!(SMS_FAILED, "purpose" => purpose.code()).increment(1);
}

/// An SMS attempt failed and is tried again later.
pub fn sms_retried(purpose: SmsPurpose) {
    counter!(SMS_RETRIED, "purpose" => purpose.code()).increment(1);
}

/// `count` SMS expired before an attempt succeeded.
pub fn sms_expired(count: u64) {
    counter!(SMS_EXPIRED).increment(count);
}

/// A payment was created with `provider`.
pub fn payment_created(provider: &str) {
    counter!(PAYMENTS_CREATED, "provider" => provider.to_owned()).increment(1);
}

/// A payment of `provider` left `pending` for `status`.
pub fn payment_settled(provider: &str, status: PaymentStatus) {
    counter!(PAYMENTS_SETTLED, "provider" => provider.to_owned(), "status" => status.code())
        .increment(1);
}

/// A reconciliation run ended: with its report, or `None` when it failed.
pub fn reconciled(report: Option<&ReconciliationReport>) {
    let Some(report) = report else {
        counter!(RECONCILE_RUNS, "outcome" => "failed").increment(1);
        return;
    };
    counter!(RECONCILE_RUNS, "outcome" => "ok").increment(1);
    for (status, count) in [
        ("succeeded", report.succeeded),
        ("canceled", report.canceled),
        ("pending", report.still_pending),
        ("failed", report.failed),
    ] {
        counter!(RECONCILE_PAYMENTS, "status" => status).increment(count);
    }
}

/// One SMS budget as the store counts it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLeft {
    /// `hour` or `day`.
    pub window: &'static str,
    pub max: u32,
    /// SMS counted within the window.
    pub used: u32,
}

impl BudgetLeft {
    /// What may still be queued (never below 0).
    pub fn remaining(&self) -> u32 {
        self.max.saturating_sub(self.used)
    }
}

/// What the store holds now, for the gauges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    /// The hourly and the daily budget.
    pub sms_budgets: [BudgetLeft; 2],
    /// How long the oldest pending payment has been pending; `None` when none is.
    pub oldest_pending: Option<TimeDelta>,
}

impl Operations {
    /// Sets the gauges to these values.
    pub fn record(&self) {
        for budget in &self.sms_budgets {
            gauge!(SMS_BUDGET, "window" => budget.window).set(budget.max);
            gauge!(SMS_BUDGET_REMAINING, "window" => budget.window).set(budget.remaining());
        }
        let age = self
            .oldest_pending
            .and_then(|age| age.to_std().ok())
            .unwrap_or_default();
        gauge!(PAYMENTS_PENDING_OLDEST).set(age.as_secs_f64());
    }
}

/// Reads what the gauges show from the store: the SMS counted in each budget's window (two
/// counts on `attempts`) and the oldest pending payment (one row). Cheap enough for every
/// scrape.
#[derive(Debug)]
pub struct ObserveOperations {
    attempts: Arc<dyn AttemptCounter>,
    payments: Arc<dyn PaymentRepository>,
    hourly: Limit,
    daily: Limit,
}

impl ObserveOperations {
    pub fn new(
        attempts: Arc<dyn AttemptCounter>,
        payments: Arc<dyn PaymentRepository>,
        limits: &Limits,
    ) -> Self {
        Self {
            attempts,
            payments,
            hourly: limits.sms_budget,
            daily: limits.sms_daily_budget,
        }
    }

    pub async fn execute(&self, now: DateTime<Utc>) -> Result<Operations, StoreError> {
        let sms_budgets = [
            self.budget_left("hour", self.hourly, now).await?,
            self.budget_left("day", self.daily, now).await?,
        ];
        let oldest = self
            .payments
            .pending_created_before(now, None, 1)
            .await?
            .first()
            .map(|payment| now - payment.created_at);
        Ok(Operations {
            sms_budgets,
            oldest_pending: oldest,
        })
    }

    async fn budget_left(
        &self,
        window: &'static str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<BudgetLeft, StoreError> {
        Ok(BudgetLeft {
            window,
            max: limit.max,
            used: self.attempts.count(BUDGET_KEY, limit.window, now).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockPaymentRepository;
    use crate::testing::{Attempts, now};

    fn limits() -> Limits {
        Limits {
            sms_budget: Limit {
                max: 10,
                window: TimeDelta::hours(1),
            },
            sms_daily_budget: Limit {
                max: 100,
                window: TimeDelta::hours(24),
            },
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn the_budget_left_counts_the_sms_of_each_window() {
        let attempts = Arc::new(Attempts::default());
        for minutes_ago in [5, 30, 90, 600] {
            attempts
                .record(BUDGET_KEY, now() - TimeDelta::minutes(minutes_ago))
                .await
                .unwrap();
        }
        attempts.record("login:x", now()).await.unwrap();
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .returning(|_, _, _| Ok(Vec::new()));
        let observed = ObserveOperations::new(attempts, Arc::new(payments), &limits())
            .execute(now())
            .await
            .unwrap();
        assert_eq!(
            observed.sms_budgets,
            [
                BudgetLeft {
                    window: "hour",
                    max: 10,
                    used: 2
                },
                BudgetLeft {
                    window: "day",
                    max: 100,
                    used: 4
                }
            ]
        );
        assert_eq!(observed.sms_budgets[0].remaining(), 8);
        assert_eq!(observed.oldest_pending, None);
    }

    #[tokio::test]
    async fn the_oldest_pending_payment_gives_its_age() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_pending_created_before()
            .withf(|before, after, limit| *before == now() && after.is_none() && *limit == 1)
            .returning(|_, _, _| Ok(vec![crate::payments::fixtures::payment()]));
        let observed =
            ObserveOperations::new(Arc::new(Attempts::default()), Arc::new(payments), &limits())
                .execute(now())
                .await
                .unwrap();
        assert_eq!(observed.oldest_pending, Some(TimeDelta::hours(1)));
        assert_eq!(observed.sms_budgets[1].remaining(), 100);
    }

    #[test]
    fn a_budget_spent_past_its_size_has_nothing_left() {
        let budget = BudgetLeft {
            window: "hour",
            max: 3,
            used: 5,
        };
        assert_eq!(budget.remaining(), 0);
    }
}
