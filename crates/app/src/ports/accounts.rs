use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_domain::{
    Account, AccountNumber, Label, LinkedAccount, MeterNumber, Money, ReadingValue, UserId,
};

use crate::StoreError;
use crate::ports::LinkNotice;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the account is already linked to this user")]
    AlreadyLinked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A payment that succeeded: its amount and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paid {
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
}

/// A meter's newest live reading (of the latest period, the registry's included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestReading {
    pub meter: MeterNumber,
    pub value: ReadingValue,
    pub submitted_at: DateTime<Utc>,
}

/// What the cabinet shows of one linked account, read at once: the account with its meters
/// (ordered by number) and the user's label, the payments that may count against its debt,
/// the last reading of each meter, and how many other profiles hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSnapshot {
    pub linked: LinkedAccount,
    /// The account's payments that succeeded at or after the start of its `balance_as_of`
    /// day in UTC, oldest first. The store knows no time zone: the balance day ends in the
    /// utility's zone (UTC-12 to UTC+14) no earlier than 10:00 UTC that day, so every payment
    /// made after it is here, and the app keeps those after the end of the day by its calendar.
    pub paid: Vec<Paid>,
    /// The newest live reading of each meter that has one, in meter order.
    pub last_readings: Vec<LatestReading>,
    /// How many profiles other than the user hold the account.
    pub other_holders: u32,
}

/// The registry's accounts with their meters, and subscribers' links to them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: std::fmt::Debug + Send + Sync {
    async fn find(&self, number: &AccountNumber) -> Result<Option<Account>, StoreError>;
    /// The user's linked accounts, in the order they were linked.
    async fn linked(&self, user: UserId) -> Result<Vec<LinkedAccount>, StoreError>;
    async fn linked_one(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<LinkedAccount>, StoreError>;
    /// One of the user's linked accounts as the cabinet shows it, in one read (one statement
    /// where the store has statements); `None` when it is not linked to the user.
    async fn snapshot(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<AccountSnapshot>, StoreError>;
    /// Every linked account of the user as the cabinet shows it, in the order they were
    /// linked, in one read.
    async fn snapshots(&self, user: UserId) -> Result<Vec<AccountSnapshot>, StoreError>;
    /// Links the account to the user and, with a `notice`, queues it in the SMS outbox for
    /// every other profile that holds the account, in the same transaction: both or neither.
    async fn link(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
        at: DateTime<Utc>,
        notice: Option<LinkNotice>,
    ) -> Result<(), LinkError>;
    /// How many profiles other than `user` hold the account.
    async fn other_holders(&self, user: UserId, number: &AccountNumber) -> Result<u32, StoreError>;
    /// `false` when the account is not linked to the user.
    async fn relabel(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
    ) -> Result<bool, StoreError>;
    /// `false` when the account was not linked to the user.
    async fn unlink(&self, user: UserId, number: &AccountNumber) -> Result<bool, StoreError>;
}
