//! GET `/accounts`: the caller's linked accounts.

use vodokanal_domain::UserId;

use super::view::{AccountView, AccountViews};
use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAccountsCommand {
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListAccountsError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountViews {
    /// GET `/accounts`: the caller's linked accounts, in the order they were linked, in one
    /// read.
    pub async fn list(
        &self,
        command: ListAccountsCommand,
    ) -> Result<Vec<AccountView>, ListAccountsError> {
        let snapshots = self.accounts.snapshots(command.user_id).await?;
        Ok(snapshots
            .into_iter()
            .map(|snapshot| self.shown(snapshot))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::{expected_view, label, over, snapshot, views};
    use crate::ports::{AccountSnapshot, MockAccountRepository};
    use crate::testing::down;
    use crate::testing::user_id;

    #[tokio::test]
    async fn every_linked_account_is_listed_in_order_in_one_read() {
        let mut accounts = MockAccountRepository::new();
        let mut second = snapshot(None);
        second.linked.account.number = "654321".parse().unwrap();
        second.linked.account.meters.clear();
        second.paid.clear();
        second.last_readings.clear();
        second.other_holders = 3;
        accounts
            .expect_snapshots()
            .withf(|user| *user == user_id())
            .times(1)
            .return_once(move |_| Ok(vec![snapshot(Some(label())), second]));
        let listed = over(accounts, &views())
            .list(ListAccountsCommand { user_id: user_id() })
            .await
            .unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0], expected_view(Some(label())));
        assert_eq!(listed[1].account.number.as_str(), "654321");
        assert_eq!(listed[1].other_holders, 3);
        assert_eq!(listed[1].debt.to_string(), "1000.00");
        assert!(listed[1].last_readings.is_empty());
    }

    #[tokio::test]
    async fn a_user_without_accounts_gets_an_empty_list() {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_snapshots()
            .returning(|_| Ok(Vec::<AccountSnapshot>::new()));
        let listed = over(accounts, &views())
            .list(ListAccountsCommand { user_id: user_id() })
            .await;
        assert_eq!(listed, Ok(vec![]));
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_snapshots().returning(|_| Err(down()));
        let listed = over(accounts, &views())
            .list(ListAccountsCommand { user_id: user_id() })
            .await;
        assert_eq!(listed, Err(ListAccountsError::Store(down())));
    }
}
