//! Notices on PostgreSQL: what is due (read across the registry, the links and the payments),
//! the planned notices with their deliveries, and the deliveries' outbox. A claim is one
//! `UPDATE … RETURNING` over the due rows picked `FOR UPDATE SKIP LOCKED`, as the SMS outbox's
//! (ADR 0010): two processes claiming at once take different deliveries, and the lease keeps a
//! delivery from the next claims until its outcome is recorded. Also the subscribers' settings:
//! preferences, push subscriptions and the e-mail's verification.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use tracing::instrument;
use uuid::Uuid;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    DebtAbove, DeliveryEntry, DeliveryOutcome, DeliveryRecord, DeliveryState, NoticeSettings,
    NoticeStore, PaymentSucceeded, PlannedNotice, Reach, ReadingsMissing, VerificationDue,
};
use vodokanal_domain::{
    Balance, Channel, Channels, Email, Money, Notice, NoticeKind, NoticePreferences, NoticeTopic,
    PaymentId, Period, PushSubscription, UserId,
};

use crate::error::store_error;
use crate::pg_store;
use crate::rows::{corrupt, get, parse, period_code, unsigned};

pg_store!(
    /// `NoticeStore` on PostgreSQL: `notices` and `notice_deliveries`, read with the registry,
    /// the links, the payments and the users.
    PgNoticeStore
);

pg_store!(
    /// `NoticeSettings` on PostgreSQL: `notice_preferences`, `push_subscriptions` and
    /// `users.email_verified_at`.
    PgNoticeSettings
);

/// What a delivery whose push subscription is gone records.
const SUBSCRIPTION_GONE: &str = "subscription gone";

fn user_id(row: &PgRow, column: &str) -> Result<UserId, StoreError> {
    Ok(UserId::from_uuid(get(row, column)?))
}

fn code<T>(row: &PgRow, column: &str, from_code: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    from_code(&text).ok_or_else(|| corrupt(column, format!("unknown code {text:?}")))
}

fn attempts(row: &PgRow) -> Result<u32, StoreError> {
    let attempts: i32 = get(row, "attempts")?;
    u32::try_from(attempts).map_err(|e| corrupt("attempts", e))
}

/// The preferences of a row with the columns `readings`, `verification`, `payments`, `debt`
/// (the topics' codes), all NULL for a user who made no choice: the defaults.
fn preferences(row: &PgRow) -> Result<NoticePreferences, StoreError> {
    let mut preferences = NoticePreferences::default();
    for topic in NoticeTopic::ALL {
        let bits: Option<i16> = get(row, topic.code())?;
        if let Some(bits) = bits {
            let bits = u8::try_from(bits).map_err(|e| corrupt(topic.code(), e))?;
            preferences = preferences.with(topic, Channels::from_bits(bits));
        }
    }
    Ok(preferences)
}

/// A stored subscription rebuilt through the domain: one that no longer parses is corrupt.
fn subscription(row: &PgRow) -> Result<Option<(i64, PushSubscription)>, StoreError> {
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

fn notice(row: &PgRow) -> Result<Notice, StoreError> {
    Ok(Notice {
        kind: code(row, "kind", NoticeKind::from_code)?,
        subject: get(row, "subject")?,
        period: get(row, "period")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        url: get(row, "url")?,
    })
}

fn entry(row: &PgRow) -> Result<DeliveryEntry, StoreError> {
    Ok(DeliveryEntry {
        id: get(row, "id")?,
        user: user_id(row, "user_id")?,
        channel: code(row, "channel", Channel::from_code)?,
        notice: notice(row)?,
        attempts: attempts(row)?,
        created_at: get(row, "created_at")?,
        email: parse(row, "email")?,
        email_verified: get(row, "email_verified")?,
        phone: parse(row, "phone")?,
        push: subscription(row)?,
    })
}

fn record(row: &PgRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        kind: code(row, "kind", NoticeKind::from_code)?,
        subject: get(row, "subject")?,
        period: get(row, "period")?,
        channel: code(row, "channel", Channel::from_code)?,
        state: code(row, "state", DeliveryState::from_code)?,
        attempts: attempts(row)?,
        next_attempt_at: get(row, "next_attempt_at")?,
        sent_at: get(row, "sent_at")?,
        last_error: get(row, "last_error")?,
    })
}

