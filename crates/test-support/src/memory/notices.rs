//! Notices: what is due, the planned notices and their deliveries' outbox, and the
//! subscribers' settings (preferences, push subscriptions, the e-mail's verification).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    DebtAbove, DeliveryEntry, DeliveryOutcome, DeliveryRecord, DeliveryState, NoticeSettings,
    NoticeStore, PaymentSucceeded, PlannedNotice, Reach, ReadingsMissing, VerificationDue,
};
use vodokanal_domain::{
    AccountNumber, Balance, Channel, Email, Notice, NoticePreferences, PaymentStatus, Period,
    PushSubscription, UserId,
};

use super::{InMemoryStore, State};

/// What a delivery whose push subscription is gone records.
const SUBSCRIPTION_GONE: &str = "subscription gone";

#[derive(Debug, Clone)]
pub(super) struct PushRow {
    id: i64,
    user: UserId,
    subscription: PushSubscription,
}

#[derive(Debug, Clone)]
pub(super) struct NoticeRow {
    id: i64,
    user: UserId,
    notice: Notice,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(super) struct DeliveryRow {
    id: i64,
    notice: i64,
    channel: Channel,
    push: Option<i64>,
    state: DeliveryState,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

/// The notice tables.
#[derive(Debug, Default)]
pub(super) struct NoticeTables {
    preferences: HashMap<UserId, NoticePreferences>,
    /// When each user's current e-mail was verified.
    email_verified: HashMap<UserId, DateTime<Utc>>,
    subscriptions: Vec<PushRow>,
    notices: Vec<NoticeRow>,
    deliveries: Vec<DeliveryRow>,
    /// The last id given, one sequence for every table (ids only need to be unique per table).
    last_id: i64,
}

impl NoticeTables {
    fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    /// Drops a subscription: its deliveries lose it (`ON DELETE SET NULL`).
    fn drop_subscription(&mut self, id: i64) {
        self.subscriptions.retain(|s| s.id != id);
        for delivery in &mut self.deliveries {
            if delivery.push == Some(id) {
                delivery.push = None;
            }
        }
    }

    /// Everything of a deleted user (`ON DELETE CASCADE`).
    pub(super) fn forget_user(&mut self, user: UserId) {
        self.preferences.remove(&user);
        self.email_verified.remove(&user);
        let gone: Vec<i64> = self
            .subscriptions
            .iter()
            .filter(|s| s.user == user)
            .map(|s| s.id)
            .collect();
        for id in gone {
            self.drop_subscription(id);
        }
        let notices: BTreeSet<i64> = self
            .notices
            .iter()
            .filter(|n| n.user == user)
            .map(|n| n.id)
            .collect();
        self.notices.retain(|n| !notices.contains(&n.id));
        self.deliveries.retain(|d| !notices.contains(&d.notice));
    }

    /// Deletes the finished deliveries, then the notices, created before `before`: how many of
    /// each.
    pub(super) fn purge(&mut self, before: DateTime<Utc>) -> (u64, u64) {
        let count = |before: usize, after: usize| u64::try_from(before - after).unwrap_or(0);
        let deliveries = self.deliveries.len();
        self.deliveries
            .retain(|d| d.state == DeliveryState::Pending || d.created_at >= before);
        let finished = count(deliveries, self.deliveries.len());
        let notices = self.notices.len();
        self.notices.retain(|n| n.created_at >= before);
        let kept: BTreeSet<i64> = self.notices.iter().map(|n| n.id).collect();
        self.deliveries.retain(|d| kept.contains(&d.notice));
        (count(notices, self.notices.len()), finished)
    }
}

impl State {
    /// The users linked to `account`.
    fn holders<'a>(&'a self, account: &'a AccountNumber) -> impl Iterator<Item = UserId> + 'a {
        self.links
            .iter()
            .filter(move |l| &l.account_number == account)
            .map(|l| l.user_id)
    }

    /// Whether every meter of `account` has a live reading of `period` (none without meters).
    fn readings_missing_of(&self, account: &AccountNumber, period: Period) -> bool {
        self.meters
            .iter()
            .filter(|(_, m)| &m.account_number == account)
            .any(|(number, _)| {
                !self
                    .readings
                    .iter()
                    .any(|r| &r.meter_number == number && r.period == period && r.voided.is_none())
            })
    }
}

#[async_trait]
impl NoticeStore for InMemoryStore {
    async fn readings_missing(&self, period: Period) -> Result<Vec<ReadingsMissing>, StoreError> {
        let state = self.state.lock().await;
        let mut pairs: Vec<(UserId, AccountNumber)> = state
            .links
            .iter()
            .filter(|l| state.readings_missing_of(&l.account_number, period))
            .map(|l| (l.user_id, l.account_number.clone()))
            .collect();
        pairs.sort();
        Ok(pairs
            .into_iter()
            .map(|(user, account)| ReadingsMissing { user, account })
            .collect())
    }

    async fn verifications_due(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<VerificationDue>, StoreError> {
        let state = self.state.lock().await;
        let mut due = Vec::new();
        for (number, row) in &state.meters {
            let Some(date) = row.meter.verification_due else {
                continue;
            };
            if date < from || date > to {
                continue;
            }
            for user in state.holders(&row.account_number) {
                due.push(VerificationDue {
                    user,
                    account: row.account_number.clone(),
                    meter: number.clone(),
                    service: row.meter.service,
                    due: date,
                });
            }
        }
        due.sort_by(|a, b| (a.user, &a.account, &a.meter).cmp(&(b.user, &b.account, &b.meter)));
        Ok(due)
    }

    async fn debts_above(&self, threshold: Balance) -> Result<Vec<DebtAbove>, StoreError> {
        let state = self.state.lock().await;
        let mut debts: Vec<DebtAbove> = state
            .links
            .iter()
            .filter_map(|l| {
                let account = state.accounts.get(&l.account_number)?;
                (account.balance.kopecks() > threshold.kopecks()).then(|| DebtAbove {
                    user: l.user_id,
                    account: l.account_number.clone(),
                    debt: account.balance,
                    as_of: account.balance_as_of,
                })
            })
            .collect();
        debts.sort_by(|a, b| (a.user, &a.account).cmp(&(b.user, &b.account)));
        Ok(debts)
    }

    async fn payments_succeeded(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentSucceeded>, StoreError> {
        let state = self.state.lock().await;
        let mut paid: Vec<(DateTime<Utc>, PaymentSucceeded)> = state
            .payments
            .iter()
            .filter(|p| p.status == PaymentStatus::Succeeded)
            .filter_map(|p| {
                let paid_at = p.paid_at.filter(|at| *at >= since)?;
                Some((
                    paid_at,
                    PaymentSucceeded {
                        user: p.user_id?,
                        payment: p.id,
                        account: p.account_number.clone(),
                        amount: p.amount,
                        purpose: p.purpose,
                    },
                ))
            })
            .collect();
        paid.sort_by_key(|(at, p)| (*at, p.payment));
        Ok(paid.into_iter().map(|(_, p)| p).collect())
    }

    async fn reach(&self, users: &[UserId]) -> Result<Vec<Reach>, StoreError> {
        let state = self.state.lock().await;
        let wanted: BTreeSet<UserId> = users.iter().copied().collect();
        let mut reach: Vec<Reach> = state
            .users
            .iter()
            .filter(|u| wanted.contains(&u.id))
            .map(|u| Reach {
                user: u.id,
                preferences: state
                    .notice_tables
                    .preferences
                    .get(&u.id)
                    .copied()
                    .unwrap_or_default(),
                verified_email: state
                    .notice_tables
                    .email_verified
                    .contains_key(&u.id)
                    .then(|| u.email.clone()),
                phone: u.phone.clone(),
                push_subscriptions: state
                    .notice_tables
                    .subscriptions
                    .iter()
                    .filter(|s| s.user == u.id)
                    .map(|s| s.id)
                    .collect(),
            })
            .collect();
        reach.sort_by_key(|r| r.user);
        Ok(reach)
    }

    async fn plan(&self, notices: &[PlannedNotice]) -> Result<u64, StoreError> {
        let mut state = self.state.lock().await;
        let mut planned = 0;
        for planned_notice in notices {
            // A user deleted since is left out, as the stores' `WHERE EXISTS` does.
            if !state.user_exists(planned_notice.user) {
                continue;
            }
            let tables = &mut state.notice_tables;
            let notice = &planned_notice.notice;
            if tables.notices.iter().any(|n| {
                n.user == planned_notice.user
                    && n.notice.kind == notice.kind
                    && n.notice.subject == notice.subject
                    && n.notice.period == notice.period
            }) {
                continue;
            }
            let id = tables.next_id();
            tables.notices.push(NoticeRow {
                id,
                user: planned_notice.user,
                notice: notice.clone(),
                created_at: planned_notice.created_at,
            });
            for delivery in &planned_notice.deliveries {
                // A delivery to a subscription dropped since is left out.
                if let Some(push) = delivery.push_subscription
                    && !tables.subscriptions.iter().any(|s| s.id == push)
                {
                    continue;
                }
                let delivery_id = tables.next_id();
                tables.deliveries.push(DeliveryRow {
                    id: delivery_id,
                    notice: id,
                    channel: delivery.channel,
                    push: delivery.push_subscription,
                    state: DeliveryState::Pending,
                    attempts: 0,
                    next_attempt_at: delivery.due_at,
                    sent_at: None,
                    last_error: None,
                    created_at: planned_notice.created_at,
                });
            }
            planned += 1;
        }
        Ok(planned)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DeliveryEntry>, StoreError> {
        let mut state = self.state.lock().await;
        let mut due: Vec<(DateTime<Utc>, i64)> = state
            .notice_tables
            .deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Pending && d.next_attempt_at <= now)
            .map(|d| (d.next_attempt_at, d.id))
            .collect();
        due.sort_unstable();
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut ids: Vec<i64> = due.into_iter().map(|(_, id)| id).collect();
        ids.sort_unstable();
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let tables = &mut state.notice_tables;
            let Some(delivery) = tables.deliveries.iter_mut().find(|d| d.id == id) else {
                continue;
            };
            delivery.attempts += 1;
            delivery.next_attempt_at = lease_until;
            let delivery = delivery.clone();
            let tables = &state.notice_tables;
            let notice = tables
                .notices
                .iter()
                .find(|n| n.id == delivery.notice)
                .ok_or_else(|| StoreError::Corrupt("a delivery without its notice".into()))?;
            let user = state
                .users
                .iter()
                .find(|u| u.id == notice.user)
                .ok_or_else(|| StoreError::Corrupt("a notice without its user".into()))?;
            let push = delivery.push.and_then(|id| {
                tables
                    .subscriptions
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| (s.id, s.subscription.clone()))
            });
            claimed.push(DeliveryEntry {
                id: delivery.id,
                user: user.id,
                channel: delivery.channel,
                notice: notice.notice.clone(),
                attempts: delivery.attempts,
                created_at: delivery.created_at,
                email: user.email.clone(),
                email_verified: tables.email_verified.contains_key(&user.id),
                phone: user.phone.clone(),
                push,
            });
        }
        Ok(claimed)
    }

    async fn record(&self, id: i64, outcome: &DeliveryOutcome) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        let tables = &mut state.notice_tables;
        let Some(delivery) = tables.deliveries.iter_mut().find(|d| d.id == id) else {
            return Ok(());
        };
        match outcome {
            DeliveryOutcome::Sent { at } => {
                delivery.state = DeliveryState::Sent;
                delivery.sent_at = Some(*at);
            }
            DeliveryOutcome::Retry { at, error } => {
                delivery.next_attempt_at = *at;
                delivery.last_error = Some(error.clone());
            }
            DeliveryOutcome::Failed { error } => {
                delivery.state = DeliveryState::Failed;
                delivery.last_error = Some(error.clone());
            }
            DeliveryOutcome::SubscriptionGone => {
                delivery.state = DeliveryState::Failed;
                delivery.last_error = Some(SUBSCRIPTION_GONE.into());
                if let Some(push) = delivery.push {
                    tables.drop_subscription(push);
                }
            }
        }
        Ok(())
    }

    async fn deliveries_of(&self, user: UserId) -> Result<Vec<DeliveryRecord>, StoreError> {
        let state = self.state.lock().await;
        let tables = &state.notice_tables;
        Ok(tables
            .deliveries
            .iter()
            .filter_map(|d| {
                let notice = tables
                    .notices
                    .iter()
                    .find(|n| n.id == d.notice && n.user == user)?;
                Some(DeliveryRecord {
                    kind: notice.notice.kind,
                    subject: notice.notice.subject.clone(),
                    period: notice.notice.period.clone(),
                    channel: d.channel,
                    state: d.state,
                    attempts: d.attempts,
                    next_attempt_at: d.next_attempt_at,
                    sent_at: d.sent_at,
                    last_error: d.last_error.clone(),
                })
            })
            .collect())
    }
}

#[async_trait]
impl NoticeSettings for InMemoryStore {
    async fn preferences(&self, user: UserId) -> Result<NoticePreferences, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .notice_tables
            .preferences
            .get(&user)
            .copied()
            .unwrap_or_default())
    }

    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &NoticePreferences,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.user_exists(user) {
            return Err(super::foreign_key("notice_preferences.user_id"));
        }
        state.notice_tables.preferences.insert(user, *preferences);
        Ok(())
    }

    async fn add_push_subscription(
        &self,
        user: UserId,
        subscription: &PushSubscription,
        _at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut state = self.state.lock().await;
        if !state.user_exists(user) {
            return Err(super::foreign_key("push_subscriptions.user_id"));
        }
        let tables = &mut state.notice_tables;
        let endpoint = subscription.endpoint();
        // Another user's browser now belongs to this one: a new subscription, so that the
        // former user's pending deliveries lose it.
        if let Some(other) = tables
            .subscriptions
            .iter()
            .find(|s| s.subscription.endpoint() == endpoint && s.user != user)
            .map(|s| s.id)
        {
            tables.drop_subscription(other);
        }
        if let Some(kept) = tables
            .subscriptions
            .iter_mut()
            .find(|s| s.subscription.endpoint() == endpoint)
        {
            kept.subscription = subscription.clone();
            return Ok(kept.id);
        }
        let id = tables.next_id();
        tables.subscriptions.push(PushRow {
            id,
            user,
            subscription: subscription.clone(),
        });
        Ok(id)
    }

    async fn remove_push_subscription(
        &self,
        user: UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        let tables = &mut state.notice_tables;
        let Some(id) = tables
            .subscriptions
            .iter()
            .find(|s| s.user == user && s.subscription.endpoint() == endpoint)
            .map(|s| s.id)
        else {
            return Ok(false);
        };
        tables.drop_subscription(id);
        Ok(true)
    }

    async fn push_subscription_count(&self, user: UserId) -> Result<u32, StoreError> {
        let state = self.state.lock().await;
        let count = state
            .notice_tables
            .subscriptions
            .iter()
            .filter(|s| s.user == user)
            .count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn email_verified_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.notice_tables.email_verified.get(&user).copied())
    }

    async fn verify_email(
        &self,
        user: UserId,
        email: &Email,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        if !state
            .users
            .iter()
            .any(|u| u.id == user && &u.email == email)
        {
            return Ok(false);
        }
        // The first verification's time is kept.
        state.notice_tables.email_verified.entry(user).or_insert(at);
        Ok(true)
    }
}
