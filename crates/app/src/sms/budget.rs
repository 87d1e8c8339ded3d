//! The SMS budgets of `security.md`: an hourly and a daily count of every SMS queued, both in
//! the database (the `attempts` table, one row per SMS under [`BUDGET_KEY`], read through two
//! windows), so that every server process spends the same budget. At 80% of either a WARN line
//! is written once per window: the first process to pass the mark counts a marker attempt
//! (under [`HOURLY_WARNED_KEY`] or [`DAILY_WARNED_KEY`], at most one per window), and only the
//! one that counted it writes the line.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::StoreError;
use crate::ports::{AttemptCounter, Limit, LimitState};
use crate::settings::Limits;

/// The key under which every SMS queued is counted, for both budgets.
pub const BUDGET_KEY: &str = "sms:budget";
/// The marker of the hourly budget's 80% warning.
pub const HOURLY_WARNED_KEY: &str = "sms:budget:warned:hourly";
/// The marker of the daily budget's 80% warning.
pub const DAILY_WARNED_KEY: &str = "sms:budget:warned:daily";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// A budget is spent: nothing may be sent until it renews; an operator must look.
    #[error("the SMS budget is exhausted")]
    Exhausted { retry_after: TimeDelta },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The hourly and daily SMS budgets over the attempt counter.
#[derive(Debug, Clone)]
pub struct SmsBudget {
    counter: Arc<dyn AttemptCounter>,
    hourly: Limit,
    daily: Limit,
}

/// 80% of `max`, rounded up, at least 1.
fn warning_mark(max: u32) -> u32 {
    u32::try_from((u64::from(max) * 4).div_ceil(5))
        .unwrap_or(max)
        .max(1)
}

impl SmsBudget {
    pub fn new(counter: Arc<dyn AttemptCounter>, limits: &Limits) -> Self {
        Self {
            counter,
            hourly: limits.sms_budget,
            daily: limits.sms_daily_budget,
        }
    }

    /// Counts one SMS, refused when either budget is spent (then nothing stays counted).
    pub async fn spend(&self, now: DateTime<Utc>) -> Result<(), BudgetError> {
        if let LimitState::Exceeded { retry_after } =
            self.counter.acquire(BUDGET_KEY, self.hourly, now).await?
        {
            return Err(Self::exhausted("hourly", self.hourly, retry_after));
        }
        // The daily window reads the same attempts, the one just counted among them.
        let daily_with_this_one = Limit {
            max: self.daily.max.saturating_add(1),
            window: self.daily.window,
        };
        if let LimitState::Exceeded { retry_after } = self
            .counter
            .check(BUDGET_KEY, daily_with_this_one, now)
            .await?
        {
            self.counter.release(BUDGET_KEY, now).await?;
            return Err(Self::exhausted("daily", self.daily, retry_after));
        }
        self.warn_near_the_end(now).await?;
        Ok(())
    }

    /// Whether one more SMS would be within both budgets, counting nothing (a silent decoy
    /// is refused like a send, but costs nothing).
    pub async fn check(&self, now: DateTime<Utc>) -> Result<(), BudgetError> {
        for (name, limit) in [("hourly", self.hourly), ("daily", self.daily)] {
            if let LimitState::Exceeded { retry_after } =
                self.counter.check(BUDGET_KEY, limit, now).await?
            {
                return Err(Self::exhausted(name, limit, retry_after));
            }
        }
        Ok(())
    }

    /// Counts `count` SMS that go whatever the budget (the notices of an account link: the
    /// link is done, and its holders must hear of it).
    pub async fn record(&self, count: u32, now: DateTime<Utc>) -> Result<(), StoreError> {
        for _ in 0..count {
            self.counter.record(BUDGET_KEY, now).await?;
        }
        if count > 0 {
            self.warn_near_the_end(now).await?;
        }
        Ok(())
    }

    /// At 80% of a budget, one WARN line per window among all processes.
    async fn warn_near_the_end(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        for (name, limit, marker) in [
            ("hourly", self.hourly, HOURLY_WARNED_KEY),
            ("daily", self.daily, DAILY_WARNED_KEY),
        ] {
            let mark = Limit {
                max: warning_mark(limit.max),
                window: limit.window,
            };
            if self.counter.check(BUDGET_KEY, mark, now).await? == LimitState::Allowed {
                continue;
            }
            let once = Limit {
                max: 1,
                window: limit.window,
            };
            if self.counter.acquire(marker, once, now).await? == LimitState::Allowed {
                tracing::warn!(
                    budget = name,
                    limit = limit.max,
                    window_seconds = limit.window.num_seconds(),
                    "80% of the SMS budget is spent: check for SMS pumping, or raise the budget \
                     if the traffic is real (codes are refused with 503 once it is spent)"
                );
            }
        }
        Ok(())
    }

    fn exhausted(name: &str, limit: Limit, retry_after: TimeDelta) -> BudgetError {
        tracing::error!(
            budget = name,
            limit = limit.max,
            window_seconds = limit.window.num_seconds(),
            retry_after_seconds = retry_after.num_seconds(),
            "the SMS budget is exhausted: codes are refused with 503 until the window \
             passes; check for SMS pumping, or raise the budget if the traffic is real"
        );
        BudgetError::Exhausted { retry_after }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Attempts, logged, now};

