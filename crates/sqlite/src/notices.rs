//! Notices on SQLite: what is due (read across the registry, the links and the payments), the
//! planned notices with their deliveries, and the deliveries' outbox. SQLite lets one writer in
//! at a time, so a claim can't hand a delivery to two senders; the lease it writes keeps the
//! delivery from the next claims until its outcome is recorded (as the SMS outbox, ADR 0010).
//! Also the subscribers' settings: preferences, push subscriptions and the e-mail's
//! verification.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    DebtAbove, DeliveryEntry, DeliveryOutcome, DeliveryRecord, DeliveryState, NoticeSettings,
    NoticeStore, PaymentSucceeded, PlannedNotice, Reach, ReadingsMissing, VerificationDue,
};
use vodokanal_domain::{
    Balance, Channel, Channels, Email, Money, Notice, NoticeKind, NoticePreferences, NoticeTopic,
    Period, PushSubscription, UserId,
};

use crate::codec::{
    corrupt, date, get, get_date, get_instant, get_optional_instant, instant, parse,
};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `NoticeStore` on SQLite.
    SqliteNoticeStore
);

sqlite_port!(
    /// `NoticeSettings` on SQLite.
    SqliteNoticeSettings
);

/// What a delivery whose push subscription is gone records.
const SUBSCRIPTION_GONE: &str = "subscription gone";

fn code<T>(
    row: &SqliteRow,
    column: &str,
    from_code: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    from_code(&text).ok_or_else(|| corrupt(column, format!("unknown code {text:?}")))
}

fn attempts(row: &SqliteRow) -> Result<u32, StoreError> {
    let attempts: i64 = get(row, "attempts")?;
    u32::try_from(attempts).map_err(|e| corrupt("attempts", e))
}

/// The preferences of a row with the columns `readings`, `verification`, `payments`, `debt`
/// (the topics' codes), all NULL for a user who made no choice: the defaults.
fn preferences(row: &SqliteRow) -> Result<NoticePreferences, StoreError> {
    let mut preferences = NoticePreferences::default();
    for topic in NoticeTopic::ALL {
        let bits: Option<i64> = get(row, topic.code())?;
        if let Some(bits) = bits {
            let bits = u8::try_from(bits).map_err(|e| corrupt(topic.code(), e))?;
            preferences = preferences.with(topic, Channels::from_bits(bits));
        }
    }
    Ok(preferences)
}

/// A stored subscription rebuilt through the domain: one that no longer parses is corrupt.
fn subscription(row: &SqliteRow) -> Result<Option<(i64, PushSubscription)>, StoreError> {
    let Some(id) = get::<Option<i64>>(row, "push_id")? else {
        return Ok(None);
    };
    let endpoint: String = get(row, "endpoint")?;
    let p256dh: String = get(row, "p256dh")?;
    let auth: String = get(row, "auth")?;
    PushSubscription::new(&endpoint, &p256dh, &auth)
        .map(|s| Some((id, s)))
        .map_err(|e| corrupt("push_subscriptions", e))
}

fn entry(row: &SqliteRow) -> Result<DeliveryEntry, StoreError> {
    Ok(DeliveryEntry {
        id: get(row, "id")?,
        user: parse(row, "user_id")?,
        channel: code(row, "channel", Channel::from_code)?,
        notice: Notice {
            kind: code(row, "kind", NoticeKind::from_code)?,
            subject: get(row, "subject")?,
            period: get(row, "period")?,
            title: get(row, "title")?,
            body: get(row, "body")?,
            url: get(row, "url")?,
        },
        attempts: attempts(row)?,
        created_at: get_instant(row, "created_at")?,
        email: parse(row, "email")?,
        email_verified: get(row, "email_verified")?,
        phone: parse(row, "phone")?,
        push: subscription(row)?,
    })
}

fn record(row: &SqliteRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        kind: code(row, "kind", NoticeKind::from_code)?,
        subject: get(row, "subject")?,
        period: get(row, "period")?,
        channel: code(row, "channel", Channel::from_code)?,
        state: code(row, "state", DeliveryState::from_code)?,
        attempts: attempts(row)?,
        next_attempt_at: get_instant(row, "next_attempt_at")?,
        sent_at: get_optional_instant(row, "sent_at")?,
        last_error: get(row, "last_error")?,
    })
}

