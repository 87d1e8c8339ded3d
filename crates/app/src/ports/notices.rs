use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use vodokanal_domain::{
    AccountNumber, Balance, Channel, Email, MeterNumber, MeterService, Money, Notice, NoticeKind,
    NoticePreferences, PaymentId, PaymentPurpose, Period, Phone, PushSubscription, UserId,
};

use crate::StoreError;

/// A linked account whose readings of a period are not all in: one per holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingsMissing {
    pub user: UserId,
    pub account: AccountNumber,
}

/// A meter of a linked account whose verification is due: one per holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationDue {
    pub user: UserId,
    pub account: AccountNumber,
    pub meter: MeterNumber,
    pub service: MeterService,
    pub due: NaiveDate,
}

/// A linked account whose registry debt is above a threshold: one per holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtAbove {
    pub user: UserId,
    pub account: AccountNumber,
    pub debt: Balance,
    pub as_of: NaiveDate,
}

/// A payment made from the cabinet that succeeded: one for its payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSucceeded {
    pub user: UserId,
    pub payment: PaymentId,
    pub account: AccountNumber,
    pub amount: Money,
    pub purpose: PaymentPurpose,
}

/// How a subscriber can be reached, for planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub user: UserId,
    pub preferences: NoticePreferences,
    /// The address, only once verified.
    pub verified_email: Option<Email>,
    pub phone: Phone,
    /// The ids of the user's push subscriptions.
    pub push_subscriptions: Vec<i64>,
}

/// One channel of a notice to plan: due at `due_at` (later than planning in the quiet hours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel: Channel,
    /// The subscription, for a push delivery (one delivery per subscription).
    pub push_subscription: Option<i64>,
    pub due_at: DateTime<Utc>,
}

/// A notice to plan with its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNotice {
    pub user: UserId,
    pub notice: Notice,
    pub deliveries: Vec<NewDelivery>,
    pub created_at: DateTime<Utc>,
}

vodokanal_domain::code_enum! {
    /// Where a delivery stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DeliveryState {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
    }
}

/// A claimed delivery, with where it goes now (the user's current address, phone and
/// subscription, read at the claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryEntry {
    pub id: i64,
    pub user: UserId,
    pub channel: Channel,
    pub notice: Notice,
    /// Attempts claimed so far, this one included.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// The user's current address and whether it is verified.
    pub email: Email,
    pub email_verified: bool,
    pub phone: Phone,
    /// The push subscription (id and value) of a push delivery; `None` once it was dropped.
    pub push: Option<(i64, PushSubscription)>,
}

/// What became of a claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent {
        at: DateTime<Utc>,
    },
    /// Try again at `at` (a failure's backoff, or the end of the quiet hours).
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Given up.
    Failed {
        error: String,
    },
    /// The push service says the subscription is gone: the delivery fails and the
    /// subscription is deleted, in one transaction.
    SubscriptionGone,
}

/// A delivery as stored, for the operator, `notices plan --dry-run` and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub kind: NoticeKind,
    pub subject: String,
    pub period: String,
    pub channel: Channel,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The notices: what is due (read across the registry, the links and the payments), the plan
/// (notices with their deliveries, unique per user, kind, subject and period) and the
/// deliveries' outbox, claimed with a lease like the SMS outbox (ADR 0010).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NoticeStore: std::fmt::Debug + Send + Sync {
    /// Linked accounts with meters, at least one of which has no live reading of `period`.
    async fn readings_missing(&self, period: Period) -> Result<Vec<ReadingsMissing>, StoreError>;
    /// Meters of linked accounts due for verification between `from` and `to`, both inclusive.
    async fn verifications_due(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<VerificationDue>, StoreError>;
    /// Linked accounts whose registry balance is above `threshold`.
    async fn debts_above(&self, threshold: Balance) -> Result<Vec<DebtAbove>, StoreError>;
    /// Payments of a user (from the cabinet) that succeeded at or after `since`.
    async fn payments_succeeded(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentSucceeded>, StoreError>;
    /// How each of `users` can be reached; a user who no longer exists is left out.
    async fn reach(&self, users: &[UserId]) -> Result<Vec<Reach>, StoreError>;
    /// Stores each notice with its deliveries in one transaction, unless its user already has
    /// one of the same kind, subject and period (then nothing of it is stored); how many were
    /// new. Whatever the race between processes, a notice is stored once.
    async fn plan(&self, notices: &[PlannedNotice]) -> Result<u64, StoreError>;
    /// Claims at most `limit` pending deliveries due at `now`, oldest first: counts an attempt
    /// on each and moves its `next_attempt_at` to `lease_until`, so that no other claim takes
    /// them until the lease ends.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DeliveryEntry>, StoreError>;
    /// Records what became of a claimed delivery.
    async fn record(&self, id: i64, outcome: &DeliveryOutcome) -> Result<(), StoreError>;
    /// The deliveries of a user's notices, oldest first.
    async fn deliveries_of(&self, user: UserId) -> Result<Vec<DeliveryRecord>, StoreError>;
}

/// What a subscriber set: the channels per topic, the push subscriptions, the e-mail's
/// verification.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NoticeSettings: std::fmt::Debug + Send + Sync {
    /// The user's choice, or the defaults when they made none.
    async fn preferences(&self, user: UserId) -> Result<NoticePreferences, StoreError>;
    async fn set_preferences(
        &self,
        user: UserId,
        preferences: &NoticePreferences,
    ) -> Result<(), StoreError>;
    /// Keeps `subscription` for `user`; an endpoint already kept (for this or another user:
    /// the browser now belongs to this one) is replaced. Its id.
    async fn add_push_subscription(
        &self,
        user: UserId,
        subscription: &PushSubscription,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Drops the user's subscription of `endpoint`; whether there was one.
    async fn remove_push_subscription(
        &self,
        user: UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError>;
    /// How many push subscriptions the user has.
    async fn push_subscription_count(&self, user: UserId) -> Result<u32, StoreError>;
    /// When the user's current e-mail was verified.
    async fn email_verified_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Marks the user's e-mail verified at `at`, if it still is `email`; whether it was.
    async fn verify_email(
        &self,
        user: UserId,
        email: &Email,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
