use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_domain::{Account, AccountNumber, Label, LinkedAccount, UserId};

use crate::StoreError;
use crate::ports::LinkNotice;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the account is already linked to this user")]
    AlreadyLinked,
    #[error(transparent)]
    Store(#[from] StoreError),
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