/// Stores one notice with its deliveries, in the caller's transaction, unless its user
/// already has it (or no longer exists); whether it was new. A push delivery whose
/// subscription was dropped meanwhile is left out.
async fn plan_one(
    transaction: &mut sqlx::SqliteConnection,
    planned: &PlannedNotice,
) -> Result<bool, StoreError> {
    let notice = &planned.notice;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO notices (user_id, kind, subject, period, title, body, url, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 \
         WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) \
         ON CONFLICT (user_id, kind, subject, period) DO NOTHING RETURNING id",
    )
    .bind(planned.user.to_string())
    .bind(notice.kind.code())
    .bind(&notice.subject)
    .bind(&notice.period)
    .bind(&notice.title)
    .bind(&notice.body)
    .bind(&notice.url)
    .bind(instant(planned.created_at))
    .fetch_optional(&mut *transaction)
    .await
    .map_err(store_error)?;
    let Some(id) = id else {
        return Ok(false);
    };
    for delivery in &planned.deliveries {
        sqlx::query(
            "INSERT INTO notice_deliveries \
                 (notice_id, channel, push_subscription_id, next_attempt_at, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5 \
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM push_subscriptions WHERE id = ?3)",
        )
        .bind(id)
        .bind(delivery.channel.code())
        .bind(delivery.push_subscription)
        .bind(instant(delivery.due_at))
        .bind(instant(planned.created_at))
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
    }
    Ok(true)
}

/// The claimed deliveries with their notice, their user's current address and phone, and
/// their subscription, by the ids (a JSON array) of the claim.
const CLAIMED: &str = "SELECT d.id, d.channel, d.attempts, d.created_at, n.user_id, n.kind, \
         n.subject, n.period, n.title, n.body, n.url, u.email, \
         u.email_verified_at IS NOT NULL AS email_verified, u.phone, \
         s.id AS push_id, s.endpoint, s.p256dh, s.auth \
     FROM notice_deliveries d \
     JOIN notices n ON n.id = d.notice_id \
     JOIN users u ON u.id = n.user_id \
     LEFT JOIN push_subscriptions s ON s.id = d.push_subscription_id \
     WHERE d.id IN (SELECT value FROM json_each(?)) \
     ORDER BY d.id";

