//! DELETE `/accounts/{number}`: unlink an account; nothing of the account itself is deleted.

use std::sync::Arc;

use vodokanal_domain::{AccountNumber, UserId};

use crate::StoreError;
use crate::ports::AccountRepository;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlinkAccountCommand {
    pub user_id: UserId,
    pub number: AccountNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnlinkAccountError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Removes the caller's link to an account.
#[derive(Debug)]
pub struct UnlinkAccount {
    accounts: Arc<dyn AccountRepository>,
}

impl UnlinkAccount {
    pub fn new(accounts: Arc<dyn AccountRepository>) -> Self {
        Self { accounts }
    }

    pub async fn execute(&self, command: UnlinkAccountCommand) -> Result<(), UnlinkAccountError> {
        if self
            .accounts
            .unlink(command.user_id, &command.number)
            .await?
        {
            tracing::info!(user = %command.user_id, "account unlinked");
            Ok(())
        } else {
            Err(UnlinkAccountError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockAccountRepository;
    use crate::testing::down;
    use crate::testing::{account_number, user_id};

    fn unlink(outcome: Result<bool, StoreError>) -> UnlinkAccount {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_unlink()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .return_once(move |_, _| outcome);
        UnlinkAccount::new(Arc::new(accounts))
    }

    fn command() -> UnlinkAccountCommand {
        UnlinkAccountCommand {
            user_id: user_id(),
            number: account_number(),
        }
    }

    #[tokio::test]
    async fn a_linked_account_is_unlinked() {
        assert_eq!(unlink(Ok(true)).execute(command()).await, Ok(()));
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        assert_eq!(
            unlink(Ok(false)).execute(command()).await,
            Err(UnlinkAccountError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_failing_store_is_reported() {
        let down = down();
        assert_eq!(
            unlink(Err(down.clone())).execute(command()).await,
            Err(UnlinkAccountError::Store(down))
        );
    }
}
