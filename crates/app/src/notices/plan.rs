//! Planning: what is due now becomes notices with their deliveries, one per subscriber, kind,
//! subject and period (the store's unique key), so planning again plans nothing twice.
//! `vodokanal serve` plans the payments every few seconds and the rest every hour; `vodokanal
//! notices plan --dry-run` shows what would be planned now without storing it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::notice::{reading_reminder, verification_reminder};
use vodokanal_domain::{
    Balance, Channel, Notice, NoticeKind, QuietHours, ReadingWindow, UserId, UtilityCalendar,
};

use crate::StoreError;
use crate::ports::{NewDelivery, NoticeStore, PlannedNotice, Reach};

/// How far back a succeeded payment is still announced (a server down for a while catches up).
pub const PAYMENTS_LOOKBACK: TimeDelta = TimeDelta::days(1);

/// What the planner needs of the utility's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRules {
    pub calendar: UtilityCalendar,
    /// No window: no reading reminders (nothing opens or closes).
    pub reading_window: Option<ReadingWindow>,
    /// No threshold: no debt notices.
    pub debt_threshold: Option<Balance>,
    pub quiet_hours: QuietHours,
}

/// Which notices to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Succeeded payments only (often).
    Payments,
    /// Everything (hourly).
    All,
}

/// Plans the notices due now.
#[derive(Debug)]
pub struct PlanNotices {
    store: Arc<dyn NoticeStore>,
    rules: NoticeRules,
}

impl PlanNotices {
    pub fn new(store: Arc<dyn NoticeStore>, rules: NoticeRules) -> Self {
        Self { store, rules }
    }

    /// Plans what is due at `now`; how many notices were new.
    pub async fn execute(&self, scope: Scope, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let notices = self.preview(scope, now).await?;
        if notices.is_empty() {
            return Ok(0);
        }
        let planned = self.store.plan(&notices).await?;
        if planned > 0 {
            tracing::info!(notices = planned, "notices planned");
        }
        Ok(planned)
    }

    /// What is due at `now`, with the channels each goes by: nothing is stored. A notice no
    /// channel can carry (all off, no verified address, no subscription) is left out; it is
    /// planned later if the subscriber turns a channel on while it is due.
    pub async fn preview(
        &self,
        scope: Scope,
        now: DateTime<Utc>,
    ) -> Result<Vec<PlannedNotice>, StoreError> {
        let mut due: Vec<(UserId, Notice)> = Vec::new();
        for paid in self
            .store
            .payments_succeeded(now - PAYMENTS_LOOKBACK)
            .await?
        {
            let notice = Notice::payment_succeeded(
                &paid.payment.to_string(),
                &paid.account,
                paid.amount,
                paid.purpose,
            );
            due.push((paid.user, notice));
        }
        if scope == Scope::All {
            self.due_daily(now, &mut due).await?;
        }
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut users: Vec<UserId> = due.iter().map(|(user, _)| *user).collect();
        users.sort_unstable();
        users.dedup();
        let reach: HashMap<UserId, Reach> = self
            .store
            .reach(&users)
            .await?
            .into_iter()
            .map(|reach| (reach.user, reach))
            .collect();
        Ok(due
            .into_iter()
            .filter_map(|(user, notice)| {
                let deliveries = self.deliveries(reach.get(&user)?, notice.kind, now);
                (!deliveries.is_empty()).then_some(PlannedNotice {
                    user,
                    notice,
                    deliveries,
                    created_at: now,
                })
            })
            .collect())
    }

    async fn due_daily(
        &self,
        now: DateTime<Utc>,
        due: &mut Vec<(UserId, Notice)>,
    ) -> Result<(), StoreError> {
        let calendar = self.rules.calendar;
        let today = calendar.today(now);
        let period = calendar.period(now);
        if let Some(window) = self.rules.reading_window
            && let Some(kind) = reading_reminder(Some(window), today)
        {
            for missing in self.store.readings_missing(period).await? {
                let notice = Notice::reading_window(kind, &missing.account, window, period);
                due.push((missing.user, notice));
            }
        }
        for meter in self
            .store
            .verifications_due(today, today + TimeDelta::days(30))
            .await?
        {
            if let Some(kind) = verification_reminder(meter.due, today) {
                let notice = Notice::verification_due(
                    kind,
                    &meter.account,
                    &meter.meter,
                    meter.service,
                    meter.due,
                );
                due.push((meter.user, notice));
            }
        }
        if let Some(threshold) = self.rules.debt_threshold {
            for debt in self.store.debts_above(threshold).await? {
                let notice = Notice::debt_above_threshold(&debt.account, debt.debt, debt.as_of);
                due.push((debt.user, notice));
            }
        }
        Ok(())
    }