#[async_trait]
impl NoticeStore for SqliteNoticeStore {
    /// The links walked once: each account's meters (by account), each meter's live reading
    /// of the period (by the live readings' unique index).
    #[tracing::instrument(skip_all, fields(%period))]
    async fn readings_missing(&self, period: Period) -> Result<Vec<ReadingsMissing>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, l.account_number FROM account_links l \
             WHERE EXISTS (SELECT 1 FROM meters m WHERE m.account_number = l.account_number \
                 AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.meter_number = m.number \
                     AND r.period = ? AND r.voided_at IS NULL)) \
             ORDER BY l.user_id, l.account_number",
        )
        .bind(crate::codec::period(period))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(ReadingsMissing {
                    user: parse(row, "user_id")?,
                    account: parse(row, "account_number")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(%from, %to))]
    async fn verifications_due(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<VerificationDue>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, l.account_number, m.number, m.service, m.verification_due \
             FROM meters m JOIN account_links l ON l.account_number = m.account_number \
             WHERE m.verification_due BETWEEN ? AND ? \
             ORDER BY l.user_id, l.account_number, m.number",
        )
        .bind(date(from))
        .bind(date(to))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(VerificationDue {
                    user: parse(row, "user_id")?,
                    account: parse(row, "account_number")?,
                    meter: parse(row, "number")?,
                    service: parse(row, "service")?,
                    due: get_date(row, "verification_due")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn debts_above(&self, threshold: Balance) -> Result<Vec<DebtAbove>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, a.number, a.balance_kopecks, a.balance_as_of \
             FROM account_links l JOIN accounts a ON a.number = l.account_number \
             WHERE a.balance_kopecks > ? \
             ORDER BY l.user_id, a.number",
        )
        .bind(threshold.kopecks())
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(DebtAbove {
                    user: parse(row, "user_id")?,
                    account: parse(row, "number")?,
                    debt: Balance::from_kopecks(get(row, "balance_kopecks")?)
                        .map_err(|e| corrupt("balance_kopecks", e))?,
                    as_of: get_date(row, "balance_as_of")?,
                })
            })
            .collect()
    }

    /// `INDEXED BY`: without statistics SQLite would rather walk every succeeded payment
    /// by `payments_status_created_idx`.
    #[tracing::instrument(skip_all)]
    async fn payments_succeeded(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentSucceeded>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, id, account_number, amount_kopecks, purpose \
             FROM payments INDEXED BY payments_succeeded_paid_at_idx \
             WHERE status = 'succeeded' AND user_id IS NOT NULL AND paid_at >= ? \
             ORDER BY paid_at, id",
        )
        .bind(instant(since))
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let kopecks: i64 = get(row, "amount_kopecks")?;
                let amount = u64::try_from(kopecks)
                    .map_err(|e| corrupt("amount_kopecks", e))
                    .and_then(|k| {
                        Money::from_kopecks(k).map_err(|e| corrupt("amount_kopecks", e))
                    })?;
                Ok(PaymentSucceeded {
                    user: parse(row, "user_id")?,
                    payment: parse(row, "id")?,
                    account: parse(row, "account_number")?,
                    amount,
                    purpose: parse(row, "purpose")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(users = users.len()))]
    async fn reach(&self, users: &[UserId]) -> Result<Vec<Reach>, StoreError> {
        let ids = serde_json::to_string(&users.iter().map(ToString::to_string).collect::<Vec<_>>())
            .map_err(|e| corrupt("users", e))?;
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.email_verified_at IS NOT NULL AS email_verified, u.phone, \
                 p.readings, p.verification, p.payments, p.debt, \
                 (SELECT json_group_array(s.id ORDER BY s.id) FROM push_subscriptions s \
                  WHERE s.user_id = u.id) AS push_ids \
             FROM users u LEFT JOIN notice_preferences p ON p.user_id = u.id \
             WHERE u.id IN (SELECT value FROM json_each(?)) ORDER BY u.id",
        )
        .bind(ids)
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let verified: bool = get(row, "email_verified")?;
                let push_ids: String = get(row, "push_ids")?;
                Ok(Reach {
                    user: parse(row, "id")?,
                    preferences: preferences(row)?,
                    verified_email: if verified {
                        Some(parse::<Email>(row, "email")?)
                    } else {
                        None
                    },
                    phone: parse(row, "phone")?,
                    push_subscriptions: serde_json::from_str(&push_ids)
                        .map_err(|e| corrupt("push_ids", e))?,
                })
            })
            .collect()
    }

    /// One write transaction per notice: `INSERT … ON CONFLICT DO NOTHING RETURNING id`,
    /// then its deliveries only when it was inserted.
    #[tracing::instrument(skip_all, fields(notices = notices.len()))]
    async fn plan(&self, notices: &[PlannedNotice]) -> Result<u64, StoreError> {
        let mut planned = 0;
        for notice in notices {
            let mut transaction = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(store_error)?;
            let new = plan_one(&mut transaction, notice).await?;
            transaction.commit().await.map_err(store_error)?;
            planned += u64::from(new);
        }
        Ok(planned)
    }

    #[tracing::instrument(skip_all, fields(limit))]
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DeliveryEntry>, StoreError> {
        // A read first, on the readers, so that an idle outbox never waits for the single
        // writer nor takes its lock.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM notice_deliveries \
             WHERE state = 'pending' AND next_attempt_at <= ? LIMIT 1",
        )
        .bind(instant(now))
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut transaction = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE notice_deliveries SET attempts = attempts + 1, next_attempt_at = ? \
             WHERE id IN (SELECT id FROM notice_deliveries \
                 WHERE state = 'pending' AND next_attempt_at <= ? \
                 ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING id",
        )
        .bind(instant(lease_until))
        .bind(instant(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *transaction)
        .await
        .map_err(store_error)?;
        let ids = serde_json::to_string(&ids).map_err(|e| corrupt("id", e))?;
        let rows = sqlx::query(CLAIMED)
            .bind(ids)
            .fetch_all(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        rows.iter().map(entry).collect()
    }

    #[tracing::instrument(skip_all, fields(delivery = id))]
    async fn record(&self, id: i64, outcome: &DeliveryOutcome) -> Result<(), StoreError> {
        let query = match outcome {
            DeliveryOutcome::Sent { at } => {
                sqlx::query("UPDATE notice_deliveries SET state = 'sent', sent_at = ? WHERE id = ?")
                    .bind(instant(*at))
            }
            DeliveryOutcome::Retry { at, error } => sqlx::query(
                "UPDATE notice_deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ?",
            )
            .bind(instant(*at))
            .bind(error),
            DeliveryOutcome::Failed { error } => sqlx::query(
                "UPDATE notice_deliveries SET state = 'failed', last_error = ? WHERE id = ?",
            )
            .bind(error),
            DeliveryOutcome::SubscriptionGone => {
                let mut transaction = self
                    .pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(store_error)?;
                let subscription: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE notice_deliveries SET state = 'failed', last_error = ? \
                     WHERE id = ? RETURNING push_subscription_id",
                )
                .bind(SUBSCRIPTION_GONE)
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(store_error)?;
                if let Some(Some(subscription)) = subscription {
                    sqlx::query("DELETE FROM push_subscriptions WHERE id = ?")
                        .bind(subscription)
                        .execute(&mut *transaction)
                        .await
                        .map_err(store_error)?;
                }
                return transaction.commit().await.map_err(store_error);
            }
        };
        query
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(%user))]
    async fn deliveries_of(&self, user: UserId) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.kind, n.subject, n.period, d.channel, d.state, d.attempts, \
                 d.next_attempt_at, d.sent_at, d.last_error \
             FROM notices n JOIN notice_deliveries d ON d.notice_id = n.id \
             WHERE n.user_id = ? ORDER BY d.id",
        )
        .bind(user.to_string())
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        rows.iter().map(record).collect()
    }
}