/// Stores one notice with its deliveries in one transaction, unless its user already has it
/// (or no longer exists); whether it was new. A push delivery whose subscription was dropped
/// meanwhile is left out.
async fn plan_one(
    transaction: &mut sqlx::PgConnection,
    planned: &PlannedNotice,
) -> Result<bool, StoreError> {
    let notice = &planned.notice;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO notices (user_id, kind, subject, period, title, body, url, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
         ON CONFLICT (user_id, kind, subject, period) DO NOTHING RETURNING id",
    )
    .bind(planned.user.as_uuid())
    .bind(notice.kind.code())
    .bind(&notice.subject)
    .bind(&notice.period)
    .bind(&notice.title)
    .bind(&notice.body)
    .bind(&notice.url)
    .bind(planned.created_at)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(store_error)?;
    let Some(id) = id else {
        return Ok(false);
    };
    let channels: Vec<&str> = planned
        .deliveries
        .iter()
        .map(|d| d.channel.code())
        .collect();
    let subscriptions: Vec<Option<i64>> = planned
        .deliveries
        .iter()
        .map(|d| d.push_subscription)
        .collect();
    let due: Vec<DateTime<Utc>> = planned.deliveries.iter().map(|d| d.due_at).collect();
    sqlx::query(
        "INSERT INTO notice_deliveries \
             (notice_id, channel, push_subscription_id, next_attempt_at, created_at) \
         SELECT $1, d.channel, d.push, d.due, $2 \
         FROM UNNEST($3::text[], $4::int8[], $5::timestamptz[]) WITH ORDINALITY \
             AS d(channel, push, due, n) \
         WHERE d.push IS NULL OR EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.id = d.push) \
         ORDER BY d.n",
    )
    .bind(id)
    .bind(planned.created_at)
    .bind(channels)
    .bind(subscriptions)
    .bind(due)
    .execute(&mut *transaction)
    .await
    .map_err(store_error)?;
    Ok(true)
}

