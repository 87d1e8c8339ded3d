use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_domain::{PendingCode, Phone};

use crate::StoreError;

vodokanal_domain::code_enum! {
    /// Why an SMS is sent; the code is the name stored in the `purpose` column.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SmsPurpose {
        /// A registration code, or the hint sent to a phone already registered.
        Registration => "registration",
        /// A password-reset code.
        PasswordReset => "password_reset",
        /// A notice to the other holders of an account that a new profile linked it.
        AccountLinked => "account_linked",
    }
}

vodokanal_domain::code_enum! {
    /// Where a message stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SmsState {
        /// Waiting for its (next) attempt.
        Pending => "pending",
        /// The gateway accepted it.
        Sent => "sent",
        /// Given up: refused by the gateway, or no longer valid.
        Failed => "failed",
    }
}

/// A message to queue: due at `created_at`, valid until `expires_at` (a code's expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSms {
    pub phone: Phone,
    /// Personal data (it may carry a code): never logged, cleared once the message is done.
    pub text: String,
    pub purpose: SmsPurpose,
    /// The subscriber's address, for the gateway's anti-fraud checks.
    pub client_ip: Option<IpAddr>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The notice queued for every other holder of an account when a profile links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkNotice {
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A message of the outbox as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub phone: Phone,
    /// Empty once the message is sent or failed.
    pub text: String,
    pub purpose: SmsPurpose,
    pub client_ip: Option<IpAddr>,
    pub state: SmsState,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// When the message may be claimed (again): its next attempt, or the end of a claim's lease.
    pub next_attempt_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The gateway's last answer, for the operator: no phone, no text.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What became of a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsOutcome {
    /// The gateway accepted it.
    Sent { at: DateTime<Utc> },
    /// Try again at `at`.
    Retry { at: DateTime<Utc>, error: String },
    /// Given up.
    Failed { error: String },
}

/// The transactional SMS outbox: a request stores what is to be sent with its own writes,
/// and a background sender delivers it (ADR 0010).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SmsOutbox: std::fmt::Debug + Send + Sync {
    /// Stores `code` (replacing the earlier one of its phone and purpose) and queues `message`
    /// in one transaction: both or neither. Unless the earlier code was sent after
    /// `pause_since` (another request, of this process or another, stored it since the caller
    /// looked): then nothing is stored, and the answer is `false`. The resend pause holds
    /// against requests at the same moment.
    async fn store_code(
        &self,
        code: &PendingCode,
        message: Option<NewSms>,
        pause_since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Claims at most `limit` pending messages due at `now` and still valid, oldest first:
    /// counts an attempt on each and moves its `next_attempt_at` to `lease_until`, so no other
    /// claim (of this or another process) takes them until the lease ends.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Records what became of a claimed message; a message that is done loses its text.
    async fn record(&self, id: i64, outcome: &SmsOutcome) -> Result<(), StoreError>;
    /// Gives up every pending message that expired by `now`; how many.
    async fn expire(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// The messages to `phone`, oldest first (for the operator and the tests).
    async fn to_phone(&self, phone: &Phone) -> Result<Vec<OutboxEntry>, StoreError>;
}