#[async_trait]
impl NoticeSettings for SqliteNoticeSettings {
    #[tracing::instrument(skip_all, fields(%user))]
    async fn preferences(&self, user: UserId) -> Result<NoticePreferences, StoreError> {
        let row = sqlx::query(
            "SELECT readings, verification, payments, debt FROM notice_preferences \
             WHERE user_id = ?",
        )
        .bind(user.to_string())
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?;
        row.as_ref()
            .map_or_else(|| Ok(NoticePreferences::default()), preferences)
    }

    #[tracing::instrument(skip_all, fields(%user))]
    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &NoticePreferences,
    ) -> Result<(), StoreError> {
        let bits = |topic| i64::from(preferences.channels(topic).bits());
        sqlx::query(
            "INSERT INTO notice_preferences (user_id, readings, verification, payments, debt) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET readings = excluded.readings, \
                 verification = excluded.verification, payments = excluded.payments, \
                 debt = excluded.debt",
        )
        .bind(user.to_string())
        .bind(bits(NoticeTopic::Readings))
        .bind(bits(NoticeTopic::Verification))
        .bind(bits(NoticeTopic::Payments))
        .bind(bits(NoticeTopic::Debt))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// One transaction: another user's row of the endpoint is deleted first (its pending
    /// deliveries lose the subscription), then the endpoint is upserted for `user`.
    #[tracing::instrument(skip_all, fields(%user, host = %subscription.host()))]
    async fn add_push_subscription(
        &self,
        user: UserId,
        subscription: &PushSubscription,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut transaction = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id <> ?")
            .bind(subscription.endpoint())
            .bind(user.to_string())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, \
                 p256dh = excluded.p256dh, auth = excluded.auth \
             RETURNING id",
        )
        .bind(user.to_string())
        .bind(subscription.endpoint())
        .bind(subscription.p256dh_text())
        .bind(subscription.auth_text())
        .bind(instant(at))
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    #[tracing::instrument(skip_all, fields(%user))]
    async fn remove_push_subscription(
        &self,
        user: UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?")
            .bind(user.to_string())
            .bind(endpoint)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(store_error)
    }

    #[tracing::instrument(skip_all, fields(%user))]
    async fn push_subscription_count(&self, user: UserId) -> Result<u32, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM push_subscriptions WHERE user_id = ?")
                .bind(user.to_string())
                .fetch_one(&self.reads)
                .await
                .map_err(store_error)?;
        u32::try_from(count).map_err(|e| corrupt("count", e))
    }

    #[tracing::instrument(skip_all, fields(%user))]
    async fn email_verified_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query("SELECT email_verified_at FROM users WHERE id = ?")
            .bind(user.to_string())
            .fetch_optional(&self.reads)
            .await
            .map_err(store_error)?;
        match row {
            Some(row) => get_optional_instant(&row, "email_verified_at"),
            None => Ok(None),
        }
    }

    /// The first verification's time is kept: a second click of the link changes nothing.
    #[tracing::instrument(skip_all, fields(%user, email = %email.masked()))]
    async fn verify_email(
        &self,
        user: UserId,
        email: &Email,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?) \
             WHERE id = ? AND email = ?",
        )
        .bind(instant(at))
        .bind(user.to_string())
        .bind(email.as_str())
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(store_error)
    }
}