#[async_trait]
impl NoticeStore for PgNoticeStore {
    /// The links scanned once: each account's meters anti-joined with the period's live
    /// readings (`readings_live_period_idx`).
    #[instrument(level = "debug", skip_all, fields(%period))]
    async fn readings_missing(&self, period: Period) -> Result<Vec<ReadingsMissing>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, l.account_number FROM account_links l \
             WHERE EXISTS (SELECT 1 FROM meters m WHERE m.account_number = l.account_number \
                 AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.meter_number = m.number \
                     AND r.period = $1 AND r.voided_at IS NULL)) \
             ORDER BY l.user_id, l.account_number",
        )
        .bind(period_code(period))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(ReadingsMissing {
                    user: user_id(row, "user_id")?,
                    account: parse(row, "account_number")?,
                })
            })
            .collect()
    }

    #[instrument(level = "debug", skip_all, fields(%from, %to))]
    async fn verifications_due(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<VerificationDue>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, l.account_number, m.number, m.service, m.verification_due \
             FROM meters m JOIN account_links l ON l.account_number = m.account_number \
             WHERE m.verification_due BETWEEN $1 AND $2 \
             ORDER BY l.user_id, l.account_number, m.number",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(VerificationDue {
                    user: user_id(row, "user_id")?,
                    account: parse(row, "account_number")?,
                    meter: parse(row, "number")?,
                    service: parse(row, "service")?,
                    due: get(row, "verification_due")?,
                })
            })
            .collect()
    }

    #[instrument(level = "debug", skip_all)]
    async fn debts_above(&self, threshold: Balance) -> Result<Vec<DebtAbove>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.user_id, a.number, a.balance_kopecks, a.balance_as_of \
             FROM account_links l JOIN accounts a ON a.number = l.account_number \
             WHERE a.balance_kopecks > $1 \
             ORDER BY l.user_id, a.number",
        )
        .bind(threshold.kopecks())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(DebtAbove {
                    user: user_id(row, "user_id")?,
                    account: parse(row, "number")?,
                    debt: Balance::from_kopecks(get(row, "balance_kopecks")?)
                        .map_err(|e| corrupt("balance_kopecks", e))?,
                    as_of: get(row, "balance_as_of")?,
                })
            })
            .collect()
    }

    #[instrument(level = "debug", skip_all)]
    async fn payments_succeeded(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentSucceeded>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, id, account_number, amount_kopecks, purpose FROM payments \
             WHERE status = 'succeeded' AND user_id IS NOT NULL AND paid_at >= $1 \
             ORDER BY paid_at, id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let kopecks = unsigned("amount_kopecks", get(row, "amount_kopecks")?)?;
                Ok(PaymentSucceeded {
                    user: user_id(row, "user_id")?,
                    payment: PaymentId::from_uuid(get(row, "id")?),
                    account: parse(row, "account_number")?,
                    amount: Money::from_kopecks(kopecks)
                        .map_err(|e| corrupt("amount_kopecks", e))?,
                    purpose: parse(row, "purpose")?,
                })
            })
            .collect()
    }

    #[instrument(level = "debug", skip_all, fields(users = users.len()))]
    async fn reach(&self, users: &[UserId]) -> Result<Vec<Reach>, StoreError> {
        let ids: Vec<Uuid> = users.iter().map(|u| *u.as_uuid()).collect();
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.email_verified_at IS NOT NULL AS email_verified, u.phone, \
                 p.readings, p.verification, p.payments, p.debt, \
                 ARRAY(SELECT s.id FROM push_subscriptions s WHERE s.user_id = u.id \
                       ORDER BY s.id) AS push_ids \
             FROM users u LEFT JOIN notice_preferences p ON p.user_id = u.id \
             WHERE u.id = ANY($1) ORDER BY u.id",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let verified: bool = get(row, "email_verified")?;
                Ok(Reach {
                    user: user_id(row, "id")?,
                    preferences: preferences(row)?,
                    verified_email: if verified {
                        Some(parse::<Email>(row, "email")?)
                    } else {
                        None
                    },
                    phone: parse(row, "phone")?,
                    push_subscriptions: get(row, "push_ids")?,
                })
            })
            .collect()
    }

    /// One transaction per notice: `INSERT … ON CONFLICT DO NOTHING RETURNING id`, then its
    /// deliveries only when it was inserted. A concurrent plan of the same notice waits for
    /// the first to commit and then inserts nothing.
    #[instrument(level = "debug", skip_all, fields(notices = notices.len()))]
    async fn plan(&self, notices: &[PlannedNotice]) -> Result<u64, StoreError> {
        let mut planned = 0;
        for notice in notices {
            let mut transaction = self.pool.begin().await.map_err(store_error)?;
            let new = plan_one(&mut transaction, notice).await?;
            transaction.commit().await.map_err(store_error)?;
            planned += u64::from(new);
        }
        Ok(planned)
    }

    #[instrument(level = "debug", skip_all, fields(limit))]
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DeliveryEntry>, StoreError> {
        let rows = sqlx::query(
            "WITH claimed AS ( \
                 UPDATE notice_deliveries SET attempts = attempts + 1, next_attempt_at = $1 \
                 WHERE id IN (SELECT id FROM notice_deliveries \
                     WHERE state = 'pending' AND next_attempt_at <= $2 \
                     ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, notice_id, channel, push_subscription_id, attempts, created_at) \
             SELECT c.id, c.channel, c.attempts, c.created_at, n.user_id, n.kind, n.subject, \
                 n.period, n.title, n.body, n.url, u.email, \
                 u.email_verified_at IS NOT NULL AS email_verified, u.phone, \
                 s.id AS push_id, s.endpoint, s.p256dh, s.auth \
             FROM claimed c \
             JOIN notices n ON n.id = c.notice_id \
             JOIN users u ON u.id = n.user_id \
             LEFT JOIN push_subscriptions s ON s.id = c.push_subscription_id \
             ORDER BY c.id",
        )
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }

    #[instrument(level = "debug", skip_all, fields(delivery = id))]
    async fn record(&self, id: i64, outcome: &DeliveryOutcome) -> Result<(), StoreError> {
        let query = match outcome {
            DeliveryOutcome::Sent { at } => sqlx::query(
                "UPDATE notice_deliveries SET state = 'sent', sent_at = $1 WHERE id = $2",
            )
            .bind(*at),
            DeliveryOutcome::Retry { at, error } => sqlx::query(
                "UPDATE notice_deliveries SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
            )
            .bind(*at)
            .bind(error),
            DeliveryOutcome::Failed { error } => sqlx::query(
                "UPDATE notice_deliveries SET state = 'failed', last_error = $1 WHERE id = $2",
            )
            .bind(error),
            DeliveryOutcome::SubscriptionGone => {
                let mut transaction = self.pool.begin().await.map_err(store_error)?;
                let subscription: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE notice_deliveries SET state = 'failed', last_error = $1 \
                     WHERE id = $2 RETURNING push_subscription_id",
                )
                .bind(SUBSCRIPTION_GONE)
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(store_error)?;
                if let Some(Some(subscription)) = subscription {
                    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
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

    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn deliveries_of(&self, user: UserId) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.kind, n.subject, n.period, d.channel, d.state, d.attempts, \
                 d.next_attempt_at, d.sent_at, d.last_error \
             FROM notices n JOIN notice_deliveries d ON d.notice_id = n.id \
             WHERE n.user_id = $1 ORDER BY d.id",
        )
        .bind(user.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(record).collect()
    }
}

#[async_trait]
impl NoticeSettings for PgNoticeSettings {
    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn preferences(&self, user: UserId) -> Result<NoticePreferences, StoreError> {
        let row = sqlx::query(
            "SELECT readings, verification, payments, debt FROM notice_preferences \
             WHERE user_id = $1",
        )
        .bind(user.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref()
            .map_or_else(|| Ok(NoticePreferences::default()), preferences)
    }

    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &NoticePreferences,
    ) -> Result<(), StoreError> {
        let bits = |topic| i16::from(preferences.channels(topic).bits());
        sqlx::query(
            "INSERT INTO notice_preferences (user_id, readings, verification, payments, debt) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET readings = EXCLUDED.readings, \
                 verification = EXCLUDED.verification, payments = EXCLUDED.payments, \
                 debt = EXCLUDED.debt",
        )
        .bind(user.as_uuid())
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
    #[instrument(level = "debug", skip_all, fields(%user, host = %subscription.host()))]
    async fn add_push_subscription(
        &self,
        user: UserId,
        subscription: &PushSubscription,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id <> $2")
            .bind(subscription.endpoint())
            .bind(user.as_uuid())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, \
                 p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth \
             RETURNING id",
        )
        .bind(user.as_uuid())
        .bind(subscription.endpoint())
        .bind(subscription.p256dh_text())
        .bind(subscription.auth_text())
        .bind(at)
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn remove_push_subscription(
        &self,
        user: UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
            .bind(user.as_uuid())
            .bind(endpoint)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(store_error)
    }

    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn push_subscription_count(&self, user: UserId) -> Result<u32, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM push_subscriptions WHERE user_id = $1")
                .bind(user.as_uuid())
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)?;
        u32::try_from(count).map_err(|e| corrupt("count", e))
    }

    #[instrument(level = "debug", skip_all, fields(%user))]
    async fn email_verified_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<Option<DateTime<Utc>>> =
            sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
                .bind(user.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(at.flatten())
    }

    /// The first verification's time is kept: a second click of the link changes nothing.
    #[instrument(level = "debug", skip_all, fields(%user, email = %email.masked()))]
    async fn verify_email(
        &self,
        user: UserId,
        email: &Email,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3) \
             WHERE id = $1 AND email = $2",
        )
        .bind(user.as_uuid())
        .bind(email.as_str())
        .bind(at)
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(store_error)
    }
}