    /// The channels `kind` goes by to this subscriber, each due at once or after the quiet
    /// hours.
    fn deliveries(&self, reach: &Reach, kind: NoticeKind, now: DateTime<Utc>) -> Vec<NewDelivery> {
        let Some(topic) = kind.topic() else {
            return Vec::new();
        };
        let due_at = |channel| {
            self.rules
                .quiet_hours
                .next_allowed(channel, &self.rules.calendar, now)
        };
        let chosen = reach.preferences.channels(topic);
        let mut deliveries = Vec::new();
        if chosen.contains(Channel::Email) && reach.verified_email.is_some() {
            deliveries.push(NewDelivery {
                channel: Channel::Email,
                push_subscription: None,
                due_at: due_at(Channel::Email),
            });
        }
        if chosen.contains(Channel::Push) {
            deliveries.extend(reach.push_subscriptions.iter().map(|id| NewDelivery {
                channel: Channel::Push,
                push_subscription: Some(*id),
                due_at: due_at(Channel::Push),
            }));
        }
        if chosen.contains(Channel::Sms) {
            deliveries.push(NewDelivery {
                channel: Channel::Sms,
                push_subscription: None,
                due_at: due_at(Channel::Sms),
            });
        }
        deliveries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{
        DebtAbove, MockNoticeStore, PaymentSucceeded, ReadingsMissing, VerificationDue,
    };
    use crate::testing;
    use mockall::predicate::eq;
    use vodokanal_domain::{Channels, Money, NoticePreferences, NoticeTopic, PaymentId, Period};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rules() -> NoticeRules {
        NoticeRules {
            calendar: UtilityCalendar::default(),
            reading_window: Some("15-25".parse().unwrap()),
            debt_threshold: Some(Balance::from_kopecks(300_000).unwrap()),
            quiet_hours: QuietHours::default(),
        }
    }

    fn reach(preferences: NoticePreferences, verified: bool, push: Vec<i64>) -> Reach {
        Reach {
            user: testing::user().id,
            preferences,
            verified_email: verified.then(testing::email),
            phone: testing::phone(),
            push_subscriptions: push,
        }
    }

    /// A store where the subscriber has every kind due, reached as `reach` says.
    fn store(reach: Reach, expect_plan: Option<usize>) -> MockNoticeStore {
        let user = testing::user().id;
        let account = testing::account_number();
        let mut store = MockNoticeStore::new();
        store.expect_payments_succeeded().returning(move |_| {
            Ok(vec![PaymentSucceeded {
                user,
                payment: PaymentId::from_random_bytes([4; 16]),
                account: testing::account_number(),
                amount: Money::from_kopecks(150_000).unwrap(),
                purpose: vodokanal_domain::PaymentPurpose::Water,
            }])
        });
        store
            .expect_readings_missing()
            .with(eq(Period::containing("2026-12-15".parse().unwrap())))
            .returning(move |_| {
                Ok(vec![ReadingsMissing {
                    user,
                    account: testing::account_number(),
                }])
            });
        store
            .expect_verifications_due()
            .with(
                eq("2026-12-15".parse::<chrono::NaiveDate>().unwrap()),
                eq("2027-01-14".parse::<chrono::NaiveDate>().unwrap()),
            )
            .returning(move |_, _| {
                Ok(vec![VerificationDue {
                    user,
                    account: account.clone(),
                    meter: testing::meter_number(),
                    service: vodokanal_domain::MeterService::ColdWater,
                    due: "2027-01-10".parse().unwrap(),
                }])
            });
        store.expect_debts_above().returning(move |_| {
            Ok(vec![DebtAbove {
                user,
                account: testing::account_number(),
                debt: Balance::from_kopecks(450_000).unwrap(),
                as_of: "2026-12-01".parse().unwrap(),
            }])
        });
        store
            .expect_reach()
            .withf(move |users| users == [user])
            .returning(move |_| Ok(vec![reach.clone()]));
        if let Some(count) = expect_plan {
            store
                .expect_plan()
                .withf(move |notices| notices.len() == count)
                .times(1)
                .returning(|notices| Ok(notices.len() as u64));
        }
        store
    }

    #[tokio::test]
    async fn on_the_windows_first_day_every_kind_due_is_planned_once_per_channel() {
        let noon = at("2026-12-15T09:00:00Z");
        let planner = PlanNotices::new(
            Arc::new(store(
                reach(NoticePreferences::default(), true, vec![11, 12]),
                None,
            )),
            rules(),
        );
        let notices = planner.preview(Scope::All, noon).await.unwrap();
        let kinds: Vec<NoticeKind> = notices.iter().map(|n| n.notice.kind).collect();
        assert_eq!(
            kinds,
            [
                NoticeKind::PaymentSucceeded,
                NoticeKind::ReadingWindowOpens,
                NoticeKind::VerificationDueIn30Days,
                NoticeKind::DebtAboveThreshold,
            ]
        );
        for planned in &notices {
            let channels: Vec<(Channel, Option<i64>)> = planned
                .deliveries
                .iter()
                .map(|d| (d.channel, d.push_subscription))
                .collect();
            assert_eq!(
                channels,
                [
                    (Channel::Email, None),
                    (Channel::Push, Some(11)),
                    (Channel::Push, Some(12))
                ]
            );
            assert!(planned.deliveries.iter().all(|d| d.due_at == noon));
        }
    }

    #[tokio::test]
    async fn at_night_push_and_sms_wait_for_the_morning_and_email_goes() {
        let night = at("2026-12-15T20:00:00Z"); // 23:00 in Moscow
        let everything = NoticePreferences::default()
            .with(NoticeTopic::Payments, Channels::DEFAULT.with(Channel::Sms));
        let planner = PlanNotices::new(
            Arc::new(store(reach(everything, true, vec![11]), None)),
            rules(),
        );
        let notices = planner.preview(Scope::Payments, night).await.unwrap();
        assert_eq!(notices.len(), 1);
        let due: Vec<(Channel, DateTime<Utc>)> = notices[0]
            .deliveries
            .iter()
            .map(|d| (d.channel, d.due_at))
            .collect();
        let morning = at("2026-12-16T06:00:00Z");
        assert_eq!(
            due,
            [
                (Channel::Email, night),
                (Channel::Push, morning),
                (Channel::Sms, morning)
            ]
        );
    }

    #[tokio::test]
    async fn an_unverified_address_and_channels_turned_off_leave_a_notice_out() {
        let noon = at("2026-12-15T09:00:00Z");
        let email_only = NoticePreferences::default()
            .with(NoticeTopic::Payments, Channels::NONE)
            .with(NoticeTopic::Readings, Channels::NONE.with(Channel::Email))
            .with(
                NoticeTopic::Verification,
                Channels::NONE.with(Channel::Push),
            )
            .with(NoticeTopic::Debt, Channels::NONE.with(Channel::Sms));
        // No verified address and no subscription: only the debt's SMS is left.
        let planner = PlanNotices::new(
            Arc::new(store(reach(email_only, false, vec![]), Some(1))),
            rules(),
        );
        assert_eq!(planner.execute(Scope::All, noon).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn without_a_window_or_a_threshold_nothing_of_them_is_planned() {
        let noon = at("2026-12-15T09:00:00Z");
        let mut bare = rules();
        bare.reading_window = None;
        bare.debt_threshold = None;
        let mut store = store(reach(NoticePreferences::default(), true, vec![]), None);
        store.checkpoint();
        store.expect_payments_succeeded().returning(|_| Ok(vec![]));
        store
            .expect_verifications_due()
            .returning(|_, _| Ok(vec![]));
        store.expect_readings_missing().never();
        store.expect_debts_above().never();
        store.expect_reach().never();
        store.expect_plan().never();
        let planner = PlanNotices::new(Arc::new(store), bare);
        assert_eq!(planner.execute(Scope::All, noon).await.unwrap(), 0);
    }
}