    fn small(hourly: u32, daily: u32) -> Limits {
        Limits {
            sms_budget: Limit {
                max: hourly,
                window: TimeDelta::hours(1),
            },
            sms_daily_budget: Limit {
                max: daily,
                window: TimeDelta::hours(24),
            },
            ..Limits::default()
        }
    }

    fn budget(limits: &Limits) -> (SmsBudget, Arc<Attempts>) {
        let attempts = Arc::new(Attempts::default());
        (SmsBudget::new(attempts.clone(), limits), attempts)
    }

    #[test]
    fn the_mark_is_80_percent_rounded_up() {
        assert_eq!(warning_mark(1000), 800);
        assert_eq!(warning_mark(10_000), 8000);
        assert_eq!(warning_mark(7), 6);
        assert_eq!(warning_mark(1), 1);
    }

    #[test]
    fn the_default_daily_budget_is_ten_thousand() {
        let limits = Limits::default();
        assert_eq!(limits.sms_daily_budget.max, 10_000);
        assert_eq!(limits.sms_daily_budget.window, TimeDelta::hours(24));
        assert_eq!(limits.sms_budget.max, 1000);
    }

    #[tokio::test]
    async fn the_daily_budget_stops_sending_though_the_hourly_one_is_not_spent() {
        let (budget, attempts) = budget(&small(5, 8));
        // 5 an hour for two hours: the 9th of the day is refused in the second hour.
        for i in 0..8 {
            let at = now() + TimeDelta::minutes(if i < 5 { 0 } else { 70 });
            assert_eq!(budget.spend(at).await, Ok(()), "send {i}");
        }
        let later = now() + TimeDelta::minutes(71);
        assert_eq!(
            budget.spend(later).await,
            Err(BudgetError::Exhausted {
                retry_after: TimeDelta::hours(24) - TimeDelta::minutes(71)
            })
        );
        // The refused send is not counted, and a silent decoy is refused alike.
        assert_eq!(attempts.under(BUDGET_KEY), 8);
        assert!(matches!(
            budget.check(later).await,
            Err(BudgetError::Exhausted { .. })
        ));
    }

    #[tokio::test]
    async fn the_hourly_budget_stops_sending_within_the_hour() {
        let (budget, attempts) = budget(&small(3, 100));
        for _ in 0..3 {
            budget.spend(now()).await.unwrap();
        }
        assert_eq!(
            budget.spend(now()).await,
            Err(BudgetError::Exhausted {
                retry_after: TimeDelta::hours(1)
            })
        );
        assert_eq!(attempts.under(BUDGET_KEY), 3);
        budget.spend(now() + TimeDelta::hours(1)).await.unwrap();
    }

    #[tokio::test]
    async fn at_80_percent_of_the_hourly_budget_one_warning_per_window() {
        let (budget, attempts) = budget(&small(10, 1000));
        let ((), before) = logged(async {
            for _ in 0..7 {
                budget.spend(now()).await.unwrap();
            }
        })
        .await;
        assert!(!before.contains("WARN"), "{before}");
        let ((), at_the_mark) = logged(async {
            for _ in 0..3 {
                budget.spend(now()).await.unwrap();
            }
        })
        .await;
        assert_eq!(at_the_mark.matches(" WARN ").count(), 1, "{at_the_mark}");
        assert!(at_the_mark.contains("budget=\"hourly\""), "{at_the_mark}");
        assert_eq!(attempts.under(HOURLY_WARNED_KEY), 1);
        assert_eq!(attempts.under(DAILY_WARNED_KEY), 0);

        // The next window warns again, once.
        let next_hour = now() + TimeDelta::minutes(61);
        let ((), next) = logged(async {
            for _ in 0..9 {
                budget.spend(next_hour).await.unwrap();
            }
        })
        .await;
        assert_eq!(next.matches(" WARN ").count(), 1, "{next}");
    }

    #[tokio::test]
    async fn at_80_percent_of_the_daily_budget_one_warning_per_day() {
        let (budget, attempts) = budget(&small(100, 10));
        let ((), log) = logged(async {
            for minutes in 0..10 {
                budget
                    .spend(now() + TimeDelta::minutes(minutes))
                    .await
                    .unwrap();
            }
        })
        .await;
        assert_eq!(log.matches(" WARN ").count(), 1, "{log}");
        assert!(log.contains("budget=\"daily\""), "{log}");
        assert_eq!(attempts.under(DAILY_WARNED_KEY), 1);
    }

    #[tokio::test]
    async fn a_marker_counted_by_another_process_silences_this_one() {
        let (budget, attempts) = budget(&small(10, 1000));
        attempts
            .record(HOURLY_WARNED_KEY, now() - TimeDelta::minutes(5))
            .await
            .unwrap();
        let ((), log) = logged(async {
            for _ in 0..10 {
                budget.spend(now()).await.unwrap();
            }
        })
        .await;
        assert!(!log.contains("WARN"), "{log}");
    }

    #[tokio::test]
    async fn recorded_notices_count_but_are_never_refused() {
        let (budget, attempts) = budget(&small(2, 100));
        budget.record(3, now()).await.unwrap();
        assert_eq!(attempts.under(BUDGET_KEY), 3);
        assert!(budget.spend(now()).await.is_err());
    }
}
